"""Import and export of the tidy long format (docs/data-format.md) through the store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.instruments import get_instrument
from autoserum.store._base import SYSTEM_CLI, Actor, Service
from autoserum.store._cdisc import con_med_frame, history_frame
from autoserum.store._importer import Importer, ImportSummary
from autoserum.store._locks import active_locks
from autoserum.store._odm import odm_bytes, odm_package
from autoserum.store._package import PackageContent, import_rows, read_package, read_records
from autoserum.store._pro_export import entries_by_subject, pro_rows, visit_values
from autoserum.store._redcap import redcap_content, redcap_files
from autoserum.store._source import FileSource, FrameSource, TidySource, read_whole
from autoserum.store.models import (
    AdverseEventRow,
    AssessmentRow,
    ComorbidityRow,
    ConMedRow,
    ConsentDocumentRow,
    ConsentRow,
    DeviationRow,
    LabRow,
    PriorTreatmentRow,
    StudyRow,
    SubjectRow,
    VisitRow,
    VitalSignRow,
)
from autoserum.study.consent import (
    COMPONENTS,
    CONSENT_EXPORT_COLUMNS,
    IDENTIFYING_CONSENT_COLUMNS,
)
from autoserum.study.entities import entity
from autoserum.study.history import BASELINE_HISTORY_COLUMNS, COMORBIDITIES, ad_duration
from autoserum.study.tidy import (
    AE_COLUMNS,
    AE_SCHEMA,
    CONMED_COLUMNS,
    CONMED_SCHEMA,
    DERIVED_TOTALS,
    PRO_SCHEMA,
    integer_items,
    visit_columns,
)
from autoserum.study.visits import per_protocol, study_week
from autoserum.study.vitals import VITAL_SIGNS

__all__ = ["ExportService", "ImportSummary", "PackageContent"]

_KEEP = ("subject_id", "site", "week")
#: The vital signs written as whole numbers (blood pressures, pulse).
_WHOLE_SIGNS = frozenset(name for name, sign in VITAL_SIGNS.items() if sign.whole)


def _cell(value: Any) -> Any:
    """A stored value as a cell of the tidy export (an exact decimal as a float)."""
    return float(value) if isinstance(value, Decimal) else value


def _whole_study_arms(s: Session, st: StudyRow, actor: Actor) -> bool:
    """Whether an export of the whole study carries the arms for ``actor``: the actor must
    see arms, and in a blinded study anyone but the database owner (an admin or the owner's
    CLI, :data:`SYSTEM_CLI`) also needs the database lock (unblinding the whole study for
    analysis comes after the lock)."""
    if not actor.sees_arm(st):
        return False
    if actor.role == "admin" or actor == SYSTEM_CLI or st.open_label:
        return True
    return any(lk.level == "study" for lk in active_locks(s, st.id))


class ExportService(Service):
    """``store.exports``: the tidy long format in (import) and out (export)."""

    def import_long(
        self,
        study: str,
        frame: pl.DataFrame,
        *,
        actor: Actor,
        adverse_events: pl.DataFrame | None = None,
        con_meds: pl.DataFrame | None = None,
        source: str = "import",
        protocol: str | None = None,
    ) -> ImportSummary:
        """Load a visit frame (and optionally its adverse-event and concomitant-medication
        frames) into ``study``.

        All or nothing: every row is checked first; the first bad row raises
        :class:`ValidationError` naming its line and column and nothing is written. A file
        without an ``arm`` column (a blinded file) gives subjects without allocation. With
        ``protocol`` (a code or file) a study that does not exist yet is created, written in
        short transactions and visible only once complete (``store/_importer.py``).
        """
        return self.import_source(
            study,
            FrameSource(frame, name=source),
            actor=actor,
            adverse_events=adverse_events,
            con_meds=con_meds,
            protocol=protocol,
        )

    def import_file(
        self,
        study: str,
        path: Path,
        *,
        actor: Actor,
        adverse_events: Path | None = None,
        con_meds: Path | None = None,
        protocol: str | None = None,
    ) -> ImportSummary:
        """As :meth:`import_long`, from a ``.csv`` or ``.parquet`` file streamed in chunks
        (memory does not grow with the number of rows); ``adverse_events`` and ``con_meds``
        are read whole."""
        return self.import_source(
            study,
            FileSource(path),
            actor=actor,
            adverse_events=None if adverse_events is None else read_whole(adverse_events),
            con_meds=None if con_meds is None else read_whole(con_meds),
            protocol=protocol,
        )

    def import_source(
        self,
        study: str,
        source: TidySource,
        *,
        actor: Actor,
        adverse_events: pl.DataFrame | None = None,
        con_meds: pl.DataFrame | None = None,
        protocol: str | None = None,
    ) -> ImportSummary:
        """Import a visit file read in chunks (see :meth:`import_long`)."""
        return Importer(self._uow).run(
            study,
            source,
            actor=actor,
            adverse_events=adverse_events,
            con_meds=con_meds,
            protocol=protocol,
        )

    def long(self, study: str, *, actor: Actor) -> pl.DataFrame:
        """The study as a visit frame of the tidy long format: one row per subject × visit, in
        the column order of the last import (else the canonical order), columns without any value
        left out; no ``arm`` column when the actor may not see arms, nor, in a blinded study,
        for anyone but the admin before the database lock. Subjects outside the actor's sites
        are left out."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "export", study=st.name)
            sees = _whole_study_arms(s, st, actor)
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

    def history(self, study: str, *, actor: Actor) -> pl.DataFrame:
        """The subject history of the report's baseline table: one row per subject the actor
        may export, columns :data:`autoserum.study.history.BASELINE_HISTORY_COLUMNS` (sex,
        ethnicity, race, Fitzpatrick type, disease duration in years, a flag per atopic
        comorbidity, the number of previous systemic treatments). No arm: the report takes
        it from the visit frame, blinded as that is."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "export", study=st.name)
            conditions: dict[int, set[str]] = {}
            for pk, condition in s.execute(
                select(ComorbidityRow.subject_pk, ComorbidityRow.condition).where(
                    ComorbidityRow.study_id == st.id
                )
            ):
                conditions.setdefault(pk, set()).add(condition)
            treated: dict[int, int] = {}
            for pk in s.scalars(
                select(PriorTreatmentRow.subject_pk).where(PriorTreatmentRow.study_id == st.id)
            ):
                treated[pk] = treated.get(pk, 0) + 1
            rows = []
            subjects = s.scalars(
                select(SubjectRow)
                .where(SubjectRow.study_id == st.id)
                .order_by(SubjectRow.subject_id)
            )
            for subj in subjects:
                if not actor.may("export", st.name, self._site_code(s, subj.site_id)):
                    continue
                duration = ad_duration(subj.age, subj.ad_onset_age)
                rows.append({
                    "subject_id": subj.subject_id, "sex": subj.sex, "ethnicity": subj.ethnicity,
                    "race": subj.race, "fitzpatrick": subj.fitzpatrick,
                    "ad_duration": None if duration is None else float(duration),
                    **{c: c in conditions.get(subj.id, set()) for c in COMORBIDITIES},
                    "prior_systemic": treated.get(subj.id, 0),
                })  # fmt: skip
        schema = {
            **dict.fromkeys(("subject_id", "sex", "ethnicity", "race", "fitzpatrick"), pl.String),
            "ad_duration": pl.Float64,
            **dict.fromkeys(COMORBIDITIES, pl.Boolean),
            "prior_systemic": pl.Int64,
        }
        return pl.DataFrame(rows, schema=schema, orient="row").select(BASELINE_HISTORY_COLUMNS)

    def adverse_events(self, study: str, *, actor: Actor) -> pl.DataFrame:
        """The adverse-event frame (``<stem>.ae.csv``); no ``arm`` when the actor is blinded."""
        return self._records(study, AdverseEventRow, AE_COLUMNS, AE_SCHEMA, actor=actor)

    def con_meds(self, study: str, *, actor: Actor) -> pl.DataFrame:
        """The concomitant-medication frame (``<stem>.conmed.csv``, columns
        :data:`autoserum.study.tidy.CONMED_COLUMNS`: the record's ``name`` as ``drug``); no
        ``arm`` when the actor is blinded."""
        return self._records(study, ConMedRow, CONMED_COLUMNS, CONMED_SCHEMA, actor=actor)

    def pro(self, study: str, *, actor: Actor) -> pl.DataFrame:
        """The self-report frame (``<stem>.pro.csv``, :data:`~autoserum.study.tidy.PRO_SCHEMA`):
        the raw entries the patients made and the derived weekly means of the diaries at each
        visit, of the subjects the actor may export."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "export", study=st.name)
            entries = entries_by_subject(s, st.id)
            visits: dict[int, list[VisitRow]] = {}
            for v in s.scalars(select(VisitRow).where(VisitRow.study_id == st.id)):
                visits.setdefault(v.subject_pk, []).append(v)
            out: list[dict[str, Any]] = []
            subjects = s.scalars(
                select(SubjectRow)
                .where(SubjectRow.study_id == st.id)
                .order_by(SubjectRow.subject_id)
            )
            for subj in subjects:
                if subj.id not in entries or not actor.may(
                    "export", st.name, self._site_code(s, subj.site_id)
                ):
                    continue
                out += pro_rows(
                    entries[subj.id], visits.get(subj.id, []), subject_id=subj.subject_id,
                    day0=subj.day0,
                )  # fmt: skip
        return pl.DataFrame(out, schema=PRO_SCHEMA, orient="row")

    def _records(
        self,
        study: str,
        model: type[Any],
        columns: Mapping[str, Any],
        schema: Mapping[str, Any],
        *,
        actor: Actor,
    ) -> pl.DataFrame:
        """The tidy frame of one record type of the subjects the actor may export: the subject,
        its arm (when the actor sees arms) and the record's exported fields."""
        fields = entity(model.__entity__).exported
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "export", study=st.name)
            sees = _whole_study_arms(s, st, actor)
            out: list[dict[str, Any]] = []
            stmt = (
                select(model, SubjectRow)
                .join(SubjectRow, SubjectRow.id == model.subject_pk)
                .where(model.study_id == st.id)
                .order_by(SubjectRow.subject_id, model.id)
            )
            for record, subj in s.execute(stmt):
                if not actor.may("export", st.name, self._site_code(s, subj.site_id)):
                    continue
                row = {
                    "subject_id": subj.subject_id,
                    "arm": subj.arm,
                    **{f.export: _cell(getattr(record, f.name)) for f in fields if f.export},
                }
                _weeks_from_dates(row, record, subj.day0)
                out.append(row)
        names = [c for c in columns if sees or c != "arm"]
        return pl.DataFrame(
            [{c: r[c] for c in names} for r in out],
            schema={c: schema[c] for c in names},
            orient="row",
        )

    def package(
        self, study: str, *, actor: Actor, blinded: bool = False, deidentified: bool = False
    ) -> PackageContent:
        """Every record of the study, per record type of the entity registry, with its
        Frictionless descriptor (:mod:`autoserum.study.package`; written by
        ``store/_package.write_package``). Arms and the product given are left out when
        ``blinded`` or when the actor may not see the whole study's arms; dates and fields
        naming people when ``deidentified`` or the actor is a statistician. Subjects outside
        the actor's sites are left out."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "export", study=st.name)
            arms = not blinded and _whole_study_arms(s, st, actor)
            hidden = deidentified or actor.role == "statistician"
            return read_records(s, st, actor, arms=arms, deidentified=hidden)

    def import_package(self, study: str, path: Path, *, actor: Actor) -> dict[str, int]:
        """Read a package written by :meth:`package` (a folder or ``.zip``) into the new study
        ``study``, all or nothing (an error names the file, line and column; nothing is
        written). Returns the number of records per record type."""
        self._require(actor, "manage_study")
        content = read_package(path)
        with self._write(actor, f"package import {path.name}") as s:
            return import_rows(s, study, content, today=self._today())

    def adam(
        self, study: str, *, actor: Actor, blinded: bool = False, deidentified: bool = False
    ) -> tuple[PackageContent, dict[str, pl.DataFrame]]:
        """The study's records (:meth:`package`) and its CDISC ADaM datasets (ADSL, ADQS,
        ADAE, ADCM: :func:`autoserum.analysis.adam_datasets`; ADSL with the subject history
        of the package's rows), blinded and de-identified as the package is."""
        from autoserum.analysis import adam_datasets

        content = self.package(study, actor=actor, blinded=blinded, deidentified=deidentified)
        visits = self.long(study, actor=actor)
        adverse = self.adverse_events(study, actor=actor)
        if content.descriptor["autoserum"]["blinded"]:
            visits, adverse = visits.drop("arm", strict=False), adverse.drop("arm", strict=False)
        frames = adam_datasets(
            study, visits, adverse_events=adverse, con_meds=con_med_frame(content),
            history=history_frame(content),
        )  # fmt: skip
        return content, frames

    def odm(
        self,
        study: str,
        *,
        actor: Actor,
        blinded: bool = False,
        deidentified: bool = False,
        with_audit: bool = False,
    ) -> bytes:
        """The study as one CDISC ODM 1.3.2 document (``store/_odm.py``): the records of
        :meth:`package` (blinded and de-identified alike), with the audit trail and the valid
        signatures the actor may read when ``with_audit`` (not with a de-identified export)."""
        content = self.package(study, actor=actor, blinded=blinded, deidentified=deidentified)
        return odm_bytes(
            self._uow, study, content, actor=actor, created=self._now(), with_audit=with_audit
        )

    def import_odm(self, study: str, path: Path, *, actor: Actor) -> dict[str, int]:
        """Read an ODM file written by :meth:`odm` into the new study ``study``, all or nothing
        (as :meth:`import_package`). Returns the number of records per record type."""
        self._require(actor, "manage_study")
        content = odm_package(path)
        with self._write(actor, f"ODM import {path.name}") as s:
            return import_rows(s, study, content, today=self._today())

    def redcap(
        self, study: str, *, actor: Actor, blinded: bool = False, deidentified: bool = False
    ) -> dict[str, bytes]:
        """The study as a REDCap project (``store/_redcap.py``): data dictionary, events,
        instrument-event mapping, repeating forms, records and the mapping, from the records
        of :meth:`package` (blinded and de-identified alike)."""
        content = self.package(study, actor=actor, blinded=blinded, deidentified=deidentified)
        return redcap_files(content)

    def import_redcap(
        self, study: str, dictionary: Path, records: Path, *, mapping: Path, actor: Actor
    ) -> dict[str, int]:
        """Read a REDCap project's export (dictionary and records, with the mapping naming
        which fields are which) into the new study ``study``, all or nothing."""
        self._require(actor, "manage_study")
        content = redcap_content(dictionary, records, mapping)
        with self._write(actor, f"REDCap import {records.name}") as s:
            return import_rows(s, study, content, today=self._today())

    def consents(self, study: str, *, actor: Actor) -> pl.DataFrame:
        """The consent frame (``<stem>.consent.csv``, columns
        :data:`autoserum.study.consent.CONSENT_EXPORT_COLUMNS`): one row per consent signed by
        a subject at the actor's sites; for a statistician (a de-identified export) the columns
        naming people are left empty."""
        masked = IDENTIFYING_CONSENT_COLUMNS if actor.role == "statistician" else frozenset()
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "export", study=st.name)
            documents = {
                d.id: d
                for d in s.scalars(
                    select(ConsentDocumentRow).where(ConsentDocumentRow.study_id == st.id)
                )
            }
            stmt = (
                select(ConsentRow, SubjectRow)
                .join(SubjectRow, SubjectRow.id == ConsentRow.subject_pk)
                .where(ConsentRow.study_id == st.id)
                .order_by(SubjectRow.subject_id, ConsentRow.consented_at, ConsentRow.id)
            )
            out: list[dict[str, Any]] = []
            for c, subj in s.execute(stmt):
                site = self._site_code(s, subj.site_id)
                if not actor.may("export", st.name, site):
                    continue
                doc = documents[c.document_id]
                row: dict[str, Any] = {
                    "subject_id": subj.subject_id,
                    "site": site,
                    "document_version": doc.document_version,
                    "language": doc.language,
                    "consented_at": c.consented_at.astimezone(UTC).isoformat(),
                    "obtained_by": c.obtained_by,
                    "witness": c.witness,
                    "representative": c.representative,
                    "withdrawn_on": c.withdrawn_on,
                    "withdrawal_reason": c.withdrawal_reason,
                }
                for name in COMPONENTS:
                    row[f"component_{name}"] = (c.components or {}).get(name)
                out.append({k: None if k in masked else v for k, v in row.items()})
        schema: dict[str, Any] = dict.fromkeys(CONSENT_EXPORT_COLUMNS, pl.String)
        schema.update({f"component_{n}": pl.Boolean for n in COMPONENTS})
        schema["withdrawn_on"] = pl.Date
        return pl.DataFrame(
            [{c: r[c] for c in CONSENT_EXPORT_COLUMNS} for r in out], schema=schema, orient="row"
        )

    def _visit_rows(self, s: Session, st: StudyRow, actor: Actor) -> list[dict[str, Any]]:
        subjects = {
            r.id: r
            for r in s.scalars(select(SubjectRow).where(SubjectRow.study_id == st.id))
            if actor.may("export", st.name, self._site_code(s, r.site_id))
        }
        assessments: dict[int, list[AssessmentRow]] = {}
        for a in s.scalars(select(AssessmentRow).where(AssessmentRow.study_id == st.id)):
            assessments.setdefault(a.visit_id, []).append(a)
        major = set(
            s.scalars(
                select(DeviationRow.subject_pk).where(
                    DeviationRow.study_id == st.id, DeviationRow.importance == "major"
                )
            )
        )
        reported = entries_by_subject(s, st.id)
        labs: dict[int, list[LabRow]] = {}
        for lab in s.scalars(select(LabRow).where(LabRow.study_id == st.id)):
            labs.setdefault(lab.visit_id, []).append(lab)
        vitals: dict[int, VitalSignRow] = {
            vs.visit_id: vs
            for vs in s.scalars(select(VitalSignRow).where(VitalSignRow.study_id == st.id))
        }
        rows: list[dict[str, Any]] = []
        for v in s.scalars(select(VisitRow).where(VisitRow.study_id == st.id)):
            subj = subjects.get(v.subject_pk)
            if subj is None or v.unscheduled_reason is not None:
                continue  # an unscheduled visit is mapped to no planned week
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
                "per_protocol": per_protocol(subj.per_protocol, major_deviation=subj.id in major),
                "treated": subj.treated,
                "_order": (subj.subject_id, week if week is not None else Decimal(0)),
            }
            for a in assessments.get(v.id, []):
                if a.total is not None:
                    row[a.instrument] = float(Fraction(a.total))
                if a.payload is not None and a.instrument not in DERIVED_TOTALS:
                    flat = get_instrument(a.instrument).flatten(a.payload)
                    row.update({f"{a.instrument}_{k}": val for k, val in flat.items()})
            for code, value in visit_values(reported.get(v.subject_pk, []), v).items():
                row.setdefault(code, value)  # recorded at the visit by staff: kept
            for lab in labs.get(v.id, []):
                row[lab.analyte] = float(lab.value)
            signs = vitals.get(v.id)
            for name in VITAL_SIGNS if signs is not None else ():
                value = getattr(signs, name)
                if value is not None:
                    row[name] = int(value) if name in _WHOLE_SIGNS else float(value)
            rows.append(row)
        rows.sort(key=lambda r: r.pop("_order"))
        return rows


#: The study-week columns of a record type's export and the dates they follow from.
_WEEKS_OF: dict[type[Any], tuple[tuple[str, str], ...]] = {
    AdverseEventRow: (("onset_week", "onset_date"),),
    ConMedRow: (("start_week", "start_date"), ("end_week", "end_date")),
}


def _weeks_from_dates(row: dict[str, Any], record: Any, day0: date | None) -> None:
    """The study weeks of a record recorded live with dates only (an adverse event's onset,
    a con-med's start and end): days since day 0 over 7 (:func:`study_week`), so that a
    de-identified export without dates keeps them."""
    for week, day in _WEEKS_OF.get(type(record), ()):
        if row.get(week) is None:
            row[week] = _cell(study_week(day0, getattr(record, day)))


def _dtype(column: str, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if column == "visit_date":
        return pl.Date
    if column in {"per_protocol", "treated"}:
        return pl.Boolean
    if column in integer_items() or column in _WHOLE_SIGNS:
        return pl.Int64
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pl.Float64
    if not present and column in {"week", "age"}:
        return pl.Float64
    return pl.String
