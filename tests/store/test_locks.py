"""Locks in the store, on both engines: record, visit, subject and database locks refuse every
write they cover (nothing written), an administrator unlocks with a reason (audited), and the
database lock records its manifest (audit chain head, SAP hash, allocation list digests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autoserum.errors import PermissionDeniedError, StateError, ValidationError
from autoserum.store import Store
from autoserum.store.replay import current_state, replay_audit
from tests.store.helpers import (
    ADMIN,
    COORDINATOR,
    ELIGIBLE,
    INVESTIGATOR,
    MONITOR,
    SCREENED_ON,
    double_blind_study,
    enrolled,
)


def _study(store: Store) -> tuple[str, int]:
    name = double_blind_study(store)
    for sid in ("S01", "S02"):
        enrolled(store, name, sid)
        store.records.add_visit(name, sid, "baseline", "2026-03-02", actor=COORDINATOR)
        store.records.add_assessment(
            name, sid, "baseline", "pp_nrs", {"score": 5}, actor=COORDINATOR
        )
    ae = store.records.add_adverse_event(
        name, "S01", actor=COORDINATOR, term="itch", severity="mild", serious=False,
        related="possible", outcome="recovering",
    )  # fmt: skip
    return name, ae.id


def _refused(store: Store, study: str, calls: list[Callable[[], object]]) -> None:
    before = len(store.audit.raw_rows(study))
    for call in calls:
        with pytest.raises(StateError, match="locked"):
            call()
    assert len(store.audit.raw_rows(study)) == before  # nothing written


def test_a_record_lock_refuses_changes_until_an_admin_unlocks(store: Store) -> None:
    name, ae = _study(store)
    lock = store.locks.lock(name, "record", actor=MONITOR, reason="SDV done",
                            entity="adverse_event", record_id=ae)  # fmt: skip
    _refused(store, name, [
        lambda: store.records.update(name, "adverse_event", ae, {"severity": "moderate"},
                                     actor=INVESTIGATOR, reason="regrade", expected_version=1),
        lambda: store.records.delete(name, "adverse_event", ae, actor=ADMIN, reason="dup",
                                     expected_version=1),
    ])  # fmt: skip
    other = store.records.add_adverse_event(
        name, "S01", actor=COORDINATOR, term="rash", severity="mild", serious=False,
        related="possible", outcome="recovering",
    )  # fmt: skip
    assert other.id != ae
    with pytest.raises(PermissionDeniedError):
        store.locks.unlock(name, lock.id, actor=MONITOR, reason="x")
    with pytest.raises(ValidationError):
        store.locks.unlock(name, lock.id, actor=ADMIN, reason=" ")
    lifted = store.locks.unlock(name, lock.id, actor=ADMIN, reason="query answered")
    assert not lifted.active
    store.records.update(name, "adverse_event", ae, {"severity": "moderate"},
                         actor=INVESTIGATOR, reason="regrade", expected_version=1)  # fmt: skip
    rows = [r for r in store.audit.raw_rows(name) if r.entity == "lock"]
    assert {r.reason for r in rows} >= {"SDV done", "query answered"}
    assert any(r.field == "unlocked_by" and r.new_value == "ada" for r in rows)
    assert replay_audit(store.audit.raw_rows(name)) == current_state(store, name)


def test_visit_and_subject_locks_cover_their_records(store: Store) -> None:
    name, _ = _study(store)
    store.locks.lock(name, "visit", actor=ADMIN, reason="visit reviewed",
                     subject_id="S01", visit_code="baseline")  # fmt: skip
    visit = store.subjects.detail(name, "S01", actor=ADMIN).visits
    baseline = next(v for v in visit if v.visit_code == "baseline")
    _refused(store, name, [
        lambda: store.records.add_assessment(name, "S01", "baseline", "poem", {
            f"q{i}": 0 for i in range(1, 8)}, actor=COORDINATOR),
        lambda: store.records.add_lab(name, "S01", "baseline", "eosinophils", 300, "/uL",
                                      actor=COORDINATOR),
        lambda: store.records.update(name, "visit", baseline.id, {"visit_date": "2026-03-03"},
                                     actor=ADMIN, reason="typo", expected_version=baseline.version),
    ])  # fmt: skip
    store.records.add_visit(name, "S01", "week_4", "2026-03-30", actor=COORDINATOR)  # not locked
    store.records.add_lab(name, "S02", "baseline", "eosinophils", 300, "/uL", actor=COORDINATOR)
    store.locks.lock(name, "subject", actor=MONITOR, reason="casebook reviewed", subject_id="S02")
    _refused(store, name, [
        lambda: store.records.add_visit(name, "S02", "week_4", "2026-03-30", actor=COORDINATOR),
        lambda: store.subjects.withdraw(name, "S02", actor=INVESTIGATOR, reason="moved"),
        lambda: store.subjects.transition(name, "S02", "treatment", actor=INVESTIGATOR),
    ])  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        store.locks.lock(name, "subject", actor=COORDINATOR, reason="x", subject_id="S01")
    with pytest.raises(ValidationError) as err:
        store.locks.lock(name, "visit", actor=ADMIN, reason="x", subject_id="S01",
                         visit_code="week_8")  # fmt: skip
    assert err.value.field == "visit_code"
    with pytest.raises(ValidationError):
        store.locks.lock(name, "casebook", actor=ADMIN, reason="x")


def test_the_database_lock_freezes_the_study_and_records_its_manifest(store: Store) -> None:
    name, _ = _study(store)
    store.subjects.screen(name, "s01", "S03", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    head = store.audit.verify(name).chains[0]
    with pytest.raises(PermissionDeniedError):
        store.locks.lock(name, "study", actor=MONITOR, reason="x")
    with pytest.raises(ValidationError) as err:
        store.locks.lock(name, "study", actor=ADMIN, reason="final", sap_sha256="nope")
    assert err.value.field == "sap_sha256"
    lock = store.locks.lock(name, "study", actor=ADMIN, reason="final data", sap_sha256="ab" * 32)
    assert lock.manifest["audit_chain"] == {
        "length": head.length, "head_hash": head.head_hash, "verified": True,
    }  # fmt: skip
    assert lock.manifest["sap_sha256"] == "ab" * 32
    from autoserum.store.models import AllocationListRow

    with store.uow.read() as s:
        digests = {r.stratum: r.digest for r in s.query(AllocationListRow)}
    assert lock.manifest["allocation_lists"] == digests
    assert digests  # the site's list exists
    _refused(store, name, [
        lambda: store.subjects.screen(name, "s01", "S04", ELIGIBLE, screened_on=SCREENED_ON,
                                      actor=COORDINATOR),
        lambda: store.subjects.randomise(name, "S03", actor=INVESTIGATOR),
        lambda: store.records.add_visit(name, "S01", "week_4", "2026-03-30", actor=COORDINATOR),
        lambda: store.records.add_assessment(name, "S02", "baseline", "poem",
                                             {f"q{i}": 0 for i in range(1, 8)}, actor=ADMIN),
        lambda: store.studies.add_site(name, "s02", "Busan", actor=ADMIN),
        lambda: store.locks.lock(name, "study", actor=ADMIN, reason="again"),
    ])  # fmt: skip
    assert store.locks.database_lock(name) == lock
    store.locks.unlock(name, lock.id, actor=ADMIN, reason="late lab result to enter")
    assert store.locks.database_lock(name) is None
    store.records.add_visit(name, "S01", "week_4", "2026-03-30", actor=COORDINATOR)
    assert replay_audit(store.audit.raw_rows(name)) == current_state(store, name)


def test_a_whole_study_export_with_arms_needs_the_database_lock(store: Store) -> None:
    from tests.store.helpers import UNBLINDED_STATISTICIAN

    name, _ = _study(store)
    assert "arm" in store.exports.long(name, actor=ADMIN).columns  # the database owner
    assert "arm" not in store.exports.long(name, actor=UNBLINDED_STATISTICIAN).columns
    assert "arm" not in store.exports.adverse_events(name, actor=UNBLINDED_STATISTICIAN).columns
    lock = store.locks.lock(name, "study", actor=ADMIN, reason="final data")
    frame = store.exports.long(name, actor=UNBLINDED_STATISTICIAN)
    assert set(frame["arm"].drop_nulls().to_list()) <= {"serum", "placebo"}
    assert frame["arm"].drop_nulls().len() > 0
    from tests.store.helpers import STATISTICIAN

    assert "arm" not in store.exports.long(name, actor=STATISTICIAN).columns  # still blinded
    store.locks.unlock(name, lock.id, actor=ADMIN, reason="reopened")
    assert "arm" not in store.exports.long(name, actor=UNBLINDED_STATISTICIAN).columns
