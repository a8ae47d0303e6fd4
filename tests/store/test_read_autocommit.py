"""Short reads without ``BEGIN``/``COMMIT`` (``UnitOfWork.read(autocommit=True)``, PostgreSQL):
the read's connection is in autocommit mode, and a connection handed back to the pool is
transactional again for the next write (a failed write still leaves nothing behind)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from autoserum.store import Store
from autoserum.store.models import StudyRow
from tests.store.helpers import ADMIN, double_blind_study, enrolled

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _autocommit(session: Any) -> bool:
    return bool(session.connection().connection.dbapi_connection.autocommit)


def _failing_write(store: Store) -> None:
    with store.uow.write(ADMIN) as s:
        assert not _autocommit(s)
        s.add(
            StudyRow(
                name="NOPE", protocol_code="ast-nahm2023", protocol={}, open_label=False,
                has_run_in=False, seed=1, allocation_n=4, created_at=WHEN, version=1,
            )
        )  # fmt: skip
        s.flush()
        raise RuntimeError("the write fails after the insert")


# PostgreSQL only: SQLite reads keep their deferred BEGIN (no round trips to spare)
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_autocommit_read_then_transactional_write(store: Store) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S01")
    with store.uow.read(autocommit=True) as s:
        assert _autocommit(s)
        assert s.scalar(select(StudyRow.name).where(StudyRow.name == study)) == study
    with store.uow.read() as s:
        assert not _autocommit(s)
    # every pooled connection, the autocommit one included, writes transactionally
    for _ in range(3):
        with store.uow.read(autocommit=True) as s:
            assert _autocommit(s)
        with pytest.raises(RuntimeError, match="after the insert"):
            _failing_write(store)
    with store.uow.read(autocommit=True) as s:
        assert s.scalar(select(func.count()).where(StudyRow.name == "NOPE")) == 0


def test_subject_detail_reads_the_same_with_autocommit(store: Store) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S01")
    detail = store.subjects.detail(study, "S01", actor=ADMIN)
    assert detail.subject.subject_id == "S01"
    assert detail.subject.site == "s01"
    assert detail.subject.arm is not None  # the admin sees the arm
    assert [v.visit_code for v in detail.visits] == ["screening"]
