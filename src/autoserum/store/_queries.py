"""Data queries in the store (``store.queries``): open a query on a record or one field of it,
answer it (optionally with the correction, in the same transaction, linked to the query), close,
re-open or cancel it; the thread, listings with ages and the dashboard's counts. Every step is
audited (``queries`` and ``query_messages`` rows). Rules: :mod:`autoserum.study.queries`."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from autoserum.errors import ConflictError, Expected, Message, NotFoundError, ValidationError
from autoserum.store._base import Actor, Service
from autoserum.store._records import RecordService
from autoserum.store._reviewed import record_fields, record_not_found, study_record
from autoserum.store._subjects import subject_by_pk
from autoserum.store._types import utcnow
from autoserum.store.models import QueryMessageRow, QueryRow, SiteRow, StudyRow, SubjectRow
from autoserum.study.checks import Finding
from autoserum.study.queries import (
    OPEN_STATUSES,
    QUERY_STATUSES,
    Query,
    QueryMessage,
    check_author,
    next_status,
)
from autoserum.study.rules import NOTE_MAX, bounded_text

__all__ = ["FINDING_MAX", "QueryService", "raise_finding", "raised_findings"]

FINDING_MAX = 300
"""The stored length of a finding's key (``queries.finding``)."""

_STEP_ACTION = {
    "answer": "answer_query",
    "close": "resolve_query",
    "reopen": "resolve_query",
    "cancel": "resolve_query",
}


def _message(row: QueryMessageRow) -> QueryMessage:
    return QueryMessage(row.id, row.kind, row.author, row.at, row.text, row.correction)


def _view(s: Session, row: QueryRow, now: datetime) -> Query:
    subject = subject_by_pk(s, row.subject_pk)
    site = s.get(SiteRow, subject.site_id)
    messages = s.scalars(
        select(QueryMessageRow)
        .where(QueryMessageRow.query_id == row.id)
        .order_by(QueryMessageRow.id)
    )
    end = row.closed_at or now
    return Query(
        id=row.id,
        subject_id=subject.subject_id,
        site="" if site is None else site.code,
        entity=row.entity,
        record_id=row.record_id,
        field=row.field,
        status=row.status,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        version=row.version,
        rule=row.rule,
        closed_at=row.closed_at,
        messages=tuple(_message(m) for m in messages),
        age_days=max(0, (end - row.opened_at).days),
    )


def _add_message(
    s: Session,
    row: QueryRow,
    kind: str,
    author: str,
    text: str,
    at: datetime,
    *,
    correction: Mapping[str, Any] | None = None,
) -> None:
    s.add(
        QueryMessageRow(
            study_id=row.study_id,
            subject_pk=row.subject_pk,
            query_id=row.id,
            kind=kind,
            author=author,
            at=at,
            text=text,
            correction=None if correction is None else dict(correction),
            version=1,
        )
    )


_RAISED = select(QueryRow.finding).where(  # raised_findings: built once
    QueryRow.study_id == bindparam("study"),
    QueryRow.finding.in_(bindparam("keys", expanding=True)),
)


def raised_findings(s: Session, study_id: int, findings: Iterable[Finding]) -> set[str]:
    """The keys (as stored) of those of ``findings`` a query was raised for already, any
    status: one statement for a subject's findings."""
    keys = {f.key[:FINDING_MAX] for f in findings}
    if not keys:
        return set()
    return set(s.scalars(_RAISED, {"study": study_id, "keys": sorted(keys)}))


def raise_finding(
    s: Session,
    study_id: int,
    subject_pk: int,
    finding: Finding,
    *,
    known: set[str] | None = None,
) -> bool:
    """Open a query for an automatic check's ``finding`` unless one was raised for it already
    (any status: a closed or cancelled query of the same finding is not raised again); the
    author is ``system:check:<rule>``. True iff a query was opened.

    ``known``: the keys already raised (:func:`raised_findings`), instead of a look-up per
    finding; a key raised here is added to it."""
    key = finding.key[:FINDING_MAX]
    if known is None:
        known = set()
        if (
            s.scalar(
                select(QueryRow.id).where(QueryRow.study_id == study_id, QueryRow.finding == key)
            )
            is not None
        ):
            return False
    elif key in known:
        return False
    known.add(key)
    now = utcnow()
    row = QueryRow(
        study_id=study_id,
        subject_pk=subject_pk,
        entity=finding.entity,
        record_id=finding.record_id,
        field=finding.field,
        status="open",
        rule=finding.rule,
        finding=key,
        opened_by=check_author(finding.rule),
        opened_at=now,
        version=1,
    )
    s.add(row)
    s.flush()
    _add_message(s, row, "open", row.opened_by, finding.text[:NOTE_MAX], now)
    return True


def _unblinded_only(st: StudyRow, entity: str, actor: Actor) -> bool:
    """Whether a query about a record of type ``entity`` is hidden from ``actor``: a record
    of the product chain (``UNBLINDED_ONLY``: its presence tells the arm) to a blinded
    actor, who neither reads, answers, closes, reopens, cancels nor raises one (answered as
    a missing query or record)."""
    if actor.sees_arm(st):
        return False
    from autoserum.store._trail import UNBLINDED_ONLY  # here: _trail imports us

    return entity in UNBLINDED_ONLY


class QueryService(Service):
    """``store.queries``: data queries and their threads."""

    def open(
        self,
        study: str,
        entity: str,
        record_id: int,
        text: str,
        *,
        actor: Actor,
        field: str | None = None,
    ) -> Query:
        """Open a query on record ``entity`` ``record_id`` (or its ``field``) with the question
        ``text`` (monitor, administrator; at the record's site)."""
        question = str(bounded_text("text", text, limit=NOTE_MAX))
        self._require(actor, "raise_query", study=study)
        with self._write(actor, "data query") as s:
            st = self._study(s, study)
            if _unblinded_only(st, entity, actor):  # as a missing record (study_record)
                raise record_not_found(entity, record_id, st.name)
            record = study_record(s, st, entity, record_id)
            subject = self._reach(s, st, record, actor, "raise_query")
            if field is not None and field not in record_fields(entity):
                raise ValidationError(
                    "field",
                    field,
                    Expected(
                        "a field of %(entity)s: %(values)s",
                        entity=entity,
                        values=", ".join(record_fields(entity)),
                    ),
                )
            now = utcnow()
            row = QueryRow(
                study_id=st.id,
                subject_pk=subject.id,
                entity=entity,
                record_id=record.id,
                field=field,
                status="open",
                opened_by=actor.username,
                opened_at=now,
                version=1,
            )
            s.add(row)
            s.flush()
            _add_message(s, row, "open", actor.username, question, now)
            s.flush()
            return _view(s, row, now)

    def step(
        self,
        study: str,
        query_id: int,
        step: str,
        text: str,
        *,
        actor: Actor,
        expected_version: int | None = None,
        changes: Mapping[str, Any] | None = None,
        record_version: int | None = None,
    ) -> Query:
        """Move a query on by ``step`` (answer: site staff; close, reopen, cancel: monitor,
        administrator) with a message. An answer may carry ``changes`` to the queried record
        (with the ``record_version`` the answerer saw): the correction is made in the same
        transaction, audited with the reason ``answer to query N: text``, and linked from the
        answer's message."""
        message = str(bounded_text("text", text, limit=NOTE_MAX))
        action = _STEP_ACTION.get(step)
        if action is None:
            raise ValidationError(
                "step", step, Expected("one of %(values)s", values=", ".join(_STEP_ACTION))
            )
        if changes and step != "answer":
            raise ValidationError(
                "changes", dict(changes), Expected("no changes (only an answer corrects)")
            )
        self._require(actor, action, study=study)
        with self._write(actor, f"{step} query {query_id}: {message}") as s:
            st = self._study(s, study)
            row = self._row(s, st, query_id, actor, action)
            if expected_version is not None and row.version != expected_version:
                raise ConflictError(
                    Message(
                        "query %(query_id)s is at version %(version)s, not "
                        "%(expected_version)s: reload it and retry",
                        query_id=query_id,
                        version=row.version,
                        expected_version=expected_version,
                    )
                )
            new_status = next_status(row.status, step)
            now = utcnow()
            correction = None
            if changes:
                if record_version is None:
                    raise ValidationError(
                        "record_version",
                        None,
                        Expected("the version of the queried record you saw"),
                    )
                updated = RecordService(self._uow).apply_update(
                    s, study, row.entity, row.record_id, changes, actor=actor,
                    expected_version=record_version,
                )  # fmt: skip
                correction = {
                    "entity": row.entity,
                    "record_id": row.record_id,
                    "version": getattr(updated, "version", None),
                    "fields": sorted(changes),
                }
            row.status = new_status
            row.closed_at = now if new_status in {"closed", "cancelled"} else None
            _add_message(s, row, step, actor.username, message, now, correction=correction)
            s.flush()
            return _view(s, row, now)

    def answer(
        self,
        study: str,
        query_id: int,
        text: str,
        *,
        actor: Actor,
        changes: Mapping[str, Any] | None = None,
        record_version: int | None = None,
    ) -> Query:
        """Answer a query (site staff), optionally with the correction (see :meth:`step`)."""
        return self.step(
            study, query_id, "answer", text, actor=actor, changes=changes,
            record_version=record_version,
        )  # fmt: skip

    def close(self, study: str, query_id: int, text: str, *, actor: Actor) -> Query:
        """Close a query (monitor)."""
        return self.step(study, query_id, "close", text, actor=actor)

    def reopen(self, study: str, query_id: int, text: str, *, actor: Actor) -> Query:
        """Re-open an answered or closed query (monitor)."""
        return self.step(study, query_id, "reopen", text, actor=actor)

    def cancel(self, study: str, query_id: int, text: str, *, actor: Actor) -> Query:
        """Cancel a query raised in error (monitor)."""
        return self.step(study, query_id, "cancel", text, actor=actor)

    def get(self, study: str, query_id: int, *, actor: Actor) -> Query:
        """One query with its thread (not found by a blinded actor if :meth:`list` leaves it
        out for them, as it is not found to answer, close, reopen or cancel: :meth:`_row`)."""
        self._require(actor, "read_subject", study=study)
        with self._read() as s:
            st = self._study(s, study)
            row = self._row(s, st, query_id, actor, "read_subject")
            return _view(s, row, utcnow())

    def list(
        self,
        study: str,
        *,
        actor: Actor,
        status: str | None = None,
        subject_id: str | None = None,
        site: str | None = None,
    ) -> list[Query]:
        """The study's queries at the sites the actor may read, oldest first; optionally of
        one ``status``, ``subject_id`` or ``site``; to a blinded actor, none about a record
        of the product chain (``UNBLINDED_ONLY``: its presence tells the arm)."""
        if status is not None and status not in QUERY_STATUSES:
            raise ValidationError(
                "status", status, Expected("one of %(values)s", values=", ".join(QUERY_STATUSES))
            )
        self._require(actor, "read_subject", study=study)
        now = utcnow()
        with self._read() as s:
            st = self._study(s, study)
            stmt = (
                select(QueryRow, SubjectRow.subject_id, SiteRow.code)
                .join(SubjectRow, SubjectRow.id == QueryRow.subject_pk)
                .join(SiteRow, SiteRow.id == SubjectRow.site_id)
                .where(QueryRow.study_id == st.id)
                .order_by(QueryRow.id)
            )
            if not actor.sees_arm(st):  # not about a record whose presence tells the arm
                from autoserum.store._trail import UNBLINDED_ONLY  # here: _trail imports us

                stmt = stmt.where(QueryRow.entity.not_in(UNBLINDED_ONLY))
            if status is not None:
                stmt = stmt.where(QueryRow.status == status)
            if subject_id is not None:
                stmt = stmt.where(SubjectRow.subject_id == subject_id)
            if site is not None:
                stmt = stmt.where(SiteRow.code == site)
            return [
                _view(s, row, now)
                for row, _, code in s.execute(stmt)
                if actor.may("read_subject", st.name, code)
            ]

    def summary(self, study: str, *, actor: Actor) -> builtins.list[dict[str, Any]]:
        """Per site the actor may read: the number of queries in each status, and of the
        open and answered ones the mean and the largest age in days."""
        rows: dict[str, dict[str, Any]] = {}
        for q in self.list(study, actor=actor):
            entry = rows.setdefault(
                q.site, {"site": q.site, **dict.fromkeys(QUERY_STATUSES, 0), "ages": []}
            )
            entry[q.status] += 1
            if q.status in OPEN_STATUSES:
                entry["ages"].append(q.age_days)
        out = []
        for code in sorted(rows):
            entry = rows[code]
            ages = entry.pop("ages")
            entry["mean_open_age_days"] = round(sum(ages) / len(ages), 1) if ages else None
            entry["max_open_age_days"] = max(ages) if ages else None
            out.append(entry)
        return out

    # --- helpers ------------------------------------------------------------------------
    def _reach(self, s: Session, st: StudyRow, record: Any, actor: Actor, action: str) -> Any:
        subject = record if isinstance(record, SubjectRow) else subject_by_pk(s, record.subject_pk)
        if not actor.may(action, st.name, self._site_code(s, subject.site_id)):
            raise NotFoundError(
                Message(
                    "no %(entity)s with id %(id)s in study %(name)s",
                    entity=type(record).__entity__,
                    id=record.id,
                    name=repr(st.name),
                )
            )
        return subject

    def _row(self, s: Session, st: StudyRow, query_id: int, actor: Actor, action: str) -> QueryRow:
        row = s.get(QueryRow, query_id) if isinstance(query_id, int) else None
        missing = NotFoundError(
            Message(
                "no query %(query_id)s in study %(name)s", query_id=query_id, name=repr(st.name)
            )
        )
        if row is None or row.study_id != st.id or _unblinded_only(st, row.entity, actor):
            raise missing
        subject = subject_by_pk(s, row.subject_pk)
        if not actor.may(action, st.name, self._site_code(s, subject.site_id)):
            raise missing
        return row
