"""Import and export of the tidy long format (docs/data-format.md) through the store."""

from __future__ import annotations

import secrets
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import NotFoundError, ValidationError
from autoserum.instruments import get_instrument
from autoserum.protocols import Protocol, resolve_protocol
from autoserum.store._base import Actor, Service
from autoserum.store._edit import lab_fields
from autoserum.store._import import (
    ParsedAE,
    ParsedSubject,
    ParsedVisit,
    parse_adverse_events,
    parse_visits,
)
from autoserum.store._records import evaluate_windows
from autoserum.store._studies import DEFAULT_ALLOCATION_N, new_study
from autoserum.store.models import (
    AdverseEventRow,
    AssessmentRow,
    LabRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    VisitRow,
)
from autoserum.study.entities import entity
from autoserum.study.labs import ANALYTES
from autoserum.study.status import SubjectStatus
from autoserum.study.tidy import (
    AE_COLUMNS,
    AE_SCHEMA,
    DERIVED_TOTALS,
    SUBJECT_COLUMNS,
    integer_items,
    visit_columns,
)

__all__ = ["ExportService", "ImportSummary"]

_KEEP = ("subject_id", "site", "week")
_AE_FIELDS = entity("adverse_event").exported


def _cell(value: Any) -> Any:
    """A stored value as a cell of the tidy export (an exact decimal as a float)."""
    return float(value) if isinstance(value, Decimal) else value


class ImportSummary(dict[str, int]):
    """Counts of what an import wrote: subjects, visits, assessments, labs, adverse_events."""


class ExportService(Service):
    """``store.exports``: the tidy long format in (import) and out (export)."""

    def import_long(
        self,
        study: str,
        frame: pl.DataFrame,
        *,
        actor: Actor,
        adverse_events: pl.DataFrame | None = None,
        source: str = "import",
        protocol: str | None = None,
    ) -> ImportSummary:
        """Load a visit frame (and optionally its adverse-event frame) into ``study``.

        All or nothing: every row is checked first; the first bad row raises
        :class:`ValidationError` naming its line and column and nothing is written. A file
        without an ``arm`` column (a blinded file) gives subjects without allocation. With
        ``protocol`` (a code or file) a study that does not exist yet is created in the same
        transaction.
        """
        self._require(actor, "import_data", study=study)
        new_protocol: Protocol | None = None
        existing: set[str] = set()
        with self._read() as s:
            found = s.scalar(select(StudyRow).where(StudyRow.name == study))
            if found is None:
                if protocol is None:
                    raise NotFoundError(f"no study named {study!r}; give a protocol to create it")
                new_protocol = plan = resolve_protocol(protocol)
            else:
                plan = self._protocol(found)
                existing = set(
                    s.scalars(select(SubjectRow.subject_id).where(SubjectRow.study_id == found.id))
                )
        subjects = parse_visits(frame, plan, blinded_ok=True, source=source, today=self._today())
        for subj in subjects:
            if subj.subject_id in existing:
                line = subj.visits[0].line
                raise ValidationError(
                    "subject_id",
                    subj.subject_id,
                    "a subject not yet in the study",
                    location=f"line {line}, column subject_id",
                )
        aes = (
            []
            if adverse_events is None
            else parse_adverse_events(
                adverse_events, {x.subject_id: x.arm for x in subjects}, source=source
            )
        )
        counts = ImportSummary(
            subjects=len(subjects), visits=0, assessments=0, labs=0, adverse_events=len(aes)
        )
        with self._write(actor, f"import {source}") as s:
            if new_protocol is not None:
                seed = secrets.randbelow(2**62)
                new_study(s, study, new_protocol, seed, DEFAULT_ALLOCATION_N)
            st = self._study(s, study)
            st.column_order = list(frame.columns)
            sites = {r.code: r for r in s.scalars(select(SiteRow).where(SiteRow.study_id == st.id))}
            for subj in subjects:
                if subj.site not in sites:
                    sites[subj.site] = SiteRow(
                        study_id=st.id, code=subj.site, name=subj.site, version=1
                    )
                    s.add(sites[subj.site])
            s.flush()
            self._write_subjects(s, st, sites, subjects, aes, counts)
            self._flag_windows(s, st, subjects)
        return counts

    @staticmethod
    def _write_subjects(
        s: Session,
        st: StudyRow,
        sites: dict[str, SiteRow],
        subjects: list[ParsedSubject],
        aes: list[ParsedAE],
        counts: ImportSummary,
    ) -> None:
        """Insert in three batches (subjects, visits, their records): three flushes in all."""
        rows = {
            subj.subject_id: SubjectRow(
                study_id=st.id,
                site_id=sites[subj.site].id,
                subject_id=subj.subject_id,
                status=SubjectStatus.ENROLLED.value,
                arm=subj.arm,
                version=1,
                **{c: subj.covariates.get(c) for c in SUBJECT_COLUMNS},
            )
            for subj in subjects
        }
        s.add_all(rows.values())
        s.flush()
        visits: list[tuple[VisitRow, ParsedVisit]] = []
        for subj in subjects:
            for v in subj.visits:
                row = VisitRow(
                    study_id=st.id,
                    subject_pk=rows[subj.subject_id].id,
                    visit_code=v.visit,
                    week=v.week,
                    visit_date=v.visit_date,
                    version=1,
                )
                visits.append((row, v))
        s.add_all(row for row, _ in visits)
        s.flush()
        counts["visits"] = len(visits)
        for visit, v in visits:
            for code, (payload, total, band) in v.assessments.items():
                s.add(
                    AssessmentRow(
                        study_id=st.id,
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
                        study_id=st.id,
                        subject_pk=visit.subject_pk,
                        visit_id=visit.id,
                        analyte=analyte,
                        version=1,
                        **fields,
                    )
                )
                counts["labs"] += 1
        for ae in aes:
            s.add(
                AdverseEventRow(
                    study_id=st.id, subject_pk=rows[ae.subject_id].id, version=1, **ae.fields
                )
            )
        s.flush()

    def _flag_windows(self, s: Session, st: StudyRow, subjects: list[ParsedSubject]) -> None:
        """Place imported visits of the protocol in their windows (day 0: the dated visit
        planned at day 0) and record ``visit_window`` deviations, as for visits recorded live."""
        protocol = self._protocol(st)
        day0_codes = {v.code for v in protocol.visits if v.day == 0}
        labels = {subj.subject_id for subj in subjects}
        rows = s.scalars(
            select(SubjectRow).where(
                SubjectRow.study_id == st.id, SubjectRow.subject_id.in_(labels)
            )
        ).all()
        for row in rows:
            visits = s.scalars(select(VisitRow).where(VisitRow.subject_pk == row.id)).all()
            day0 = next(
                (v.visit_date for v in visits if v.visit_code in day0_codes and v.visit_date),
                None,
            )
            if day0 is not None:
                row.day0 = day0
                evaluate_windows(s, protocol, row)
        s.flush()

    def long(self, study: str, *, actor: Actor) -> pl.DataFrame:
        """The study as a visit frame of the tidy long format: one row per subject × visit, in
        the column order of the last import (else the canonical order), columns without any value
        left out; no ``arm`` column when the
        actor may not see arms. Subjects outside the actor's sites are left out."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "export", study=st.name)
            sees = actor.sees_arm(st)
            order: list[str] = list(st.column_order or [])
            rows = self._visit_rows(s, st, actor)
        columns = [c for c in visit_columns() if sees or c != "arm"]
        data: dict[str, list[Any]] = {c: [r.get(c) for r in rows] for c in columns}
        keep = [c for c in columns if c in _KEEP or any(v is not None for v in data[c])]
        if not sees:
            keep = [c for c in keep if c != "arm"]
        if order:  # the shape of the last import first, then any other column
            keep = [c for c in order if c in keep] + [c for c in keep if c not in order]
        return pl.DataFrame({c: pl.Series(c, data[c], dtype=_dtype(c, data[c])) for c in keep})

    def adverse_events(self, study: str, *, actor: Actor) -> pl.DataFrame:
        """The adverse-event frame (``<stem>.ae.csv``); no ``arm`` when the actor is blinded."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "export", study=st.name)
            sees = actor.sees_arm(st)
            out: list[dict[str, Any]] = []
            stmt = (
                select(AdverseEventRow, SubjectRow)
                .join(SubjectRow, SubjectRow.id == AdverseEventRow.subject_pk)
                .where(AdverseEventRow.study_id == st.id)
                .order_by(SubjectRow.subject_id, AdverseEventRow.id)
            )
            for ae, subj in s.execute(stmt):
                if not actor.may("export", st.name, self._site_code(s, subj.site_id)):
                    continue
                out.append(
                    {
                        "subject_id": subj.subject_id,
                        "arm": subj.arm,
                        **{
                            f.export: _cell(getattr(ae, f.name))
                            for f in _AE_FIELDS
                            if f.export is not None
                        },
                    }
                )
        columns = [c for c in AE_COLUMNS if sees or c != "arm"]
        schema = {c: AE_SCHEMA[c] for c in columns}
        return pl.DataFrame([{c: r[c] for c in columns} for r in out], schema=schema, orient="row")

    def _visit_rows(self, s: Session, st: StudyRow, actor: Actor) -> list[dict[str, Any]]:
        subjects = {
            r.id: r
            for r in s.scalars(select(SubjectRow).where(SubjectRow.study_id == st.id))
            if actor.may("export", st.name, self._site_code(s, r.site_id))
        }
        assessments: dict[int, list[AssessmentRow]] = {}
        for a in s.scalars(select(AssessmentRow).where(AssessmentRow.study_id == st.id)):
            assessments.setdefault(a.visit_id, []).append(a)
        labs: dict[int, list[LabRow]] = {}
        for lab in s.scalars(select(LabRow).where(LabRow.study_id == st.id)):
            labs.setdefault(lab.visit_id, []).append(lab)
        rows: list[dict[str, Any]] = []
        for v in s.scalars(select(VisitRow).where(VisitRow.study_id == st.id)):
            subj = subjects.get(v.subject_pk)
            if subj is None:
                continue
            week = v.week if v.week is not None else (None if v.day is None else Fraction(v.day, 7))
            row: dict[str, Any] = {
                "subject_id": subj.subject_id,
                "arm": subj.arm,
                "site": self._site_code(s, subj.site_id),
                "week": None if week is None else float(week),
                "visit": v.visit_code,
                "visit_date": v.visit_date,
                "age": None if subj.age is None else float(subj.age),
                "sex": subj.sex,
                "per_protocol": subj.per_protocol,
                "treated": subj.treated,
                "_order": (subj.subject_id, week if week is not None else Decimal(0)),
            }
            for a in assessments.get(v.id, []):
                if a.total is not None:
                    row[a.instrument] = float(Fraction(a.total))
                if a.payload is not None and a.instrument not in DERIVED_TOTALS:
                    flat = get_instrument(a.instrument).flatten(a.payload)
                    row.update({f"{a.instrument}_{k}": val for k, val in flat.items()})
            for lab in labs.get(v.id, []):
                row[lab.analyte] = float(lab.value)
            rows.append(row)
        rows.sort(key=lambda r: r.pop("_order"))
        return rows


def _dtype(column: str, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if column == "visit_date":
        return pl.Date
    if column in {"per_protocol", "treated"}:
        return pl.Boolean
    if column in integer_items():
        return pl.Int64
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pl.Float64
    if not present and column in {"week", "age"}:
        return pl.Float64
    return pl.String
