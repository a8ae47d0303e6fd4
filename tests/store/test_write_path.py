"""The fast write path of an assessment (one look-up query, one INSERT, one multi-row audit
insert) on both engines: it writes the same audit rows as the ORM unit of work, and every
refusal keeps its precise error. Also the SQLite writers' first-come-first-served lock."""

from __future__ import annotations

import threading

import pytest

from autoserum.errors import NotFoundError, PermissionDeniedError, StateError, ValidationError
from autoserum.store import Actor, Store
from autoserum.store._base import FifoLock, Service
from autoserum.store._edit import score_payload
from autoserum.store.models import AssessmentRow
from tests.store.helpers import ADMIN, COORDINATOR, MONITOR, double_blind_study, enrolled

POEM = {"itch": 3, "sleep": 2, "bleeding": 1, "oozing": 0, "cracking": 1, "flaking": 2,
        "dryness": 3}  # fmt: skip
# docs/instruments.md POEM: the total is the sum of the seven items, 3+2+1+0+1+2+3 = 12
POEM_TOTAL = "12"


@pytest.fixture
def study(store: Store) -> str:
    name = double_blind_study(store)
    enrolled(store, name, "S01")
    store.records.add_visit(name, "S01", "baseline", "2026-03-02", actor=COORDINATOR)
    store.records.add_visit(name, "S01", "week_4", "2026-03-30", actor=COORDINATOR)
    return name


def _audit(store: Store, study: str, record_id: int) -> list[tuple[object, ...]]:
    rows = store.audit.trail(study, actor=ADMIN, entity="assessment", record_id=record_id)
    return [(r.action, r.field, r.old_value, r.new_value, r.username, r.reason) for r in rows]


def test_the_fast_path_writes_the_audit_rows_of_the_unit_of_work(store: Store, study: str) -> None:
    fast = store.records.add_assessment(study, "S01", "baseline", "poem", POEM, actor=COORDINATOR)
    assert fast.version == 1
    assert str(fast.total) == POEM_TOTAL  # docs/instruments.md POEM: 12
    # the same record written through the ORM unit of work (the after_flush audit hook)
    week_4 = next(
        v for v in store.subjects.detail(study, "S01", actor=ADMIN).visits if v.id != fast.visit_id
    )
    total, band = score_payload("poem", POEM, None)
    with store.uow.write(COORDINATOR, "assessment poem") as s:
        row = AssessmentRow(
            study_id=Service._study(s, study).id,
            subject_pk=store.subjects.detail(study, "S01", actor=ADMIN).subject.id,
            visit_id=week_4.id,
            instrument="poem",
            payload=dict(POEM),
            total=total,
            band=band,
            version=1,
        )
        s.add(row)
        s.flush()
        orm_id = row.id

    def without_visit(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [r for r in rows if r[1] != "visit_id"]

    fast_rows, orm_rows = _audit(store, study, fast.id), _audit(store, study, orm_id)
    assert len(fast_rows) == len(orm_rows) == 8  # every non-null column but the id
    assert without_visit(fast_rows) == without_visit(orm_rows)
    assert ("insert", "visit_id", None, fast.visit_id, "cora", "assessment poem") in fast_rows


def test_refusals_keep_their_precise_errors(store: Store, study: str) -> None:
    saved = store.records.add_assessment(study, "S01", "baseline", "poem", POEM, actor=COORDINATOR)
    with pytest.raises(StateError, match="recorded already"):
        store.records.add_assessment(study, "S01", "baseline", "poem", POEM, actor=COORDINATOR)
    with pytest.raises(ValidationError, match="itch"):  # the items are judged first
        store.records.add_assessment(
            study, "S01", "baseline", "poem", {**POEM, "itch": 9}, actor=COORDINATOR
        )
    with pytest.raises(StateError, match="not recorded yet"):
        store.records.add_assessment(study, "S01", "week_8", "poem", POEM, actor=COORDINATOR)
    with pytest.raises(NotFoundError, match="no subject 'S99'"):
        store.records.add_assessment(study, "S99", "baseline", "poem", POEM, actor=COORDINATOR)
    with pytest.raises(NotFoundError, match="no study named 'NOPE'"):
        store.records.add_assessment("NOPE", "S01", "baseline", "poem", POEM, actor=COORDINATOR)
    with pytest.raises(NotFoundError, match="no subject 'S01'"):  # like a missing subject
        store.records.add_assessment(
            study,
            "S01",
            "week_4",
            "poem",
            POEM,
            actor=Actor("otto", "coordinator", frozenset({(study, "s02")})),
        )
    with pytest.raises(PermissionDeniedError, match="may not record and correct"):
        store.records.add_assessment(study, "S01", "week_4", "poem", POEM, actor=MONITOR)
    store.subjects.withdraw(study, "S01", actor=ADMIN, reason="moved away")
    with pytest.raises(StateError, match="no new data"):
        store.records.add_assessment(study, "S01", "week_4", "poem", POEM, actor=COORDINATOR)
    # nothing of the refused writes reached the trail: one insert of eight fields
    trail = store.audit.trail(study, actor=ADMIN, entity="assessment")
    assert len([r for r in trail if r.record_id == saved.id]) == 8
    assert {r.record_id for r in trail} == {saved.id, 1}  # 1: the SCORAD typed at screening


def test_the_writer_lock_is_reentrant_and_first_come_first_served() -> None:
    lock = FifoLock()
    order: list[int] = []
    with lock, lock:  # re-entrant
        threads = []
        for n in range(3):
            thread = threading.Thread(target=lambda n=n: _take(lock, order, n))
            thread.start()
            threads.append(thread)
            while len(lock._waiters) < n + 1:  # wait until it queues (no timing involved)
                threading.Event().wait(0.001)
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2]
    with lock:  # free again
        order.append(3)
    assert order == [0, 1, 2, 3]


def _take(lock: FifoLock, order: list[int], n: int) -> None:
    with lock:
        order.append(n)
