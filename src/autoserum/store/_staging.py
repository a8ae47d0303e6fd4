"""The staging studies of imports: the lease an import holds on its staging study while it
writes it, and the removal of staging studies whose import ended without publishing them (a
killed or failed process).

An import that creates its study writes it under a hidden staging name
(:data:`~autoserum.store._base.STAGING_PREFIX` + a random suffix, see ``store/_importer.py``).
Before creating it, the import takes a **lease** on the name and holds it until it has published
(renamed) the study or given up:

- SQLite: an exclusive ``flock`` on ``<db>-<staging name>`` beside the database file;
- PostgreSQL: a session-level advisory lock (on a connection of its own) keyed by the name.

Both end with the process that holds them, whatever ends it (``SIGKILL`` included). A staging
study whose lease can be taken is therefore left over: :func:`remove_abandoned` (run by every
import before it writes) deletes its records in short audited transactions (the audit trail
keeps what was written and records the removal, with the reason :data:`REASON`) and renames the
empty study :data:`REMOVED_PREFIX` + its suffix: the study row stays, still hidden, so that its
id (its audit chain) is never given to another study (SQLite reuses the highest row id after a
delete). A staging study still being written by a live import is never touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, text

from autoserum.store._base import STAGING_PREFIX, SYSTEM, UnitOfWork
from autoserum.store.models import (
    AdverseEventRow,
    AllocationListRow,
    AllocationRow,
    AssessmentRow,
    ConMedRow,
    DeviationRow,
    InjectionRow,
    LabRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    VisitRow,
    VitalSignRow,
)

__all__ = ["REASON", "REMOVED_PREFIX", "lease", "remove_abandoned"]

REASON = "removal of the staging study of an import that did not finish"
"""The reason recorded in the audit trail for the removal of an abandoned staging study."""
REMOVED_PREFIX = f"{STAGING_PREFIX}removed~"
"""The name prefix of the (empty, hidden) study row left by a removed staging study."""
_BATCH = 500
# children before parents: what an import (or the study's creation) writes under a study
_RECORDS: tuple[type[Any], ...] = (
    DeviationRow,
    AdverseEventRow,
    ConMedRow,
    InjectionRow,
    LabRow,
    VitalSignRow,
    AssessmentRow,
    VisitRow,
    SubjectRow,
    AllocationListRow,
    SiteRow,
)


def _key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a staging name."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


def _path(engine: Engine, name: str) -> str:
    return f"{engine.url.database}-{name}"


@contextmanager
def _file_lock(path: str, *, wait: bool) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


@contextmanager
def _advisory(engine: Engine, name: str, *, wait: bool) -> Iterator[bool]:
    conn: Connection
    with engine.connect() as conn:
        call = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        got = conn.execute(text(f"SELECT {call}(:k)"), {"k": _key(name)}).scalar()
        conn.commit()
        try:
            yield got is not False
        finally:
            if got is not False:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
                conn.commit()


def _hold(engine: Engine, name: str, *, wait: bool) -> contextlib.AbstractContextManager[bool]:
    if engine.dialect.name == "postgresql":
        return _advisory(engine, name, wait=wait)
    if engine.url.database in (None, "", ":memory:"):
        return contextlib.nullcontext(True)  # one process: no other import can hold it
    return _file_lock(_path(engine, name), wait=wait)


@contextmanager
def lease(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lease on the staging study ``name`` for the ``with`` block (the import's
    writing of it); the lock file of SQLite is removed afterwards."""
    with _hold(engine, name, wait=True):
        yield
    _forget(engine, name)


def _forget(engine: Engine, name: str) -> None:
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        Path(_path(engine, name)).unlink(missing_ok=True)


def remove_abandoned(uow: UnitOfWork) -> list[str]:
    """Delete every staging study whose import no longer runs (its lease is free), with its
    records, in short audited write transactions; the names removed."""
    like = STAGING_PREFIX.replace("~", "~~").replace("%", "~%").replace("_", "~_")
    with uow.read() as s:
        names = list(
            s.scalars(select(StudyRow.name).where(StudyRow.name.like(f"{like}%", escape="~")))
        )
    removed = []
    for name in names:
        if name.startswith(REMOVED_PREFIX):
            continue
        with _hold(uow.engine, name, wait=False) as free:
            if not free:
                continue
            _remove(uow, name)
            removed.append(name)
        _forget(uow.engine, name)
    return removed


def _remove(uow: UnitOfWork, name: str) -> None:
    with uow.read() as s:
        study_id = s.scalar(select(StudyRow.id).where(StudyRow.name == name))
    if study_id is None:
        return
    with uow.write(SYSTEM, REASON) as s:  # not audited: reproducible from the lists' seeds
        lists = select(AllocationListRow.id).where(AllocationListRow.study_id == study_id)
        s.execute(delete(AllocationRow).where(AllocationRow.list_id.in_(lists)))
    for model in _RECORDS:
        while True:
            with uow.write(SYSTEM, REASON) as s:
                stmt = select(model).where(model.study_id == study_id).limit(_BATCH)
                batch = list(s.scalars(stmt))
                for row in batch:
                    s.delete(row)
            if len(batch) < _BATCH:
                break
    with uow.write(SYSTEM, REASON) as s:
        s.get_one(StudyRow, study_id).name = REMOVED_PREFIX + name.removeprefix(STAGING_PREFIX)
