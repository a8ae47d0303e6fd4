"""The import of a tidy long file into the store: checked whole first, then written in short
transactions, visible all at once or not at all.

1. **Check** (no write): the file is read chunk by chunk (:mod:`autoserum.store._source`) and
   every row checked (:class:`autoserum.store._import.VisitChecker`); a bad row anywhere rejects
   the file before anything is written. Memory holds one chunk plus a few facts per subject.
2. **Write**: the file is read again and written in transactions sized to last about
   :data:`TARGET_SECONDS` each; on SQLite, before each of them the import gives way to every
   writer of another process waiting at the writer gate (``store/_gate.py``), for at most
   :data:`GIVE_WAY_SECONDS`, so a server's writers are not queued behind the import. Each
   transaction inserts its rows with one executemany insert per record type and audits them
   with one chained audit row per record type (``store/_audit.py:insert_imported``: the
   records, the file's SHA-256 and line range, a SHA-256 of the batch's content). The import
   never holds the write lock for long, whatever the size of the file.
3. **Visibility**: every import writes into a hidden staging study
   (:data:`autoserum.store._base.STAGING_PREFIX` + a random suffix): no look-up by name and
   no study list sees it. Its last transaction publishes it: a new study is renamed to its
   name; for an existing study the records are moved into it by set-based updates and a
   ``publish`` row is chained (``store/_staging.py:publish``). Until then nothing of the
   import is visible. An import holds a lease on its staging study while it writes it
   (``store/_staging.py``); one that fails or whose process is killed leaves only the hidden
   staging study, which the next import (of any name) removes, audited, once its lease is
   free; the next import works. An import into an existing study is checked in its first
   transaction and again at its publication (:func:`_admit`): no import under a database
   lock, nor into a study with consent documents.

The audit trail records each imported record as usual, with the reason ``import <file>``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autoserum.errors import Expected, Message, NotFoundError, StateError, ValidationError
from autoserum.protocols import Protocol, resolve_protocol
from autoserum.store._audit import ImportBatch, insert_imported
from autoserum.store._base import STAGING_PREFIX, Actor, Service
from autoserum.store._conmeds import record_medication_deviations
from autoserum.store._edit import lab_fields
from autoserum.store._import import CheckedVisits, ParsedAE, ParsedSubject, VisitChecker
from autoserum.store._import import parse_adverse_events as _parse_aes
from autoserum.store._import import parse_con_meds as _parse_con_meds
from autoserum.store._locks import require_unlocked
from autoserum.store._records import evaluate_windows
from autoserum.store._source import TidySource
from autoserum.store._staging import lease, publish, remove_abandoned
from autoserum.store._studies import DEFAULT_ALLOCATION_N, new_study
from autoserum.store.models import (
    AdverseEventRow,
    AssessmentRow,
    ConMedRow,
    ConsentDocumentRow,
    LabRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    VisitRow,
    VitalSignRow,
)
from autoserum.study.labs import ANALYTES
from autoserum.study.locks import Target
from autoserum.study.status import SubjectStatus
from autoserum.study.tidy import SUBJECT_COLUMNS
from autoserum.study.vitals import VITAL_SIGNS

__all__ = ["GIVE_WAY_SECONDS", "TARGET_SECONDS", "ImportSummary", "Importer"]

TARGET_SECONDS = 0.25
"""How long one write transaction of an import should last (its size adapts to reach it)."""
GIVE_WAY_SECONDS = 0.5
"""SQLite: how long, at most, an import waits before each of its write transactions while
writers of other processes wait at the writer gate (``store/_gate.py``): they go first, all of
them, and the import still gets a turn at least every this many seconds."""
_FIRST_BATCH = 500
_MIN_BATCH = 50
_MAX_BATCH = 20_000


class ImportSummary(dict[str, int]):
    """Counts of what an import wrote: subjects, visits, assessments, labs, vital_signs,
    adverse_events, con_meds."""


class Importer(Service):
    """Runs one import (see the module's docstring); used by ``store.exports``."""

    def run(
        self,
        study: str,
        source: TidySource,
        *,
        actor: Actor,
        adverse_events: pl.DataFrame | None = None,
        con_meds: pl.DataFrame | None = None,
        protocol: str | None = None,
    ) -> ImportSummary:
        """Check ``source`` whole, then write it (all or nothing); the counts written."""
        self._require(actor, "import_data", study=study)
        if study.startswith(STAGING_PREFIX):
            raise ValidationError(
                "study",
                study,
                Expected(
                    "a name not starting with %(staging_prefix)s",
                    staging_prefix=repr(STAGING_PREFIX),
                ),
            )
        remove_abandoned(self._uow)
        new_protocol, plan, existing, started = self._target(study, protocol)
        checker, columns = self._check(source, plan, started)
        subjects, rows = checker.finish(), checker.rows
        digest = source.sha256()
        for subj in subjects.values():
            if subj.subject_id in existing:
                raise ValidationError(
                    "subject_id",
                    subj.subject_id,
                    Expected("a subject not yet in the study"),
                    location=f"{source.name}, line {subj.line}, column 'subject_id'",
                )
        arms = {x.subject_id: x.arm for x in subjects.values()}
        aes = (
            []
            if adverse_events is None
            else _parse_aes(adverse_events, arms, plan, source=source.name)
        )
        meds = [] if con_meds is None else _parse_con_meds(con_meds, arms, source=source.name)
        counts = ImportSummary(
            subjects=len(subjects),
            visits=rows,
            assessments=0,
            labs=0,
            vital_signs=0,
            adverse_events=len(aes),
            con_meds=len(meds),
        )
        records = _Records(aes, meds)
        run = _Run(self, actor, f"import {source.name}")
        staging = f"{STAGING_PREFIX}{secrets.token_hex(8)}"
        with lease(self._uow.engine, staging):
            with run.transaction() as s:
                target_id = None
                if new_protocol is None:  # refused here (nothing written) under a lock
                    target_id = _admit(s, self._study(s, study))
                row = new_study(
                    s,
                    staging,
                    new_protocol or plan,
                    secrets.randbelow(2**62),
                    DEFAULT_ALLOCATION_N,
                )
                study_id = row.id
            into = _Into(
                study_id, subjects, counts, source.name, digest, review=False, checker=checker
            )
            self._write_file(run, into, source, plan, records)
            with run.transaction() as s:
                if target_id is None:
                    if s.scalar(select(StudyRow.id).where(StudyRow.name == study)) is not None:
                        raise StateError(
                            Message(
                                "a study named %(study)s was created meanwhile", study=repr(study)
                            )
                        )
                    st = s.get_one(StudyRow, study_id)
                    st.name, st.column_order = study, columns
                else:
                    _admit(s, s.get_one(StudyRow, target_id))  # a lock taken meanwhile
                    publish(s, staging_id=study_id, target_id=target_id, columns=columns)
        return counts

    def _target(
        self, study: str, protocol: str | None
    ) -> tuple[Protocol | None, Protocol, set[str], date | None]:
        """(protocol of a study to create, the protocol, subjects already in the study, the
        study's start date)."""
        with self._read() as s:
            found = s.scalar(select(StudyRow).where(StudyRow.name == study))
            if found is None:
                if protocol is None:
                    raise NotFoundError(
                        Message(
                            "no study named %(study)s; give a protocol to create it",
                            study=repr(study),
                        )
                    )
                plan = resolve_protocol(protocol)
                return plan, plan, set(), None
            existing = set(
                s.scalars(select(SubjectRow.subject_id).where(SubjectRow.study_id == found.id))
            )
            return None, self._protocol(found), existing, found.start_date

    def _check(
        self, source: TidySource, plan: Protocol, started: date | None
    ) -> tuple[VisitChecker, list[str]]:
        checker = VisitChecker(
            plan, blinded_ok=True, source=source.name, today=self._today(), started=started
        )
        columns: list[str] | None = None
        for line, chunk in source.chunks():
            if columns is None:
                columns = list(chunk.columns)
            checker.feed(chunk, first_line=line)
        return checker, columns or []

    def _write_file(
        self, run: _Run, into: _Into, source: TidySource, plan: Protocol, records: _Records
    ) -> None:
        """Write the checked file: visits with their records, adverse events, visit windows,
        concomitant medication (with the deviations the protocol's medication rules find)."""
        study_id, pks = into.study_id, into.pks
        with run.transaction() as s:
            for row in s.scalars(select(SiteRow).where(SiteRow.study_id == study_id)):
                into.sites[row.code] = row.id
        for line, chunk in source.chunks():
            visits = into.checker.rows_of(chunk, first_line=line)
            for start, stop in run.ranges(len(visits)):
                with run.transaction() as s:
                    _write_visits(s, into, visits.piece(start, stop))
        for piece in run.pieces(records.adverse_events):
            with run.transaction() as s:
                for ae in piece:
                    fields = dict(ae.fields)
                    # the event as of its last follow-up (a derived column: sets the version)
                    version = AdverseEventRow.version_of(fields.pop("follow_up", None))
                    s.add(
                        AdverseEventRow(
                            study_id=study_id, subject_pk=pks[ae.subject_id], version=version,
                            **fields,
                        )
                    )  # fmt: skip
        day0_codes = {v.code for v in plan.visits if v.day == 0}
        for piece in run.pieces(list(pks.values())):
            with run.transaction() as s:
                _flag_windows(s, plan, day0_codes, piece)
        for piece in run.pieces(records.con_meds):
            with run.transaction() as s:
                _write_con_meds(s, plan, study_id, pks, piece)


def _admit(s: Session, st: StudyRow) -> int:
    """The check point of an import into an existing study, inside its one write transaction
    (nothing is written when it refuses): no database lock (:class:`StateError`), and no
    consent documents, since subjects of a study whose consent is managed in autoserum are
    screened, consented and recorded one by one (:class:`ValidationError`). The study's id."""
    require_unlocked(s, st, Target(), what=Message("import into the study"))
    if s.scalar(select(ConsentDocumentRow.id).where(ConsentDocumentRow.study_id == st.id).limit(1)):
        raise ValidationError(
            "study",
            st.name,
            Expected(
                "a study whose consent is not managed in autoserum: this "
                "study has consent documents, so its subjects are screened, "
                "consented and recorded one by one"
            ),
        )
    return st.id


@dataclass(frozen=True)
class _Records:
    """The checked rows of an import's record files (adverse events, con-meds)."""

    adverse_events: list[ParsedAE]
    con_meds: list[ParsedAE]


def _write_con_meds(
    s: Session, plan: Protocol, study_id: int, pks: dict[str, int], meds: list[ParsedAE]
) -> None:
    """Insert imported con-meds (day 0 of their subjects known) and the deviations the
    protocol's medication rules find in them."""
    subjects = {
        r.id: r
        for r in s.scalars(
            select(SubjectRow).where(SubjectRow.id.in_({pks[m.subject_id] for m in meds}))
        )
    }
    for med in meds:
        row = ConMedRow(study_id=study_id, subject_pk=pks[med.subject_id], version=1, **med.fields)
        s.add(row)
        s.flush()
        record_medication_deviations(s, plan, subjects[row.subject_pk], row)


@dataclass
class _Into:
    """Where an import writes and what it wrote so far: the study, its sites (code → id), the
    subjects of the file (checked, and the checker that gives their rows) and those written
    (id → primary key), the counts; the
    file's name and SHA-256 (named by the import's audit rows); whether its writes are
    followed up by the review hook (an existing study; a new one has nothing to review)."""

    study_id: int
    subjects: dict[str, ParsedSubject]
    counts: ImportSummary
    file: str
    file_sha256: str
    review: bool
    checker: VisitChecker
    sites: dict[str, int] = field(default_factory=dict)
    pks: dict[str, int] = field(default_factory=dict)


def _write_visits(s: Session, into: _Into, piece: CheckedVisits) -> None:
    """Insert the checked rows ``piece`` with their assessments, labs and vital signs, and the
    sites and subjects they are the first rows of (a subject is inserted with its
    subject-level columns from the whole file): one executemany insert and one chained audit
    row per record type (:func:`autoserum.store._audit.insert_imported`)."""
    study_id, sites, pks, counts = into.study_id, into.sites, into.pks, into.counts
    batch = ImportBatch(into.file, into.file_sha256, piece.lines[0], piece.lines[-1])
    new = [sid for sid in dict.fromkeys(piece.subject_ids) if sid not in pks]
    subjects = [into.subjects[sid] for sid in new]
    for subj in subjects:
        if subj.site not in sites:
            site = SiteRow(study_id=study_id, code=subj.site, name=subj.site, version=1)
            s.add(site)
            s.flush()
            sites[subj.site] = site.id
    n = len(subjects)
    ids = insert_imported(
        s,
        SubjectRow,
        {
            "study_id": [study_id] * n,
            "site_id": [sites[subj.site] for subj in subjects],
            "subject_id": new,
            "status": [SubjectStatus.ENROLLED.value] * n,
            "arm": [subj.arm for subj in subjects],
            "version": [1] * n,
            **{c: [subj.covariates.get(c) for subj in subjects] for c in SUBJECT_COLUMNS},
        },
        batch=batch,
        review=into.review,
    )
    pks.update(zip(new, ids, strict=True))
    owners = [pks[sid] for sid in piece.subject_ids]
    n = len(piece)
    visit_ids = insert_imported(
        s,
        VisitRow,
        {
            "study_id": [study_id] * n,
            "subject_pk": owners,
            "visit_code": piece.codes,
            "week": piece.weeks,
            "visit_date": piece.dates,
            "version": [1] * n,
        },
        batch=batch,
        review=into.review,
    )
    assessments = [
        (pk, visit_id, code, payload, total, band)
        for pk, visit_id, row in zip(owners, visit_ids, piece.assessments, strict=True)
        for code, payload, total, band in row
    ]
    counts["assessments"] += len(
        insert_imported(
            s,
            AssessmentRow,
            _by_column(
                assessments,
                ("subject_pk", "visit_id", "instrument", "payload", "total", "band"),
                study_id=study_id,
            ),
            batch=batch,
            review=into.review,
        )
    )
    labs = [
        {
            "subject_pk": pk,
            "visit_id": visit_id,
            "analyte": analyte,
            **lab_fields(analyte, value, ANALYTES[analyte].unit, None, None),
        }
        for pk, visit_id, row in zip(owners, visit_ids, piece.labs, strict=True)
        for analyte, value in row
    ]
    _write_vitals(s, into, piece, owners, visit_ids)
    if labs:
        names = tuple(labs[0])
        counts["labs"] += len(
            insert_imported(
                s,
                LabRow,
                _by_column(
                    [tuple(lab[k] for k in names) for lab in labs], names, study_id=study_id
                ),
                batch=batch,
                review=into.review,
            )
        )


def _write_vitals(
    s: Session, into: _Into, piece: CheckedVisits, owners: list[int], visits: list[int]
) -> None:
    """Insert the vital signs of the rows ``piece`` (one record per visit with any sign)."""
    rows = [
        (pk, visit_id, *(signs.get(name) for name in VITAL_SIGNS))
        for pk, visit_id, signs in zip(owners, visits, piece.vitals, strict=True)
        if signs
    ]
    if not rows:
        return
    batch = ImportBatch(into.file, into.file_sha256, piece.lines[0], piece.lines[-1])
    names = ("subject_pk", "visit_id", *VITAL_SIGNS)
    into.counts["vital_signs"] += len(
        insert_imported(
            s,
            VitalSignRow,
            _by_column(rows, names, study_id=into.study_id),
            batch=batch,
            review=into.review,
        )
    )


def _by_column(
    rows: list[tuple[Any, ...]], names: tuple[str, ...], *, study_id: int
) -> dict[str, list[Any]]:
    """Records given as tuples of ``names``, column by column, with their study and version."""
    n = len(rows)
    columns: dict[str, list[Any]] = {"study_id": [study_id] * n, "version": [1] * n}
    if rows:
        for name, values in zip(names, zip(*rows, strict=True), strict=True):
            columns[name] = list(values)
    else:
        columns.update((name, []) for name in names)
    return columns


def _flag_windows(s: Session, protocol: Protocol, day0_codes: set[str], pks: list[int]) -> None:
    """Place imported visits of the protocol in their windows (day 0: the dated visit planned
    at day 0) and record ``visit_window`` deviations, as for visits recorded live; only the
    subjects with a dated day-0 visit are read."""
    if not day0_codes or not pks:
        return
    found = s.execute(
        select(VisitRow.subject_pk, func.min(VisitRow.visit_date))
        .where(
            VisitRow.subject_pk.in_(pks),
            VisitRow.visit_code.in_(sorted(day0_codes)),
            VisitRow.visit_date.is_not(None),
        )
        .group_by(VisitRow.subject_pk)
    )
    day0: dict[int, date] = {int(pk): when for pk, when in found}
    if not day0:
        return
    for row in s.scalars(select(SubjectRow).where(SubjectRow.id.in_(sorted(day0)))):
        row.day0 = day0[row.id]
        evaluate_windows(s, protocol, row)
    s.flush()


class _Run:
    """The write transactions of one import: short ones sized to :data:`TARGET_SECONDS`."""

    def __init__(self, service: Service, actor: Actor, reason: str) -> None:
        self._service = service
        self._actor = actor
        self._reason = reason
        self._size = _FIRST_BATCH
        self._last_end: float | None = None

    def transaction(self) -> AbstractContextManager[Session]:
        """A write transaction, given way to waiting writers of other processes first."""
        return self._timed()

    @contextmanager
    def _timed(self) -> Iterator[Session]:
        if self._last_end is not None:
            self._service._uow.give_way(GIVE_WAY_SECONDS)
        start = time.monotonic()
        try:
            with self._service._uow.write(self._actor, self._reason) as s:
                yield s
        finally:
            self._last_end = time.monotonic()
        took = self._last_end - start
        if took > 0:
            scale = min(2.0, max(0.25, TARGET_SECONDS / took))
            self._size = int(min(_MAX_BATCH, max(_MIN_BATCH, self._size * scale)))

    def ranges(self, count: int) -> Iterator[tuple[int, int]]:
        """(start, stop) of ``count`` items in pieces of the current batch size."""
        offset = 0
        while offset < count:
            size = self._size
            yield offset, min(count, offset + size)
            offset += size

    def pieces(self, items: list[Any]) -> Iterator[list[Any]]:
        """``items`` in pieces of the current batch size."""
        for start, stop in self.ranges(len(items)):
            yield items[start:stop]
