"""The audit chain's head is taken at the end of a write transaction, on both engines: every
statement of the write comes before the head's read (PostgreSQL: its row lock), and only the
head's update and the audit rows' insert after it; another write of the same study is not held
up by a transaction that has not reached its commit; a rolled-back write leaves no audit row and
the chain verifies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from autoserum.store import Store
from autoserum.store._audit import insert_audited
from autoserum.store.models import AdverseEventRow, AuditRow, StudyRow, SubjectRow
from tests.store.helpers import ADMIN, COORDINATOR, double_blind_study, enrolled


@contextmanager
def _statements(store: Store) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", note)


def _add_ae(store: Store, study: str, subject_id: str, term: str) -> int:
    ae = store.records.add_adverse_event(
        study, subject_id, actor=COORDINATOR, term=term, severity="mild", serious=False,
        related="unlikely", outcome="recovered", onset_date="2026-03-03",
    )  # fmt: skip
    return ae.id


def _insert_rash(s: Session, study: str, subject_id: str) -> None:
    """Insert an audited adverse event in the open write transaction ``s``."""
    st = s.scalar(select(StudyRow).where(StudyRow.name == study))
    subject = s.scalar(select(SubjectRow).where(SubjectRow.subject_id == subject_id))
    assert st is not None
    assert subject is not None
    row = AdverseEventRow(
        study_id=st.id, subject_pk=subject.id, term="rash", severity="mild",
        serious=False, related="unlikely", outcome="recovered", version=1,
    )  # fmt: skip
    insert_audited(s, row)


def _failing_write(store: Store, study: str) -> None:
    with store.uow.write(COORDINATOR, "a write that fails") as s:
        _insert_rash(s, study, "S01")
        raise RuntimeError("the write fails after its insert")


def _audit_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditRow)).scalar_one())


def test_head_is_read_after_every_other_statement_of_the_write(store: Store) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S01")
    with _statements(store) as seen:
        _add_ae(store, study, "S01", "headache")  # an AE: the review hook runs the checks too
    heads = [i for i, sql in enumerate(seen) if "audit_heads" in sql]
    assert heads, seen  # the chain moved
    first = heads[0]
    assert seen[first].startswith("SELECT"), seen[first]
    if store.dialect == "postgresql":
        assert seen[first].endswith("FOR UPDATE"), seen[first]
    after = seen[first + 1 :]
    # after the head's read: its update and the audit rows' insert, nothing else (PostgreSQL:
    # one statement, ``store/_chain.py:append``)
    if store.dialect == "postgresql":
        assert len(after) == 1, after
        assert after[0].startswith("WITH moved AS (UPDATE audit_heads"), after
        assert "INSERT INTO audit_log" in after[0], after
    else:
        assert len(after) == 2, after
        assert after[0].startswith("UPDATE audit_heads"), after
        assert after[1].startswith("INSERT INTO audit_log"), after
    # before it: the AE's insert and the review hook's reads (the checks)
    assert any(sql.startswith("INSERT INTO adverse_events") for sql in seen[:first])
    assert store.audit.verify().ok


def test_rolled_back_write_leaves_no_audit_row(store: Store) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S01")
    before = _audit_rows(store)
    with pytest.raises(RuntimeError, match="fails after its insert"):
        _failing_write(store, study)
    assert _audit_rows(store) == before
    _add_ae(store, study, "S01", "headache")  # the session's next transaction chains again
    assert _audit_rows(store) > before
    assert store.audit.verify().ok


# PostgreSQL only: SQLite has one writer at a time by design (the database write lock)
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_open_write_does_not_hold_up_another_write_of_the_study(store: Store) -> None:
    """PostgreSQL: a transaction that inserted an audited record but has not committed does not
    hold the study's chain head, so another write of the study commits meanwhile (before, the
    head was locked at the insert and the other write waited for the first one's commit)."""
    study = double_blind_study(store)
    enrolled(store, study, "S01")
    enrolled(store, study, "S02")  # the second write is of another subject (a subject's
    # writers queue on its row, the first writer's foreign key share-locks it)
    inserted, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def first_writer() -> None:
        try:
            with store.uow.write(ADMIN, "first writer") as s:
                _insert_rash(s, study, "S01")
                inserted.set()
                assert release.wait(60), "never released"
        except BaseException as err:  # reported by the test below
            failures.append(err)
            inserted.set()

    first = threading.Thread(target=first_writer)
    first.start()
    try:
        assert inserted.wait(60)
        second = threading.Thread(target=_add_ae, args=(store, study, "S02", "headache"))
        second.start()
        second.join(30)  # not a timing assertion: it waits for ever if the head is held
        assert not second.is_alive(), "the second write waited for the first one's commit"
    finally:
        release.set()
        first.join(60)
    assert not failures, failures
    assert store.audit.verify().ok
    with store.engine.connect() as conn:
        terms = set(conn.execute(select(AdverseEventRow.term)).scalars())
    assert {"rash", "headache"} <= terms
