"""Reading the audit trail a page at a time, filtered in SQL (with arm-revealing values
masked for blinded readers and the rows of other sites' subjects left out in the query).

What a blinded reader reads of the trail must not differ by arm, in its values or in which
rows it holds. The fields and links the entity registry masks for blinded viewers
(:attr:`~autoserum.study.entities.EntitySpec.masked`) are :data:`ARM_REVEALING`: their values
read ``"blinded"``, in a deleted record and an import's batch whether set or not. An insert
audits only the fields it sets, so the audit rows of a masked *link* (a kit's source: only an
active arm's kit has one) are left out for a blinded reader (in the query), as are the rows of
the product chain's records that only unblinded viewers see (draws, processing, aliquots,
storage, disposals: ``EntitySpec.masked_for_blinded``), and a refused injection's reason
reads in source-neutral words (``kit KIT-0001 has expired``, ``the product belongs to another
subject``: :func:`~autoserum.study.aliquots.blinded_refusal`).
Unblinded readers read every row as written: the trail stays complete and its hash chain
unchanged.

A page is keyed by a cursor, the id of the last record read (``after``): the next page starts
after it, so paging is stable while new rows are appended. Malformed rows (which ``audit
verify`` reports) are skipped with a warning by every reader.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import takewhile
from typing import Any

from sqlalchemy import (
    Select,
    String,
    Text,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from autoserum.errors import Expected, Message, Note, NotFoundError, ValidationError
from autoserum.store import _chain
from autoserum.store._base import Actor, Service
from autoserum.store._staging import chains_of
from autoserum.store._types import UTCDateTime, dumps
from autoserum.store.models import (
    AUDITED,
    AuditRow,
    DeviationRow,
    LockRow,
    QueryMessageRow,
    QueryRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    VerificationRow,
)
from autoserum.study.aliquots import refusal_message
from autoserum.study.blinding import MASK
from autoserum.study.entities import PRODUCT_DEVIATION, REGISTRY

__all__ = [
    "ALL",
    "ARM_REVEALING",
    "DEFAULT_PAGE",
    "MAX_PAGE",
    "UNBLINDED_ONLY",
    "AuditFilter",
    "AuditPage",
    "AuditRecord",
    "AuditService",
]

logger = logging.getLogger("autoserum.store.audit")

MAX_PAGE = 1000
"""The most audit records one page holds (the API refuses a larger ``limit`` with 422)."""
DEFAULT_PAGE = 200
"""The page size when none is asked for."""
_EVENT_BATCH = 100

_COLUMNS = (
    AuditRow.id,
    AuditRow.txn,
    type_coerce(AuditRow.at, String).label("at"),
    AuditRow.username,
    AuditRow.role,
    AuditRow.study_id,
    AuditRow.subject_pk,
    AuditRow.entity,
    AuditRow.record_id,
    AuditRow.action,
    AuditRow.field,
    type_coerce(AuditRow.old_value, Text).label("old_value"),
    type_coerce(AuditRow.new_value, Text).label("new_value"),
    AuditRow.reason,
)
"""The columns readers select, the timestamp as its stored text (parsed per row, so that one
malformed row is skipped with a warning instead of failing the whole read)."""

ARM_REVEALING: frozenset[tuple[str, str]] = frozenset(
    {(spec.name, name) for spec in REGISTRY.values() for name in spec.masked}
    | {
        ("study", "seed"),
        ("allocation_list", "seed"),
        ("allocation_list", "digest"),
    }
)
"""(entity, field) pairs whose values would unblind a reader; masked for blinded actors: the
fields and links the entity registry masks (:attr:`~autoserum.study.entities.EntitySpec.masked`:
a subject's arm and allocation entry, the product injected and an injection's draw or aliquot,
a kit's product, preparer and source) and the allocation's seed and digest."""

_MASKED_LINKS: dict[str, tuple[str, ...]] = {
    spec.name: spec.masked_links for spec in REGISTRY.values() if spec.masked_links
}
"""Per record type, the masked links whose audit rows a blinded reader does not read (their
presence tells the arm: an insert audits the fields it sets)."""

UNBLINDED_ONLY: tuple[str, ...] = tuple(
    spec.name for spec in REGISTRY.values() if spec.masked_for_blinded
)
"""The record types whose mere presence reveals the arm (``EntitySpec.masked_for_blinded``:
the product chain but the kit): their audit rows are left out for a blinded reader, and so are
those of the queries (and their messages), verifications and locks about such a record and of
the deviation a processing adds (``PRODUCT_DEVIATION``), as blinded exports leave them out."""


def _audited_as(entity: str, field: str, values: Iterable[str]) -> Any:
    """The ids of the records of ``entity`` whose audit trail records ``field`` set to one of
    ``values``: what the record was, read from the trail itself, so that the rows of a record
    deleted since (a deviation entered in error) are told apart as those of a live one."""
    written = aliased(AuditRow)
    return select(written.record_id).where(
        written.entity == entity,
        written.field == field,
        written.new_value.in_([dumps(v) for v in values]),
    )


def _about_unblinded_only() -> list[Any]:
    """The conditions that leave out the audit rows of the records about a record of
    :data:`UNBLINDED_ONLY` (a query and its messages, a verification, a lock) and of a
    processing's deviation: by the record type (a deviation's kind) their rows record, and
    by the live record's (an imported one's rows record a batch)."""
    conds = []
    for model in (QueryRow, VerificationRow, LockRow):
        name = model.__entity__
        about = select(model.id).where(model.entity.in_(UNBLINDED_ONLY))
        conds.append(
            or_(
                AuditRow.entity != name,
                AuditRow.record_id.not_in(
                    union_all(about, _audited_as(name, "entity", UNBLINDED_ONLY))
                ),
            )
        )
    queries = select(QueryRow.id).where(QueryRow.entity.in_(UNBLINDED_ONLY))
    messages = select(QueryMessageRow.id).where(QueryMessageRow.query_id.in_(queries))
    conds.append(or_(AuditRow.entity != "query_message", AuditRow.record_id.not_in(messages)))
    deviations = select(DeviationRow.id).where(DeviationRow.kind == PRODUCT_DEVIATION)
    conds.append(
        or_(
            AuditRow.entity != "deviation",
            AuditRow.record_id.not_in(
                union_all(deviations, _audited_as("deviation", "kind", (PRODUCT_DEVIATION,)))
            ),
        )
    )
    return conds


@dataclass(frozen=True)
class AuditRecord:
    """One audit row: ``old_value``/``new_value`` are the decoded JSON values."""

    id: int
    txn: str
    at: datetime
    username: str
    role: str
    entity: str
    record_id: int
    action: str
    field: str | None
    old_value: Any
    new_value: Any
    reason: str | None
    subject_id: str | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``at`` as ISO 8601 UTC)."""
        out = dict(vars(self))
        out["at"] = self.at.isoformat().replace("+00:00", "Z")
        return out


@dataclass(frozen=True)
class AuditFilter:
    """What to narrow an audit trail to; every condition given must hold (in SQL).

    ``site`` is a site code of the study (the records of its subjects), ``username`` the
    author, ``since``/``until`` UTC calendar days (both inclusive).

    >>> AuditFilter(entity="visit", since=date(2026, 3, 1)).entity
    'visit'
    >>> AuditFilter(entity="nonsense")
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: entity: got 'nonsense'; expected one of ...
    """

    site: str | None = None
    subject_id: str | None = None
    username: str | None = None
    entity: str | None = None
    record_id: int | None = None
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.entity is not None and self.entity not in AUDITED:
            raise ValidationError(
                "entity",
                self.entity,
                Expected("one of %(values)s", values=", ".join(sorted(AUDITED))),
            )
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValidationError(
                "until",
                self.until.isoformat(),
                Expected("a day on or after since (%(since)s)", since=self.since),
            )


ALL = AuditFilter()
"""No narrowing: the whole trail the reader may see."""


def _for_blinded(stmt: Any) -> Any:
    """``stmt`` without the audit rows a blinded reader does not read (module docstring)."""
    stmt = stmt.where(AuditRow.entity.not_in(UNBLINDED_ONLY), *_about_unblinded_only())
    for name, links in _MASKED_LINKS.items():
        stmt = stmt.where(
            or_(AuditRow.entity != name, AuditRow.field.is_(None), AuditRow.field.not_in(links))
        )
    return stmt


def _mask_record(entity: str, value: Any) -> Any:
    """A whole record (a delete's ``old_value``) with its arm-revealing fields masked, set or
    not (a missing source would tell a saline kit)."""
    if not isinstance(value, dict):
        return value
    return {k: (MASK if (entity, k) in ARM_REVEALING else v) for k, v in value.items()}


def _mask_batch(entity: str, value: dict[str, Any]) -> dict[str, Any]:
    """An import's batch row with the arm-revealing fields of its records masked."""
    records = value.get("records")
    if not isinstance(records, dict):
        return value
    names = records.get("fields", [])
    hidden = [i for i, name in enumerate(names) if (entity, name) in ARM_REVEALING]
    if not hidden:
        return value
    rows = [
        [MASK if i in hidden else v for i, v in enumerate(row)] for row in records.get("values", [])
    ]
    return {**value, "records": {**records, "values": rows}}


@dataclass(frozen=True)
class AuditPage:
    """One page of an audit trail: its records, the cursor of the next page (``None`` on the
    last page; pass it as ``after``) and how many malformed rows were skipped."""

    records: list[AuditRecord]
    next_after: int | None
    skipped: int = 0


class AuditService(Service):
    """``store.audit``: the audit trail of a study, read a page at a time."""

    def page(
        self,
        study: str,
        *,
        actor: Actor,
        where: AuditFilter = ALL,
        after: int = 0,
        limit: int = DEFAULT_PAGE,
        whole_events: bool = False,
        blinded: bool = False,
    ) -> AuditPage:
        """Up to ``limit`` (at most :data:`MAX_PAGE`) audit records of ``study`` after the
        record id ``after``, oldest first, narrowed by ``where`` in SQL, and the cursor of the
        next page.

        Arm-revealing values (arm, allocation seed, injected product) are masked as
        ``"blinded"`` and the rows a blinded reader does not read left out (the module
        docstring) unless ``actor`` may see the study's arms and ``blinded`` (a blinded export
        asked for by someone who may) is not given; records of subjects outside the actor's
        sites are left out (in the query). With ``whole_events`` the page is extended
        to the end of its last change event (one record in one transaction), so an event is
        never split across pages. Malformed rows are skipped with a warning and counted.
        """
        _check_page(after, limit)
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "read_audit", study=st.name)
            masked = blinded or not actor.sees_arm(st)
            timed = _by_time(where)
            stmts = self._select(s, st, actor, where, timed=timed, masked=masked)
            if timed:
                at = None
                if after:
                    at = s.scalar(
                        select(type_coerce(AuditRow.at, String)).where(AuditRow.id == after)
                    )
                start = _timed_start(where.since, at, after)
            else:
                start = _cursor(where) > after
            rows = _first(s, stmts, start, limit + 1, timed=timed)
            more = len(rows) > limit
            rows = rows[:limit]
            if whole_events and more:
                more = _complete_event(s, stmts, rows, timed=timed)
            labels = _labels(s, {r.subject_pk for r in rows if r.subject_pk is not None})
            records, skipped = _decoded(rows, labels, masked=masked)
        cursor = rows[-1].id if more else None
        return AuditPage(records, next_after=cursor, skipped=skipped)

    def pages(
        self,
        study: str,
        *,
        actor: Actor,
        where: AuditFilter = ALL,
        limit: int = MAX_PAGE,
        blinded: bool = False,
    ) -> Iterator[AuditRecord]:
        """Every audit record of ``study`` that :meth:`page` would return, oldest first, read
        one page (one short read transaction) at a time: memory stays constant."""
        after: int | None = 0
        while after is not None:
            page = self.page(
                study, actor=actor, where=where, after=after, limit=limit, blinded=blinded
            )
            yield from page.records
            after = page.next_after

    def trail(
        self,
        study: str,
        *,
        actor: Actor,
        subject_id: str | None = None,
        entity: str | None = None,
        record_id: int | None = None,
    ) -> list[AuditRecord]:
        """The study's audit records ``actor`` may read, oldest first, optionally narrowed (a
        list of :meth:`pages`: for a short trail; page through a long one)."""
        where = AuditFilter(subject_id=subject_id, entity=entity, record_id=record_id)
        return list(self.pages(study, actor=actor, where=where))

    def _select(
        self,
        s: Session,
        st: StudyRow,
        actor: Actor,
        where: AuditFilter,
        *,
        timed: bool = False,
        masked: bool = False,
    ) -> list[Select[*tuple[Any, ...]]]:
        """The queries of ``st``'s audit rows that ``actor`` may read, narrowed by ``where``,
        ordered by id: one per audit chain of the study (its own, then those of the imports
        published into it, ``store/_staging.py:chains_of``), each walking its chain's index in
        id order (one ``IN`` over the chains would sort every row before the first page); with
        ``timed`` (a day range, :func:`_by_time`) in (time, id) order instead; ``masked``:
        without the rows a blinded reader does not read."""
        subject_pk = None
        if where.subject_id is not None:
            subject_pk = self._subject(s, st, where.subject_id, actor, action="read_audit").id
        stmt = self._narrowed(s, st, actor, where, select(*_COLUMNS), timed=timed)
        if masked:
            stmt = _for_blinded(stmt)
        out = []
        for chain in chains_of(s, st.id):
            cond: Any = AuditRow.study_id == chain
            if subject_pk is not None:
                # the subject's index alone (the study condition as an expression, see _cursor)
                cond = (AuditRow.subject_pk == subject_pk) & (AuditRow.study_id + 0 == chain)
            order = (AuditRow.at, AuditRow.id) if timed else (AuditRow.id,)
            out.append(stmt.where(cond).order_by(*order))
        return out

    def _narrowed(
        self,
        s: Session,
        st: StudyRow,
        actor: Actor,
        where: AuditFilter,
        stmt: Any,
        *,
        timed: bool = False,
    ) -> Select[*tuple[Any, ...]]:
        """``stmt`` narrowed by ``where`` and to what ``actor`` may read (every condition but
        the chain's; ``timed``: but the first day's, which the page's start condition holds,
        :func:`_timed_start`)."""
        if where.site is not None:
            site = self._site(s, st, where.site)
            if not actor.may("read_audit", st.name, site.code):  # answered like a missing one
                raise NotFoundError(
                    Message(
                        "no site %(site)s in study %(name)s",
                        site=repr(where.site),
                        name=repr(st.name),
                    )
                )
            of_site = select(SubjectRow.id).where(SubjectRow.site_id == site.id)
            stmt = stmt.where(AuditRow.subject_pk.in_(of_site.scalar_subquery()))
        if actor.sites is not None:
            codes = [
                code
                for code in s.scalars(select(SiteRow.code).where(SiteRow.study_id == st.id))
                if actor.may("read_audit", st.name, code)
            ]
            visible = (
                select(SubjectRow.id)
                .join(SiteRow, SiteRow.id == SubjectRow.site_id)
                .where(SubjectRow.study_id == st.id, SiteRow.code.in_(codes))
            )
            # rows without a subject, or of a visible subject; written on an expression of the
            # column so that the planner keeps the scan in id order (an index OR-union would
            # collect and sort every matching row of the study before the first page)
            stmt = stmt.where(
                func.coalesce(AuditRow.subject_pk, 0).in_(
                    union_all(select(literal(0)), visible).scalar_subquery()
                )
            )
        if where.username is not None:
            stmt = stmt.where(AuditRow.username == where.username)
        if where.entity is not None:
            stmt = stmt.where(AuditRow.entity == where.entity)
        if where.record_id is not None:
            stmt = stmt.where(AuditRow.record_id == where.record_id)
        if where.since is not None and not timed:
            stmt = stmt.where(AuditRow.at >= _midnight(where.since))
        if where.until is not None:
            stmt = stmt.where(AuditRow.at < _midnight(where.until + timedelta(days=1)))
        return stmt  # type: ignore[no-any-return]

    def raw_rows(self, study: str | None = None) -> list[AuditRecord]:
        """Every audit record unmasked (for replay and the database owner), oldest first;
        malformed rows are skipped with a warning (``audit verify`` reports them)."""
        with self._read() as s:
            stmt = select(*_COLUMNS)
            if study is not None:
                chains = chains_of(s, self._study(s, study).id)
                stmt = stmt.where(AuditRow.study_id.in_(chains))
            labels = _labels(s, None)
            records, _ = _decoded(s.execute(stmt.order_by(AuditRow.id)), labels, masked=False)
            return records

    def verify(
        self,
        study: str | None = None,
        *,
        key: bytes | None = None,
        anchors: Iterable[str] = (),
    ) -> _chain.Verification:
        """Recompute the audit hash chains (all, or ``study``'s) and check them against their
        heads, their HMACs (with ``key``) and head hashes exported earlier (``anchors``).

        The first broken link of each chain is reported with the row, the expected and the
        found hash; malformed rows are reported too. See :mod:`autoserum.store._chain`.
        """
        with self._read() as s:
            names: dict[int, str] = {
                int(r.id): str(r.name) for r in s.execute(select(StudyRow.id, StudyRow.name))
            }
            chains = None if study is None else chains_of(s, self._study(s, study).id)
            result = _chain.verify(s.connection(), chains=chains, key=key, anchors=anchors)
        result.chains = [dataclasses.replace(c, study=names.get(c.chain)) for c in result.chains]
        result.problems = [
            dataclasses.replace(p, study=names.get(p.chain)) for p in result.problems
        ]
        return result


def _check_page(after: int, limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValidationError(
            "limit", limit, Expected("an integer from 1 to %(max_page)s", max_page=MAX_PAGE)
        )
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise ValidationError("after", after, Expected("a record id (an integer >= 0)"))


def _cursor(where: AuditFilter) -> Any:
    """The id column the cursor compares. With a selective filter (a subject, a record, a day
    range), ``id + 0``: an expression, so that the planner reads the filter's index
    (``subject_pk``, ``entity, record_id``, ``study_id, at`` of 0009) instead of walking every
    row of the study in id order (SQLite picks the id walk for a plain ``id > ?``)."""
    selective = (
        where.subject_id is not None
        or where.record_id is not None
        or (where.since is not None and where.until is not None)
    )
    return AuditRow.id + 0 if selective else AuditRow.id


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _event_key(row: Any) -> tuple[str, str, int]:
    return (row.txn, row.entity, row.record_id)


def _by_time(where: AuditFilter) -> bool:
    """Whether a page is read in (time, id) order: with a day bound and no subject or record
    (whose own indexes are more selective). The index on (study, time) then holds the page's
    rows in its order, so a page is a range read however many rows the days hold (in id order
    every row of the range was sorted first: 0.7 s for a day of 802,500 imported rows); rows of
    one transaction share their time, so a change event stays whole."""
    has_days = where.since is not None or where.until is not None
    return has_days and where.subject_id is None and where.record_id is None


def _after(timed: bool, at: str | None, row_id: int) -> Any:
    """The rows after the row ``row_id`` (written at ``at``) in the page's order: by id, or by
    (time, id) (the time bound sargable, the id an expression so that the time index is read;
    a cursor that names no row: by id)."""
    if not timed or at is None:
        return (AuditRow.id + 0 if timed else AuditRow.id) > row_id
    text = type_coerce(AuditRow.at, String)
    return (text >= at) & ((text > at) | (AuditRow.id + 0 > row_id))


def _timed_start(since: date | None, at: str | None, after: int) -> Any:
    """Where a page in (time, id) order starts: after the cursor's row (written at ``at``) and
    on or after the day ``since``, with one lower bound on the time (the larger: SQLite's range
    read uses one)."""
    text = type_coerce(AuditRow.at, String)
    first = None if since is None else _STAMP.process_bind_param(_midnight(since), None)
    if at is None:
        cond = true() if first is None else text >= first
        return cond if not after else cond & (AuditRow.id + 0 > after)
    lower = at if first is None else max(at, first)
    return (text >= lower) & ((text > at) | (AuditRow.id + 0 > after))


def _first(
    s: Session, stmts: list[Select[*tuple[Any, ...]]], cond: Any, n: int, *, timed: bool = False
) -> list[Any]:
    """The first ``n`` rows (in the page's order) of the union of ``stmts`` (each ordered so)
    where ``cond`` holds: ``n`` rows of each, merged."""
    if len(stmts) == 1:
        return list(s.execute(stmts[0].where(cond).limit(n)))
    rows = [row for stmt in stmts for row in s.execute(stmt.where(cond).limit(n))]
    return sorted(rows, key=(lambda r: (r.at, r.id)) if timed else (lambda r: r.id))[:n]


def _complete_event(
    s: Session, stmts: list[Select[*tuple[Any, ...]]], rows: list[Any], *, timed: bool = False
) -> bool:
    """Append to ``rows`` the rest of its last change event (the rows right after it with the
    same transaction, entity and record); whether rows remain after that."""
    key = _event_key(rows[-1])
    while True:
        last = rows[-1]
        more = _first(s, stmts, _after(timed, last.at, last.id), _EVENT_BATCH, timed=timed)
        same = list(takewhile(lambda r: _event_key(r) == key, more))
        rows += same
        if len(same) < len(more):
            return True
        if len(more) < _EVENT_BATCH:
            return False


def _labels(s: Session, pks: set[int] | None) -> dict[int, str]:
    """Subject identifiers by primary key (of ``pks``, or of every subject)."""
    if pks is not None and not pks:
        return {}
    stmt = select(SubjectRow.id, SubjectRow.subject_id)
    if pks is not None:
        stmt = stmt.where(SubjectRow.id.in_(sorted(pks)))
    return {row.id: row.subject_id for row in s.execute(stmt)}


def _decoded(
    rows: Iterable[Any], labels: dict[int, str], *, masked: bool
) -> tuple[list[AuditRecord], int]:
    """The records of ``rows``, and how many malformed rows were skipped (with a warning)."""
    out: list[AuditRecord] = []
    skipped = 0
    for row in rows:
        if row.action in _chain.ACTIONS and row.entity in AUDITED:
            try:
                out.append(_record(row, labels, masked=masked))
                continue
            except (TypeError, ValueError):
                pass
        skipped += 1
        problem = _chain.malformation(row._mapping) or "it cannot be read"
        logger.warning("audit row %s is malformed and was skipped: %s", row.id, problem)
    return out, skipped


_STAMP = UTCDateTime()
_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _at(text: str) -> datetime:
    """A stored timestamp (``YYYY-MM-DDTHH:MM:SS.ffffffZ``, the format of
    :class:`autoserum.store._types.UTCDateTime`) as an aware UTC datetime."""
    if not isinstance(text, str) or not _AT.fullmatch(text):
        raise ValueError(f"not a stored UTC timestamp: {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def _record(row: Any, labels: dict[int, str], *, masked: bool) -> AuditRecord:
    at = _at(row.at)
    reason = row.reason
    old = None if row.old_value is None else json.loads(row.old_value)
    new = None if row.new_value is None else json.loads(row.new_value)
    if masked:
        if row.action == "import" and isinstance(new, dict):
            new = _mask_batch(row.entity, new)
        elif row.field is None:
            old = _mask_record(row.entity, old)
        elif (row.entity, row.field) in ARM_REVEALING:
            old = None if old is None else MASK
            new = None if new is None else MASK
        if row.action == "refused" and row.reason is not None:
            # a Note: the English text (as the API and the CSV carry it) and its message
            reason = Note(refusal_message(row.reason, blinded=True))
    return AuditRecord(
        id=row.id,
        txn=row.txn,
        at=at,
        username=row.username,
        role=row.role,
        entity=row.entity,
        record_id=row.record_id,
        action=row.action,
        field=row.field,
        old_value=old,
        new_value=new,
        reason=reason,
        subject_id=None if row.subject_pk is None else labels.get(row.subject_pk),
    )
