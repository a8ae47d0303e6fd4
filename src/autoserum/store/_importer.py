"""The import of a tidy long file into the store: checked whole first, then written in short
transactions, visible all at once or not at all.

1. **Check** (no write): the file is read chunk by chunk (:mod:`autoserum.store._source`) and
   every row checked (:class:`autoserum.store._import.VisitChecker`); a bad row anywhere rejects
   the file before anything is written. Memory holds one chunk plus a few facts per subject.
2. **Write**: the file is read again and written in transactions sized to last about
   :data:`TARGET_SECONDS` each, with a pause of :data:`PAUSE_SECONDS` between them on SQLite,
   in which the writers of other processes waiting at the writer gate (``store/_gate.py``) take
   their turn. The import never holds the write lock for long, whatever the size of the file.
3. **Visibility**: an import that creates its study writes it under a hidden staging name
   (:data:`autoserum.store._base.STAGING_PREFIX` + a random suffix): no look-up by name and no
   study list sees it. The last transaction renames it to its name; until then nothing of the
   import is visible. An import holds a lease on its staging study while it writes it
   (``store/_staging.py``); one that fails or whose process is killed leaves only the hidden
   staging study, which the next import (of any name) removes, audited, once its lease is free;
   the next import of the same name works. An import into an existing study is written in one
   transaction (its rows join a study others read, and a partial import must never show): that
   holds the write lock for its write phase; import a large file as a new study. That
   transaction is its check point (:func:`_admit`): no import under a database lock, nor into
   a study with consent documents.

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
from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import NotFoundError, StateError, ValidationError
from autoserum.protocols import Protocol, resolve_protocol
from autoserum.store._base import STAGING_PREFIX, Actor, Service
from autoserum.store._conmeds import record_medication_deviations
from autoserum.store._edit import lab_fields
from autoserum.store._import import ParsedAE, ParsedSubject, ParsedVisit, VisitChecker
from autoserum.store._import import parse_adverse_events as _parse_aes
from autoserum.store._import import parse_con_meds as _parse_con_meds
from autoserum.store._locks import require_unlocked
from autoserum.store._records import evaluate_windows
from autoserum.store._source import TidySource
from autoserum.store._staging import lease, remove_abandoned
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
)
from autoserum.study.labs import ANALYTES
from autoserum.study.locks import Target
from autoserum.study.status import SubjectStatus
from autoserum.study.tidy import SUBJECT_COLUMNS

__all__ = ["PAUSE_SECONDS", "TARGET_SECONDS", "ImportSummary", "Importer"]

TARGET_SECONDS = 0.1
"""How long one write transaction of an import should last (its size adapts to reach it)."""
PAUSE_SECONDS = 0.1
"""SQLite: the pause between two write transactions of an import, in which the writers of other
processes waiting at the writer gate (``store/_gate.py``) take their turn: the import takes at
most about half of the write lock's time."""
_FIRST_BATCH = 50
_MAX_BATCH = 5_000


class ImportSummary(dict[str, int]):
    """Counts of what an import wrote: subjects, visits, assessments, labs, adverse_events,
    con_meds."""


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
            raise ValidationError("study", study, f"a name not starting with {STAGING_PREFIX!r}")
        remove_abandoned(self._uow)
        new_protocol, plan, existing, started = self._target(study, protocol)
        subjects, columns, rows = self._check(source, plan, started)
        for subj in subjects.values():
            if subj.subject_id in existing:
                raise ValidationError(
                    "subject_id",
                    subj.subject_id,
                    "a subject not yet in the study",
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
            adverse_events=len(aes),
            con_meds=len(meds),
        )
        records = _Records(aes, meds)
        run = _Run(self, actor, f"import {source.name}", batched=new_protocol is not None)
        if new_protocol is not None:
            staging = f"{STAGING_PREFIX}{secrets.token_hex(8)}"
            with lease(self._uow.engine, staging):
                with run.transaction() as s:
                    row = new_study(
                        s, staging, new_protocol, secrets.randbelow(2**62), DEFAULT_ALLOCATION_N
                    )
                    study_id = row.id
                self._write_file(run, _Into(study_id, subjects, counts), source, plan, records)
                with run.transaction() as s:
                    if s.scalar(select(StudyRow.id).where(StudyRow.name == study)) is not None:
                        raise StateError(f"a study named {study!r} was created meanwhile")
                    st = s.get_one(StudyRow, study_id)
                    st.name, st.column_order = study, columns
            return counts
        with run.single():
            with run.transaction() as s:
                study_id = _admit(s, self._study(s, study))
            self._write_file(run, _Into(study_id, subjects, counts), source, plan, records)
            with run.transaction() as s:
                s.get_one(StudyRow, study_id).column_order = columns
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
                    raise NotFoundError(f"no study named {study!r}; give a protocol to create it")
                plan = resolve_protocol(protocol)
                return plan, plan, set(), None
            existing = set(
                s.scalars(select(SubjectRow.subject_id).where(SubjectRow.study_id == found.id))
            )
            return None, self._protocol(found), existing, found.start_date

    def _check(
        self, source: TidySource, plan: Protocol, started: date | None
    ) -> tuple[dict[str, ParsedSubject], list[str], int]:
        checker = VisitChecker(
            plan, blinded_ok=True, source=source.name, today=self._today(), started=started
        )
        columns: list[str] | None = None
        for line, chunk in source.chunks():
            if columns is None:
                columns = list(chunk.columns)
            checker.feed(chunk, first_line=line)
        return checker.finish(), columns or [], checker.rows

    def _write_file(
        self, run: _Run, into: _Into, source: TidySource, plan: Protocol, records: _Records
    ) -> None:
        """Write the checked file: visits with their records, adverse events, visit windows,
        concomitant medication (with the deviations the protocol's medication rules find)."""
        study_id, pks = into.study_id, into.pks
        with run.transaction() as s:
            for row in s.scalars(select(SiteRow).where(SiteRow.study_id == study_id)):
                into.sites[row.code] = row.id
        parser = VisitChecker(plan, blinded_ok=True, source=source.name, today=None)
        for line, chunk in source.chunks():
            visits = parser.feed(chunk, first_line=line)
            for piece in run.pieces(visits):
                with run.transaction() as s:
                    _write_visits(s, into, piece)
        for piece in run.pieces(records.adverse_events):
            with run.transaction() as s:
                for ae in piece:
                    s.add(
                        AdverseEventRow(
                            study_id=study_id, subject_pk=pks[ae.subject_id], version=1, **ae.fields
                        )
                    )
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
    require_unlocked(s, st, Target(), what="import into the study")
    if s.scalar(select(ConsentDocumentRow.id).where(ConsentDocumentRow.study_id == st.id).limit(1)):
        raise ValidationError(
            "study",
            st.name,
            "a study whose consent is not managed in autoserum: this study has consent "
            "documents, so its subjects are screened, consented and recorded one by one",
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
    subjects of the file (checked) and those written (id → primary key), the counts."""

    study_id: int
    subjects: dict[str, ParsedSubject]
    counts: ImportSummary
    sites: dict[str, int] = field(default_factory=dict)
    pks: dict[str, int] = field(default_factory=dict)


def _write_visits(s: Session, into: _Into, visits: list[ParsedVisit]) -> None:
    """Insert ``visits`` with their assessments and labs, and the sites and subjects they are
    the first rows of (a subject is inserted with its subject-level columns from the whole
    file)."""
    study_id, sites, pks, counts = into.study_id, into.sites, into.pks, into.counts
    subjects = into.subjects
    new_subjects: dict[str, SubjectRow] = {}
    for v in visits:
        if v.subject_id in pks or v.subject_id in new_subjects:
            continue
        subj = subjects[v.subject_id]
        if subj.site not in sites:
            site = SiteRow(study_id=study_id, code=subj.site, name=subj.site, version=1)
            s.add(site)
            s.flush()
            sites[subj.site] = site.id
        new_subjects[v.subject_id] = SubjectRow(
            study_id=study_id,
            site_id=sites[subj.site],
            subject_id=subj.subject_id,
            status=SubjectStatus.ENROLLED.value,
            arm=subj.arm,
            version=1,
            **{c: subj.covariates.get(c) for c in SUBJECT_COLUMNS},
        )
    if new_subjects:
        s.add_all(new_subjects.values())
        s.flush()
        pks.update((sid, r.id) for sid, r in new_subjects.items())
    rows = [
        (
            VisitRow(
                study_id=study_id,
                subject_pk=pks[v.subject_id],
                visit_code=v.visit,
                week=v.week,
                visit_date=v.visit_date,
                version=1,
            ),
            v,
        )
        for v in visits
    ]
    s.add_all(row for row, _ in rows)
    s.flush()
    for visit, v in rows:
        for code, (payload, total, band) in v.assessments.items():
            s.add(
                AssessmentRow(
                    study_id=study_id,
                    subject_pk=visit.subject_pk,
                    visit_id=visit.id,
                    instrument=code,
                    payload=payload,
                    total=total,
                    band=band,
                    version=1,
                )
            )
            counts["assessments"] += 1
        for analyte, value in v.labs.items():
            fields = lab_fields(analyte, value, ANALYTES[analyte].unit, None, None)
            s.add(
                LabRow(
                    study_id=study_id,
                    subject_pk=visit.subject_pk,
                    visit_id=visit.id,
                    analyte=analyte,
                    version=1,
                    **fields,
                )
            )
            counts["labs"] += 1
    s.flush()


def _flag_windows(s: Session, protocol: Protocol, day0_codes: set[str], pks: list[int]) -> None:
    """Place imported visits of the protocol in their windows (day 0: the dated visit planned
    at day 0) and record ``visit_window`` deviations, as for visits recorded live."""
    for row in s.scalars(select(SubjectRow).where(SubjectRow.id.in_(pks))):
        visits = s.scalars(select(VisitRow).where(VisitRow.subject_pk == row.id)).all()
        day0 = next(
            (v.visit_date for v in visits if v.visit_code in day0_codes and v.visit_date), None
        )
        if day0 is not None:
            row.day0 = day0
            evaluate_windows(s, protocol, row)
    s.flush()


class _Run:
    """The write transactions of one import: short ones sized to :data:`TARGET_SECONDS`
    (``batched``), or every write in one transaction (:meth:`single`)."""

    def __init__(self, service: Service, actor: Actor, reason: str, *, batched: bool) -> None:
        self._service = service
        self._actor = actor
        self._reason = reason
        self._batched = batched
        self._shared: Session | None = None
        self._size = _FIRST_BATCH
        self._pause = PAUSE_SECONDS if service._uow.engine.dialect.name == "sqlite" else 0.0
        self._last_end: float | None = None

    @contextmanager
    def single(self) -> Iterator[None]:
        """Every transaction opened inside is the one transaction of this block."""
        with self._service._uow.write(self._actor, self._reason) as s:
            self._shared = s
            try:
                yield
            finally:
                self._shared = None

    def transaction(self) -> AbstractContextManager[Session]:
        """A write transaction (the shared one inside :meth:`single`)."""
        if self._shared is not None:
            return _same(self._shared)
        return self._timed()

    @contextmanager
    def _timed(self) -> Iterator[Session]:
        if self._last_end is not None and self._pause:
            wait = self._pause - (time.monotonic() - self._last_end)
            if wait > 0:
                time.sleep(wait)
        start = time.monotonic()
        try:
            with self._service._uow.write(self._actor, self._reason) as s:
                yield s
        finally:
            self._last_end = time.monotonic()
        took = self._last_end - start
        if self._batched and took > 0:
            scale = min(2.0, max(0.25, TARGET_SECONDS / took))
            self._size = int(min(_MAX_BATCH, max(1, self._size * scale)))

    def pieces(self, items: list[Any]) -> Iterator[list[Any]]:
        """``items`` in pieces of the current batch size (all at once inside :meth:`single`)."""
        if self._shared is not None or not self._batched:
            if items:
                yield items
            return
        offset = 0
        while offset < len(items):
            size = self._size
            yield items[offset : offset + size]
            offset += size


@contextmanager
def _same(session: Session) -> Iterator[Session]:
    yield session
