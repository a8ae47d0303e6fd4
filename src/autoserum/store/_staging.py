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
import before it writes) deletes its records and renames the empty study :data:`REMOVED_PREFIX`
+ its suffix: the study row stays, still hidden, so that its id (its audit chain) is never given
to another study (SQLite reuses the highest row id after a delete). A staging study still being
written by a live import is never touched.

The records are deleted set-based, table by table in dependency order (children first), in
short write transactions of at most :data:`BATCH` rows each: one ``DELETE … WHERE study_id = ?
AND id <= ?`` over the batch's ids and one chained audit row per batch (action ``remove``, the
reason :data:`REASON`, ``old_value`` ``{"ids": [...]}``: the records' content is in the trail
already, in the import's own batch rows; replay removes each id). On SQLite the removal gives
way to writers of other processes between its transactions, as an import does.
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

from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.orm import Session

from autoserum.errors import Expected, Message, StateError, ValidationError
from autoserum.store._audit import AuditContext
from autoserum.store._base import STAGING_PREFIX, SYSTEM, UnitOfWork
from autoserum.store._chain import link
from autoserum.store._review import CHECKED_PER_WRITE
from autoserum.store._types import dumps
from autoserum.store.models import (
    AdverseEventRow,
    AllocationListRow,
    AllocationRow,
    AssessmentRow,
    AuditHeadRow,
    AuditRow,
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

__all__ = [
    "BATCH",
    "PUBLISHED_PREFIX",
    "REASON",
    "REMOVED_PREFIX",
    "chains_of",
    "lease",
    "publish",
    "remove_abandoned",
]

REASON = "removal of the staging study of an import that did not finish"
"""The reason recorded in the audit trail for the removal of an abandoned staging study."""
REMOVED_PREFIX = f"{STAGING_PREFIX}removed~"
"""The name prefix of the (empty, hidden) study row left by a removed staging study."""
BATCH = 5_000
"""The most records one write transaction of a removal deletes (≈ 0.1 s on SQLite)."""
_GIVE_WAY_SECONDS = 0.5
# children before parents: what an import (or the study's creation) writes under a study
PUBLISHED_PREFIX = f"{STAGING_PREFIX}published~"
"""The name prefix of the (emptied, hidden) study row of an import published into an existing
study: ``PUBLISHED_PREFIX + <the study's id> + "~" + <suffix>``; its audit chain holds the
import's audit rows and is read as part of that study's trail (:func:`chains_of`)."""
# the record tables whose rows an import into an existing study moves into it at publication
_MOVED: tuple[type[Any], ...] = (
    VisitRow,
    AssessmentRow,
    LabRow,
    VitalSignRow,
    AdverseEventRow,
    ConMedRow,
    DeviationRow,
)
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
    like = _like_prefix(STAGING_PREFIX)
    with uow.read() as s:
        names = list(
            s.scalars(select(StudyRow.name).where(StudyRow.name.like(f"{like}%", escape="~")))
        )
    removed = []
    for name in names:
        if name.startswith((REMOVED_PREFIX, PUBLISHED_PREFIX)):
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
            uow.give_way(_GIVE_WAY_SECONDS)
            with uow.write(SYSTEM, REASON) as s:
                done = _remove_batch(s, model, study_id)
            if done < BATCH:
                break
    with uow.write(SYSTEM, REASON) as s:
        s.get_one(StudyRow, study_id).name = REMOVED_PREFIX + name.removeprefix(STAGING_PREFIX)


def _remove_batch(s: Session, model: type[Any], study_id: int) -> int:
    """Delete up to :data:`BATCH` records of ``model`` of the study (the lowest ids) with one
    set-based ``DELETE`` and audit them with one chained ``remove`` row; how many."""
    ids = list(
        s.scalars(
            select(model.id).where(model.study_id == study_id).order_by(model.id).limit(BATCH)
        )
    )
    if not ids:
        return 0
    s.execute(
        delete(model).where(model.study_id == study_id, model.id <= ids[-1]),
        execution_options={"synchronize_session": False},
    )
    ctx = s.info.get("audit")
    if not isinstance(ctx, AuditContext):  # pragma: no cover - uow.write sets it
        raise StateError(Message("a removal outside an audited store transaction"))
    row = {
        "txn": ctx.txn,
        "at": ctx.at,
        "username": ctx.username,
        "role": ctx.role,
        "study_id": study_id,
        "subject_pk": None,
        "entity": model.__entity__,
        "record_id": ids[0],
        "action": "remove",
        "field": None,
        "old_value": dumps({"ids": ids}),
        "new_value": None,
        "reason": ctx.reason,
    }
    conn = s.connection()
    link(conn, [row])
    conn.execute(insert(AuditRow), [row])
    return len(ids)


def _like_prefix(prefix: str) -> str:
    return prefix.replace("~", "~~").replace("%", "~%").replace("_", "~_")


def chains_of(s: Session, study_id: int) -> list[int]:
    """The audit chains of study ``study_id``: its own and those of the imports published into
    it (their staging studies' chains, which hold the imports' audit rows), in id order."""
    like = _like_prefix(f"{PUBLISHED_PREFIX}{study_id}~") + "%"
    published = s.scalars(
        select(StudyRow.id).where(StudyRow.name.like(like, escape="~")).order_by(StudyRow.id)
    )
    return [study_id, *published]


def publish(s: Session, *, staging_id: int, target_id: int, columns: list[str]) -> dict[str, Any]:
    """Publish the staging study ``staging_id`` of an import into the existing study
    ``target_id``, in the session's (one, short) write transaction: its subjects and their
    records are moved into the study (set-based ``UPDATE``s of ``study_id``; a subject's site
    becomes the study's site of the same code, a site the study lacks is moved with them),
    the study takes the file's column order, the emptied staging study is renamed
    :data:`PUBLISHED_PREFIX` + the study's id + its suffix, and one chained audit row in the
    study's chain (action ``publish``) records it all: the staging study and the head of its
    chain (which holds every imported record, :func:`chains_of`), the sites merged and moved,
    the counts. Replay applies it (``store/replay.py``). A subject of the file added to the
    study meanwhile refuses the publication (:class:`ValidationError`; nothing moves). The
    publication, as returned."""
    clash = s.scalar(
        select(SubjectRow.subject_id)
        .where(
            SubjectRow.study_id == staging_id,
            SubjectRow.subject_id.in_(
                select(SubjectRow.subject_id).where(SubjectRow.study_id == target_id)
            ),
        )
        .limit(1)
    )
    if clash is not None:
        raise ValidationError(
            "subject_id",
            clash,
            Expected("a subject not yet in the study (it was added during the import)"),
        )
    theirs: dict[str, int] = {
        r.code: r.id
        for r in s.execute(select(SiteRow.code, SiteRow.id).where(SiteRow.study_id == target_id))
    }
    staged: dict[int, str] = {
        r.id: r.code
        for r in s.execute(select(SiteRow.id, SiteRow.code).where(SiteRow.study_id == staging_id))
    }
    merged = {sid: theirs[code] for sid, code in staged.items() if code in theirs}
    moved = sorted(sid for sid, code in staged.items() if code not in theirs)
    pks = list(s.scalars(select(SubjectRow.id).where(SubjectRow.study_id == staging_id)))
    counts: dict[str, int] = {"subject": len(pks)}
    for old, new in merged.items():
        s.execute(
            update(SubjectRow)
            .where(SubjectRow.study_id == staging_id, SubjectRow.site_id == old)
            .values(site_id=new),
            execution_options={"synchronize_session": False},
        )
    s.execute(
        update(SubjectRow).where(SubjectRow.study_id == staging_id).values(study_id=target_id),
        execution_options={"synchronize_session": False},
    )
    for model in _MOVED:
        done = s.execute(
            update(model).where(model.study_id == staging_id).values(study_id=target_id),
            execution_options={"synchronize_session": False},
        )
        counts[model.__entity__] = int(getattr(done, "rowcount", 0) or 0)
    if moved:
        s.execute(
            update(SiteRow).where(SiteRow.id.in_(moved)).values(study_id=target_id),
            execution_options={"synchronize_session": False},
        )
    if merged:
        s.execute(
            delete(SiteRow).where(SiteRow.id.in_(sorted(merged))),
            execution_options={"synchronize_session": False},
        )
    staging = s.get_one(StudyRow, staging_id)
    target = s.get_one(StudyRow, target_id)
    renamed = f"{PUBLISHED_PREFIX}{target_id}~{staging.name.removeprefix(STAGING_PREFIX)}"
    s.execute(
        update(StudyRow).where(StudyRow.id == staging_id).values(name=renamed),
        execution_options={"synchronize_session": False},
    )
    head = s.execute(
        select(AuditHeadRow.length, AuditHeadRow.head_hash).where(AuditHeadRow.chain == staging_id)
    ).one()
    target.column_order = columns
    s.flush()  # the column order's audit rows before the publication's
    published = {
        "from_study": staging_id,
        "staging": staging.name,
        "renamed": renamed,
        "chain": {"length": int(head.length), "head_hash": head.head_hash},
        "sites_merged": {str(k): v for k, v in sorted(merged.items())},
        "sites_moved": moved,
        "counts": counts,
    }
    ctx = s.info.get("audit")
    if not isinstance(ctx, AuditContext):  # pragma: no cover - uow.write sets it
        raise StateError(Message("a publication outside an audited store transaction"))
    row = {
        "txn": ctx.txn,
        "at": ctx.at,
        "username": ctx.username,
        "role": ctx.role,
        "study_id": target_id,
        "subject_pk": None,
        "entity": "study",
        "record_id": target_id,
        "action": "publish",
        "field": None,
        "old_value": None,
        "new_value": dumps(published),
        "reason": ctx.reason,
    }
    conn = s.connection()
    link(conn, [row])
    conn.execute(insert(AuditRow), [row])
    if len(pks) <= CHECKED_PER_WRITE:  # the review hook's checks, as for records written live
        touched = s.info.setdefault("touched", {})
        mark = touched.setdefault(target_id, ({}, set(), set()))
        for pk in pks:
            mark[0].setdefault(pk, set()).update(m.__entity__ for m in _MOVED)
    return published
