"""Clinical records of a subject: visits (with window checks), assessments (scored), labs,
injections, adverse events, concomitant medication and protocol deviations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import (
    ConflictError,
    Expected,
    Message,
    PermissionDeniedError,
    ProductRefusedError,
    StateError,
    ValidationError,
)
from autoserum.instruments import get_instrument
from autoserum.protocols import (
    Protocol,
    ProtocolVersions,
    visit_deviation,
    window_bounds,
)
from autoserum.store._audit import audit_refusal, insert_audited
from autoserum.store._base import Actor, Service
from autoserum.store._conmeds import coded_con_med, record_medication_deviations
from autoserum.store._consent import require_consent
from autoserum.store._dose import reconcile_dose_deviations
from autoserum.store._edit import (
    DELETABLE,
    EDITABLE,
    apply_changes,
    convert_changes,
    lab_fields,
    record_view,
    score_payload,
)
from autoserum.store._history import (
    checked_comorbidity,
    checked_history,
    checked_prior_treatment,
)
from autoserum.store._integrity import (
    check_dated,
    check_injection_volume,
    screening_date,
    screening_visit,
)
from autoserum.store._locks import require_unlocked, target_of
from autoserum.store._lookups import AssessmentTarget, assessment_target
from autoserum.store._product import chain_in_use, resolve_product
from autoserum.store._reviewed import record_not_found
from autoserum.store._safety import checked_adverse_event
from autoserum.store._subjects import subject_by_pk, subject_out
from autoserum.store._views import (
    adverse_event_view,
    assessment_view,
    comorbidity_view,
    con_med_view,
    deviation_told,
    deviation_view,
    injection_view,
    lab_view,
    prior_treatment_view,
    visit_view,
    vital_sign_view,
)
from autoserum.store.models import (
    AUDITED,
    AdverseEventRow,
    AssessmentRow,
    DeviationRow,
    InjectionRow,
    LabRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    VisitRow,
    VitalSignRow,
)
from autoserum.study.aliquots import administered_at, injector_refusal, refusal_message
from autoserum.study.coerce import as_date, as_decimal, as_int, optional
from autoserum.study.deviations import NOT_DONE, VISIT_EARLY, VISIT_LATE
from autoserum.study.entities import entity as spec_of
from autoserum.study.history import HISTORY_FIELDS
from autoserum.study.locks import Target
from autoserum.study.model import (
    AdverseEvent,
    Assessment,
    Comorbidity,
    ConMed,
    Deviation,
    Injection,
    LabResult,
    PriorTreatment,
    Subject,
    Visit,
    VitalSign,
)
from autoserum.study.rules import (
    NOTE_MAX,
    SHORT_MAX,
    bounded_text,
    check_facts,
    check_order,
)
from autoserum.study.status import TERMINAL_STATUSES, SubjectStatus
from autoserum.study.visits import AUTOMATIC_IMPORTANCE
from autoserum.study.vitals import check_vital_signs
from autoserum.study.vocab import DEVIATION_CATEGORIES, PRODUCTS, check_choice

__all__ = ["RecordService", "evaluate_windows"]

#: Record types recorded from their fields alone (:meth:`RecordService.add`), with their views.
_PLAIN: dict[str, Callable[[Any, str], Any]] = {
    "adverse_event": adverse_event_view,
    "con_med": con_med_view,
    "deviation": deviation_view,
    "prior_treatment": prior_treatment_view,
    "comorbidity": comorbidity_view,
}


def evaluate_windows(
    s: Session, protocol: Protocol | ProtocolVersions, subject: SubjectRow
) -> None:
    """Place every dated visit of ``subject`` in its window once day 0 is known, by the
    protocol version in effect on the visit's date; a visit outside its window gets a
    ``visit_window`` deviation (once)."""
    if subject.day0 is None:
        return
    versions = (
        protocol if isinstance(protocol, ProtocolVersions) else ProtocolVersions.single(protocol)
    )
    for visit in s.scalars(select(VisitRow).where(VisitRow.subject_pk == subject.id)):
        if visit.visit_date is None:
            continue
        governing = versions.on(visit.visit_date)
        if visit.visit_code not in {v.code for v in governing.visits}:
            continue
        plan = governing.visit(visit.visit_code)
        _, early, late = window_bounds(plan, subject.day0)
        deviation = visit_deviation(plan, subject.day0, visit.visit_date)
        if (visit.earliest, visit.latest, visit.deviation_days) != (early, late, deviation):
            visit.earliest, visit.latest, visit.deviation_days = early, late, deviation
        if deviation is not None:
            exists = s.scalar(
                select(DeviationRow.id).where(
                    DeviationRow.visit_id == visit.id, DeviationRow.kind == "visit_window"
                )
            )
            if exists is None:
                wording = VISIT_EARLY if deviation < 0 else VISIT_LATE
                s.add(
                    DeviationRow(
                        study_id=subject.study_id,
                        subject_pk=subject.id,
                        visit_id=visit.id,
                        kind="visit_window",
                        importance=AUTOMATIC_IMPORTANCE["visit_window"],
                        description=wording(
                            visit=visit.visit_code,
                            date=visit.visit_date,
                            days=abs(deviation),
                            earliest=early,
                            latest=late,
                        ),
                        days=deviation,
                        version=1,
                    )
                )


def _coded_changes(row: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The changes of a con-med correction with its class and potency re-derived from the
    merged record (``store/_conmeds.py``)."""
    merged = {f.name: getattr(row, f.name) for f in spec_of("con_med").editable}
    if "atc_code" in values:  # a new code: class and potency follow it unless given
        merged.update(drug_class=None, potency_eu=None)
    merged.update(values)
    coded = coded_con_med(merged)
    return {
        **values,
        **{k: coded[k] for k in ("drug_class", "potency_eu") if coded[k] != getattr(row, k)},
    }


HISTORY_FIELDS_SET = frozenset(HISTORY_FIELDS)


def _history_record_changes(
    entity: str, row: Any, subject: SubjectRow, values: Mapping[str, Any], *, today: date
) -> dict[str, Any]:
    """The changes of a correction of a previous systemic treatment or an atopic comorbidity,
    checked on the merged record (``store/_history.py``)."""
    merged = {f.name: getattr(row, f.name) for f in spec_of(entity).editable}
    if "atc_code" in values and "drug_class" not in values:
        merged["drug_class"] = None  # follows the new code
    merged.update(values)
    if entity == "prior_treatment":
        checked = checked_prior_treatment(merged, subject, today=today)
    else:
        checked = checked_comorbidity(merged, subject)
    return {
        **values,
        **{k: v for k, v in checked.items() if k not in values and v != getattr(row, k)},
    }


def _checked_changes(row: Any, values: Mapping[str, Any], protocol: Protocol) -> dict[str, Any]:
    """The changes of an adverse-event correction or follow-up, checked on the merged record
    with expectedness, special interest and the SAE clock's start re-derived
    (``store/_safety.py``)."""
    spec = spec_of("adverse_event")
    merged = {f.name: getattr(row, f.name) for f in spec.fields}
    merged.update(values)
    checked = checked_adverse_event(merged, protocol)
    return {
        **values,
        **{k: v for k, v in checked.items() if k not in values and v != getattr(row, k)},
    }


class RecordService(Service):
    """``store.records``: recording what happens to a subject, and correcting it (``update``
    and ``delete`` with the actor, a reason and the version the editor saw)."""

    # --- helpers ------------------------------------------------------------------------
    def _writable_subject(
        self, s: Session, study: str, subject_id: str, actor: Actor
    ) -> tuple[StudyRow, SubjectRow]:
        self._require(actor, "write_data")
        st = self._study(s, study)
        row = self._subject(s, st, subject_id, actor, action="write_data", lock=True)
        if SubjectStatus(row.status) in TERMINAL_STATUSES - {SubjectStatus.COMPLETED}:
            raise StateError(
                Message(
                    "subject %(subject_id)s is %(status)s: no new data",
                    subject_id=repr(subject_id),
                    status=row.status,
                )
            )
        require_unlocked(
            s,
            st,
            Target(subject_pk=row.id),
            what=Message("record data of %(subject_id)s", subject_id=subject_id),
        )
        return st, row

    @staticmethod
    def _visit_row(s: Session, subject: SubjectRow, visit_code: str) -> VisitRow:
        row: VisitRow | None = s.scalar(
            select(VisitRow).where(
                VisitRow.subject_pk == subject.id, VisitRow.visit_code == visit_code
            )
        )
        if row is None:
            raise StateError(
                Message(
                    "visit %(visit_code)s of subject %(subject_id)s is not recorded yet",
                    visit_code=repr(visit_code),
                    subject_id=repr(subject.subject_id),
                )
            )
        return row

    @staticmethod
    def _set_day0(subject: SubjectRow, day0: date) -> None:
        if subject.day0 is None:
            subject.day0 = day0

    # --- visits -------------------------------------------------------------------------
    def add_visit(
        self, study: str, subject_id: str, visit_code: str, visit_date: date | str, *, actor: Actor
    ) -> Visit:
        """Record a visit of the protocol's plan on ``visit_date``; the visit is placed in its
        window (day 0 = first injection, or the baseline visit) and flagged when outside it.

        The date may not be after today (the store's clock) nor before the subject's screening.
        """
        when = as_date("visit_date", visit_date)
        with self._write(actor, f"visit {visit_code}") as s:
            st, subject = self._writable_subject(s, study, subject_id, actor)
            require_consent(
                s,
                st,
                subject,
                on=when,
                what=Message("record visit %(visit_code)s", visit_code=visit_code),
            )
            row = self._insert_visit(s, st, subject, visit_code, when)
            return visit_view(row, subject.subject_id)

    def _insert_visit(
        self, s: Session, st: StudyRow, subject: SubjectRow, visit_code: str, when: date
    ) -> VisitRow:
        """Insert a planned visit of ``subject`` (checked, placed in its window) in ``s``: the
        protocol version in effect on ``when`` says which visits are planned and their windows."""
        protocol = self._protocol(st, on=when)
        try:
            plan = protocol.visit(visit_code)
        except KeyError:
            codes = ", ".join(v.code for v in protocol.visits)
            raise ValidationError(
                "visit_code", visit_code, Expected("one of %(values)s", values=codes)
            ) from None
        screening = screening_visit(protocol)
        screened = (
            None
            if screening is not None and screening.code == visit_code
            else screening_date(s, protocol, subject)
        )
        check_dated(
            "visit_date", when, today=self._today(), screened=screened, started=st.start_date
        )
        exists = s.scalar(
            select(VisitRow.id).where(
                VisitRow.subject_pk == subject.id, VisitRow.visit_code == visit_code
            )
        )
        if exists is not None:
            raise StateError(
                Message(
                    "visit %(visit_code)s of %(subject_id)s is recorded already; "
                    "correct it with store.records.update",
                    visit_code=repr(visit_code),
                    subject_id=repr(subject.subject_id),
                )
            )
        row = VisitRow(
            study_id=st.id,
            subject_pk=subject.id,
            visit_code=visit_code,
            week=Decimal(plan.day // 7) if plan.day % 7 == 0 else None,
            day=plan.day,
            visit_date=when,
            version=1,
        )
        if plan.day == 0:
            self._set_day0(subject, when)
        if subject.day0 is not None:  # placed in its window before the first write
            _, row.earliest, row.latest = window_bounds(plan, subject.day0)
            row.deviation_days = visit_deviation(plan, subject.day0, when)
        s.add(row)
        s.flush()
        evaluate_windows(s, self._versions(st), subject)
        s.flush()
        return row

    def add_unscheduled_visit(
        self,
        study: str,
        subject_id: str,
        visit_date: date | str,
        *,
        actor: Actor,
        reason: str,
    ) -> Visit:
        """Record a visit outside the protocol's schedule (a flare visit) on ``visit_date``,
        with its reason: coded ``unscheduled-N`` (the N-th of the subject), its study day
        counted from day 0 but mapped to no planned week (the tidy visit file leaves it out;
        instruments and labs are recorded at it like at any visit)."""
        why = bounded_text("reason", reason, limit=NOTE_MAX)
        when = as_date("visit_date", visit_date)
        with self._write(actor, why) as s:
            st, subject = self._writable_subject(s, study, subject_id, actor)
            require_consent(s, st, subject, on=when, what=Message("record an unscheduled visit"))
            check_dated(
                "visit_date",
                when,
                today=self._today(),
                screened=screening_date(s, self._protocol(st), subject),
                started=st.start_date,
            )
            earlier = s.scalars(
                select(VisitRow.id).where(
                    VisitRow.subject_pk == subject.id, VisitRow.unscheduled_reason.is_not(None)
                )
            ).all()
            row = VisitRow(
                study_id=st.id,
                subject_pk=subject.id,
                visit_code=f"unscheduled-{len(earlier) + 1}",
                week=None,
                day=None if subject.day0 is None else (when - subject.day0).days,
                visit_date=when,
                unscheduled_reason=why,
                version=1,
            )
            s.add(row)
            s.flush()
            return visit_view(row, subject.subject_id)

    def unscheduled_visits(self, study: str, *, actor: Actor) -> list[Visit]:
        """The unscheduled visits of the subjects the actor may see, by subject and date."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "read_subject", study=st.name)
            stmt = (
                select(VisitRow, SubjectRow)
                .join(SubjectRow, SubjectRow.id == VisitRow.subject_pk)
                .where(VisitRow.study_id == st.id, VisitRow.unscheduled_reason.is_not(None))
                .order_by(SubjectRow.subject_id, VisitRow.visit_date, VisitRow.id)
            )
            return [
                visit_view(v, subj.subject_id)
                for v, subj in s.execute(stmt)
                if actor.may("read_subject", st.name, self._site_code(s, subj.site_id))
            ]

    # --- assessments --------------------------------------------------------------------
    def add_assessment(
        self,
        study: str,
        subject_id: str,
        visit_code: str,
        instrument: str,
        payload: Mapping[str, Any],
        *,
        actor: Actor,
        visit_date: date | str | None = None,
    ) -> Assessment:
        """Record an instrument at a visit; it is scored exactly, once, here (invalid items are
        a :class:`ValidationError` naming the item; an assessment the instrument's missing-data
        rule cannot score is refused with the missing items named: record it with
        :meth:`assessment_not_done` instead).

        With ``visit_date`` a visit not recorded yet is recorded in the same transaction.

        PostgreSQL: the subject's row lock (which serialises the writes of one subject: the
        review hook's checks see every committed record of the subject) is taken after the
        items are validated and scored, from an unlocked look-up; the locked look-up then
        checks the target again (scored again only if the subject's age changed meanwhile).
        """
        when = None if visit_date is None else as_date("visit_date", visit_date)
        with self._write(actor, f"assessment {instrument}") as s:
            self._require(actor, "write_data")
            # SQLite: the write transaction holds the database's write lock already
            early = s.get_bind().dialect.name == "postgresql"
            t = assessment_target(s, study, subject_id, visit_code, instrument, lock=not early)
            scored: tuple[Decimal | None, tuple[Any, Any]] | None = None
            if early:
                if self._plain_target(t, study, actor):
                    scored = (t.age, score_payload(instrument, payload, t.age, scorable=True))
                t = assessment_target(s, study, subject_id, visit_code, instrument)
            if t is not None and self._plain_target(t, study, actor):
                study_id, subject_pk, visit_id, age = t.study_id, t.subject_pk, t.visit_id, t.age
                if scored is not None and scored[0] == age:
                    total, band = scored[1]
                else:
                    total, band = score_payload(instrument, payload, age, scorable=True)
            else:  # the checks one by one, each with its precise error
                st, subject = self._writable_subject(s, study, subject_id, actor)
                visit = self._find_visit(s, subject, visit_code)
                if visit is None and when is not None:
                    visit = self._insert_visit(s, st, subject, visit_code, when)
                elif visit is None:
                    visit = self._visit_row(s, subject, visit_code)  # raises: not recorded
                elif t is not None and t.existing_id is not None:
                    score_payload(instrument, payload, subject.age, scorable=True)
                    raise StateError(
                        Message(
                            "%(instrument)s at visit %(visit_code)s of %(subject_id)s is "
                            "recorded already; correct it with store.records.update",
                            instrument=instrument,
                            visit_code=repr(visit_code),
                            subject_id=repr(subject_id),
                        )
                    )
                require_consent(
                    s,
                    st,
                    subject,
                    on=visit.visit_date or self._today(),
                    what=Message("record %(instrument)s", instrument=instrument),
                )
                require_unlocked(
                    s,
                    st,
                    Target(subject.id, visit.id),
                    what=Message("record %(instrument)s at this visit", instrument=instrument),
                )
                study_id, subject_pk, visit_id, age = st.id, subject.id, visit.id, subject.age
                total, band = score_payload(instrument, payload, age, scorable=True)
            row = AssessmentRow(
                study_id=study_id,
                subject_pk=subject_pk,
                visit_id=visit_id,
                instrument=instrument,
                payload=dict(payload),
                total=total,
                band=band,
                version=1,
            )
            insert_audited(s, row)
            return assessment_view(row, subject_id)

    @staticmethod
    def _plain_target(
        t: AssessmentTarget | None, study: str, actor: Actor
    ) -> TypeGuard[AssessmentTarget]:
        """The target of a new assessment is known and needs no further check: the visit is
        recorded, the instrument not yet, the actor may write at the subject's site, the
        subject is not withdrawn (or the like) and the study's writers are not gated."""
        return (
            t is not None
            and t.visit_id is not None
            and t.existing_id is None
            and actor.may("write_data", study, t.site_code)
            and SubjectStatus(t.status) not in TERMINAL_STATUSES - {SubjectStatus.COMPLETED}
            and not t.gated
        )

    def assessment_not_done(
        self,
        study: str,
        subject_id: str,
        visit_code: str,
        instrument: str,
        *,
        actor: Actor,
        reason: str,
        visit_date: date | str | None = None,
    ) -> Deviation:
        """Record that ``instrument`` was not done at a visit, with the reason: an
        ``assessment_not_done`` deviation (audited; no assessment is stored). With
        ``visit_date`` a visit not recorded yet is recorded in the same transaction."""
        why = bounded_text("reason", reason, limit=NOTE_MAX)
        when = None if visit_date is None else as_date("visit_date", visit_date)
        get_instrument(instrument)  # an unknown instrument is a NotFoundError
        with self._write(actor, why) as s:
            st, subject = self._writable_subject(s, study, subject_id, actor)
            visit = self._find_visit(s, subject, visit_code)
            if visit is None and when is not None:
                visit = self._insert_visit(s, st, subject, visit_code, when)
            elif visit is None:
                visit = self._visit_row(s, subject, visit_code)
            done = s.scalar(
                select(AssessmentRow.id).where(
                    AssessmentRow.visit_id == visit.id, AssessmentRow.instrument == instrument
                )
            )
            if done is not None:
                raise StateError(
                    Message(
                        "%(instrument)s at visit %(visit_code)s of %(subject_id)s is "
                        "recorded; delete it with a reason first",
                        instrument=instrument,
                        visit_code=repr(visit_code),
                        subject_id=repr(subject_id),
                    )
                )
            row = DeviationRow(
                study_id=st.id,
                subject_pk=subject.id,
                visit_id=visit.id,
                kind="assessment_not_done",
                importance=AUTOMATIC_IMPORTANCE["assessment_not_done"],
                description=NOT_DONE(instrument=instrument, visit=visit_code, why=why),
                version=1,
            )
            s.add(row)
            s.flush()
            return deviation_view(row, subject.subject_id)

    @staticmethod
    def _find_visit(s: Session, subject: SubjectRow, visit_code: str) -> VisitRow | None:
        return s.scalar(
            select(VisitRow).where(
                VisitRow.subject_pk == subject.id, VisitRow.visit_code == visit_code
            )
        )

    # --- labs ---------------------------------------------------------------------------
    def add_lab(
        self,
        study: str,
        subject_id: str,
        visit_code: str,
        analyte: str,
        value: Decimal | int | float | str,
        unit: str,
        *,
        actor: Actor,
        ref_low: Decimal | int | float | str | None = None,
        ref_high: Decimal | int | float | str | None = None,
    ) -> LabResult:
        """Record a lab value; it is converted exactly to the analyte's canonical UCUM unit (the
        reference range too) and flagged low/normal/high against that range."""
        with self._write(actor, f"lab {analyte}") as s:
            st, subject = self._writable_subject(s, study, subject_id, actor)
            visit = self._visit_row(s, subject, visit_code)
            on = visit.visit_date or self._today()
            require_consent(
                s, st, subject, on=on, what=Message("record lab %(analyte)s", analyte=analyte)
            )
            require_unlocked(
                s, st, Target(subject.id, visit.id), what=Message("record a lab at this visit")
            )
            fields = lab_fields(analyte, value, unit, ref_low, ref_high)
            repeat = s.scalar(
                select(LabRow.id).where(LabRow.visit_id == visit.id, LabRow.analyte == analyte)
            )
            if repeat is not None:
                raise ValidationError(
                    "analyte",
                    analyte,
                    Expected(
                        "an analyte not recorded already at visit %(visit_code)s of "
                        "%(subject_id)s (correct the recorded value, lab %(repeat)s, "
                        "instead)",
                        visit_code=visit_code,
                        subject_id=subject.subject_id,
                        repeat=repeat,
                    ),
                )
            row = LabRow(
                study_id=subject.study_id,
                subject_pk=subject.id,
                visit_id=visit.id,
                analyte=analyte,
                version=1,
                **fields,
            )
            s.add(row)
            s.flush()
            return lab_view(row, subject.subject_id)

    # --- vital signs ----------------------------------------------------------------------
    def add_vital_signs(
        self, study: str, subject_id: str, visit_code: str, *, actor: Actor, **signs: Any
    ) -> VitalSign:
        """Record the vital signs measured at a recorded visit: ``systolic_bp`` and
        ``diastolic_bp`` (mmHg), ``pulse`` (beats/min), ``temperature`` (°C), ``weight`` (kg),
        ``height`` (cm), each optional but not all missing, converted by the registry (a value
        outside its plausibility limits is refused naming the field, the value and the range;
        :mod:`autoserum.study.vitals`), the diastolic pressure below the systolic. One record
        per visit: a second is refused (correct the first)."""
        fields = spec_of("vital_sign").convert(signs)
        check_vital_signs(fields)
        with self._write(actor, "vital signs") as s:
            st, subject = self._writable_subject(s, study, subject_id, actor)
            visit = self._visit_row(s, subject, visit_code)
            on = visit.visit_date or self._today()
            require_consent(s, st, subject, on=on, what=Message("record vital signs"))
            require_unlocked(
                s,
                st,
                Target(subject.id, visit.id),
                what=Message("record vital signs at this visit"),
            )
            repeat = s.scalar(select(VitalSignRow.id).where(VitalSignRow.visit_id == visit.id))
            if repeat is not None:
                raise ValidationError(
                    "visit_code",
                    visit_code,
                    Expected(
                        "a visit of %(subject_id)s without vital signs (correct the "
                        "recorded ones, vital_sign %(repeat)s, instead)",
                        subject_id=subject.subject_id,
                        repeat=repeat,
                    ),
                )
            row = VitalSignRow(
                study_id=subject.study_id,
                subject_pk=subject.id,
                visit_id=visit.id,
                version=1,
                **fields,
            )
            s.add(row)
            s.flush()
            return vital_sign_view(row, subject.subject_id)

    # --- injections ---------------------------------------------------------------------
    def add_injection(  # noqa: PLR0913 - one keyword per field of the injection form
        self,
        study: str,
        subject_id: str,
        given_on: date | str,
        *,
        actor: Actor,
        product: str | None = None,
        volume_ml: Decimal | int | float | str | None = None,
        site: str | None = None,
        lot: str | None = None,
        given_by: str | None = None,
        visit_code: str | None = None,
        product_code: str | None = None,
        side: str | None = None,
        given_at: datetime | str | None = None,
    ) -> Injection:
        """Record an injection given. ``product`` defaults to the product of the subject's arm
        (so blinded staff never name it); ``site`` is a muscle or an acupoint code (``ST36``)
        and ``side`` its side (an acupoint injection is one record per point, with its volume).

        The date may not be after today nor before the subject's screening; the volume must
        be > 0 mL and within the ``max_volume`` of the subject's arm in the protocol.

        ``product_code`` is the scanned or typed label of the aliquot, blinded kit or (whole
        blood) draw injected; once the study records its product chain every injection needs
        one. A code of another subject, or an expired, used, disposed or too often thawed
        product, is refused with a :class:`~autoserum.errors.ProductRefusedError` naming the
        mismatch (to a blinded actor a kit's in source-neutral words,
        :func:`autoserum.study.aliquots.injector_refusal`), and the refusal is audited in full
        (nothing else is written). The product is judged
        as it was when given: at ``given_at`` (the time given, not after now, on the date
        ``given_on``), else now for an injection given today, else at the end of the earlier
        day (:func:`autoserum.study.aliquots.administered_at`); whole blood given on an earlier
        day needs ``given_at`` (its draw-to-injection limit)."""
        spec = spec_of("injection")
        when = as_date("given_on", given_on)
        volume = optional(as_decimal, "volume_ml", volume_ml)
        texts = {
            k: bounded_text(k, v, limit=SHORT_MAX, required=False)
            for k, v in (("site", site), ("lot", lot), ("given_by", given_by))
        }
        code = spec.field("product_code").convert(product_code or None)
        chosen_side = spec.field("side").convert(side or None)
        at = spec.field("given_at").convert(given_at or None)
        refused: str | None = None
        with self._write(actor, "injection") as s:
            injection, refused = self._inject(
                s, study, subject_id, when, actor=actor, product=product, volume=volume,
                texts=texts, visit_code=visit_code, code=code, side=chosen_side, given_at=at,
            )  # fmt: skip
        if refused is not None:
            # shown in another language in the words of its kind (the detail stays English)
            shown = refusal_message(refused, blinded=False)
            raise ProductRefusedError(code or "", refused, shown=shown)
        assert injection is not None
        return injection

    def _inject(
        self,
        s: Session,
        study: str,
        subject_id: str,
        when: date,
        *,
        actor: Actor,
        product: str | None,
        volume: Decimal | None,
        texts: Mapping[str, str | None],
        visit_code: str | None,
        code: str | None,
        side: str | None,
        given_at: datetime | None,
    ) -> tuple[Injection | None, str | None]:
        """The injection recorded in ``s``, or the reason its product was refused (audited)."""
        st, subject = self._writable_subject(s, study, subject_id, actor)
        if subject.arm is None:
            raise StateError(
                Message("subject %(subject_id)s is not allocated yet", subject_id=repr(subject_id))
            )
        require_consent(s, st, subject, on=when, what=Message("record an injection"))
        protocol = self._protocol(st)
        check_dated(
            "given_on",
            when,
            today=self._today(),
            screened=screening_date(s, protocol, subject),
            started=st.start_date,
        )
        administered_at(when, given_at, now=self._now(), today=self._today())  # not in future
        arm_product = next(a.product for a in protocol.arms if a.code == subject.arm)
        given = arm_product if product is None else check_choice("product", product, PRODUCTS)
        links: Mapping[str, int] = {}
        if code is None and chain_in_use(s, st.id):
            raise ValidationError(
                "product_code",
                None,
                Expected("the label code of the product injected (scan or type it)"),
            )
        if code is not None:
            outcome = resolve_product(
                s, st, subject, protocol, code, given_on=when, given_at=given_at,
                now=self._now(), today=self._today(), volume=volume,
            )  # fmt: skip
            if isinstance(outcome, str):
                audit_refusal(
                    s, entity="injection", study_id=st.id, subject_pk=subject.id,
                    field="product_code", value=code, reason=outcome,
                )  # fmt: skip
                # a blinded injector is told a kit's refusal without its source (the trail
                # keeps the detail for unblinded readers)
                return None, outcome if actor.sees_arm(st) else injector_refusal(outcome)
            given, links = outcome.product, outcome.links
        check_injection_volume(protocol, subject.arm, given, volume, blinded=not actor.sees_arm(st))
        visit = None if visit_code is None else self._visit_row(s, subject, visit_code)
        if visit is not None:
            require_unlocked(
                s,
                self._study(s, study),
                Target(subject.id, visit.id),
                what=Message("record at this visit"),
            )
        row = InjectionRow(
            study_id=st.id,
            subject_pk=subject.id,
            visit_id=None if visit is None else visit.id,
            given_on=when,
            product=given,
            volume_ml=volume,
            site=texts["site"],
            lot=texts["lot"],
            given_by=texts["given_by"] or actor.username,
            product_code=code,
            side=side,
            given_at=given_at,
            version=1,
            **links,
        )
        s.add(row)
        reconcile_dose_deviations(s, protocol, subject)
        self._set_day0(subject, when)
        s.flush()
        evaluate_windows(s, self._versions(st), subject)
        s.flush()
        return injection_view(row, subject.subject_id, sees_arm=actor.sees_arm(st)), None

    # --- adverse events, con-meds, deviations -------------------------------------------
    def add(
        self, study: str, subject_id: str, entity: str, values: Mapping[str, Any], *, actor: Actor
    ) -> Any:
        """Record an ``adverse_event``, a ``con_med`` or a ``deviation`` (noticed by staff:
        category, description, date, major or minor, corrective action) of a subject from the
        values of its fields, converted as the entity registry declares them
        (:mod:`autoserum.study.entities`); no date after today, those the registry marks
        ``after_screening`` not before the subject's screening, a start not after its end.
        Returns the recorded record."""
        if entity not in _PLAIN:
            raise ValidationError(
                "entity", entity, Expected("one of %(values)s", values=", ".join(sorted(_PLAIN)))
            )
        spec = spec_of(entity)
        fields = spec.convert(values)
        if entity == "con_med":
            fields = coded_con_med(fields)
        if entity == "deviation":  # the automatic kinds are the store's own
            check_choice("kind", fields["kind"], DEVIATION_CATEGORIES)
            check_choice("importance", fields["importance"], spec.field("importance").choices)
        with self._write(actor, spec.label.split(" ", 1)[-1]) as s:
            st, subject = self._writable_subject(s, study, subject_id, actor)
            if entity == "adverse_event":
                fields = checked_adverse_event(fields, self._protocol(st))
            elif entity == "prior_treatment":
                fields = checked_prior_treatment(fields, subject, today=self._today())
            elif entity == "comorbidity":
                fields = checked_comorbidity(fields, subject)
            require_consent(
                s,
                st,
                subject,
                on=self._today(),
                what=Message("record %(label)s", label=Message(spec.label)),
            )
            after = tuple(f.name for f in spec.fields if f.after_screening)
            self._check_dates(s, st, subject, fields, after)
            row = AUDITED[entity](study_id=st.id, subject_pk=subject.id, version=1, **fields)
            s.add(row)
            s.flush()
            if entity == "con_med":
                record_medication_deviations(s, self._protocol(st), subject, row)
            return _PLAIN[entity](row, subject.subject_id)

    def record_history(
        self, study: str, subject_id: str, *, actor: Actor, **values: Any
    ) -> Subject:
        """Record a subject's demographics and history of atopic dermatitis: ``birth_date``
        *or* ``age`` (given a date of birth, the age is derived on the screening date),
        ``sex``, ``ethnicity`` and ``race`` (among the protocol's categories), ``fitzpatrick``
        (I-VI) and ``ad_onset_age`` (not above the age); each converted by the registry's
        subject fields, checked together by :mod:`autoserum.study.history` (an impossible
        value is refused naming the field, the value and what was expected). Only the fields
        given change; every change is audited. Returns the subject."""
        for key, value in values.items():
            if key not in HISTORY_FIELDS_SET:
                raise ValidationError(
                    key, value, Expected("one of %(values)s", values=", ".join(HISTORY_FIELDS))
                )
        fields = spec_of("subject").convert(values, partial=True)
        with self._write(actor, "subject history") as s:
            st, subject = self._writable_subject(s, study, subject_id, actor)
            require_consent(
                s, st, subject, on=self._today(), what=Message("record the subject's history")
            )
            changes = checked_history(s, self._protocol(st), subject, fields, today=self._today())
            changes = {k: v for k, v in changes.items() if v != getattr(subject, k)}
            if changes:
                apply_changes(s, "subject", subject, subject, changes)
            s.flush()
            return subject_out(s, st, subject, actor)

    def add_prior_treatment(
        self, study: str, subject_id: str, *, actor: Actor, **fields: Any
    ) -> PriorTreatment:
        """Record a systemic treatment of atopic dermatitis the subject had before the study
        (``drug``, ``atc_code``, ``drug_class``, ``start_year``, ``end_year``, ``response``,
        ``stop_reason``): its years within the subject's life, the start not after the end,
        the class following from the ATC code; see :meth:`add`."""
        treatment: PriorTreatment = self.add(
            study, subject_id, "prior_treatment", fields, actor=actor
        )
        return treatment

    def add_comorbidity(
        self, study: str, subject_id: str, *, actor: Actor, **fields: Any
    ) -> Comorbidity:
        """Record an atopic comorbidity (``condition`` of
        :data:`autoserum.study.history.COMORBIDITIES`, ``detail`` (required for ``other``),
        ``onset_age``, ``ongoing``); see :meth:`add`."""
        comorbidity: Comorbidity = self.add(study, subject_id, "comorbidity", fields, actor=actor)
        return comorbidity

    def add_adverse_event(
        self, study: str, subject_id: str, *, actor: Actor, **fields: Any
    ) -> AdverseEvent:
        """Record an adverse event (ICH E2A): ``fields`` are those the registry declares
        (``term``, MedDRA ``meddra_llt``/``meddra_pt``, ``onset_date``, ``end_date``,
        ``severity``, ``serious`` with its criteria ``sae_death`` … ``sae_important_medical_event``,
        ``related`` (to the product), ``related_procedure``, ``action_taken``, ``outcome``,
        ``aware_at``, ``reported_at``, ``narrative``); ``expected`` and ``aesi`` follow from the
        protocol's safety information (``store/_safety.py``); see :meth:`add`. A follow-up is a
        correction (:meth:`update`) with its reason: a new version, audited."""
        event: AdverseEvent = self.add(study, subject_id, "adverse_event", fields, actor=actor)
        return event

    def add_con_med(self, study: str, subject_id: str, *, actor: Actor, **fields: Any) -> ConMed:
        """Record a concomitant medication (``name``, ``atc_code``, ``drug_class``,
        ``potency_eu``/``potency_us``, ``dose``, ``route``, ``amount`` with ``amount_unit`` per
        week, ``body_area``, ``start_date``, ``end_date``, ``indication``, ``rescue``: it may
        have started before screening); see :meth:`add`. The class and potency follow from the
        ATC code; a drug the protocol prohibits, or a rescue it does not allow, is recorded as
        a protocol deviation (``store/_conmeds.py``)."""
        medication: ConMed = self.add(study, subject_id, "con_med", fields, actor=actor)
        return medication

    def add_deviation(
        self,
        study: str,
        subject_id: str,
        kind: str,
        description: str,
        *,
        actor: Actor,
        visit_code: str | None = None,
        days: int | None = None,
    ) -> Deviation:
        """Record a protocol deviation noticed by staff (description at most 2,000 characters)."""
        fields = convert_changes("deviation", {"kind": kind, "description": description})
        with self._write(actor, "protocol deviation") as s:
            _, subject = self._writable_subject(s, study, subject_id, actor)
            visit = None if visit_code is None else self._visit_row(s, subject, visit_code)
            if visit is not None:
                require_unlocked(
                    s,
                    self._study(s, study),
                    Target(subject.id, visit.id),
                    what=Message("record at this visit"),
                )
            row = DeviationRow(
                study_id=subject.study_id,
                subject_pk=subject.id,
                visit_id=None if visit is None else visit.id,
                days=optional(as_int, "days", days),
                version=1,
                **fields,
            )
            s.add(row)
            s.flush()
            return deviation_view(row, subject.subject_id)

    def serious_events(self, study: str, *, actor: Actor) -> list[AdverseEvent]:
        """The serious adverse events of the subjects the actor may see, the earliest awareness
        first (the SAE clocks of the dashboard: :func:`autoserum.study.safety.sae_clock`)."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "read_subject", study=st.name)
            stmt = (
                select(AdverseEventRow, SubjectRow)
                .join(SubjectRow, SubjectRow.id == AdverseEventRow.subject_pk)
                .where(AdverseEventRow.study_id == st.id, AdverseEventRow.serious.is_(True))
                .order_by(AdverseEventRow.aware_at, AdverseEventRow.id)
            )
            return [
                adverse_event_view(ae, subj.subject_id)
                for ae, subj in s.execute(stmt)
                if actor.may("read_subject", st.name, self._site_code(s, subj.site_id))
            ]

    def deviations(self, study: str, *, actor: Actor, kind: str | None = None) -> list[Deviation]:
        """The protocol deviations of the subjects the actor may see, optionally of one
        ``kind`` (``eligibility_override``, ``assessment_not_done``, ``visit_window``, ...);
        not a processing's (``product_process``) to a blinded actor (``deviation_told``)."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "read_subject", study=st.name)
            stmt = (
                select(DeviationRow, SubjectRow)
                .join(SubjectRow, SubjectRow.id == DeviationRow.subject_pk)
                .where(DeviationRow.study_id == st.id)
                .order_by(SubjectRow.subject_id, DeviationRow.id)
            )
            if kind is not None:
                stmt = stmt.where(DeviationRow.kind == kind)
            sees = actor.sees_arm(st)
            return [
                deviation_view(d, subj.subject_id)
                for d, subj in s.execute(stmt)
                if deviation_told(d.kind, sees_arm=sees)
                and actor.may("read_subject", st.name, self._site_code(s, subj.site_id))
            ]

    # --- corrections --------------------------------------------------------------------
    def update(
        self,
        study: str,
        entity: str,
        id: int,
        changes: Mapping[str, Any],
        *,
        actor: Actor,
        reason: str,
        expected_version: int,
    ) -> Any:
        """Correct fields of a recorded ``entity`` of ``study`` (``subject``, ``visit``,
        ``assessment``, ``lab``, ``injection``, ``adverse_event``, ``con_med``, ``deviation``,
        ``site``).

        A record of another study is not found (:class:`NotFoundError`), whatever its id.
        Needs a reason and the version the editor saw (:class:`ConflictError` when stale).
        Derived fields follow: an assessment is rescored, a lab reconverted and reflagged, a
        visit re-placed in its window. Returns the updated record.
        """
        self._nonempty("reason", reason)
        if not changes:
            raise ValidationError(
                "changes", dict(changes), Expected("at least one field to change")
            )
        with self._write(actor, reason) as s:
            return self.apply_update(
                s, study, entity, id, changes, actor=actor, expected_version=expected_version
            )

    def apply_update(
        self,
        s: Session,
        study: str,
        entity: str,
        id: int,
        changes: Mapping[str, Any],
        *,
        actor: Actor,
        expected_version: int,
    ) -> Any:
        """:meth:`update` inside the write transaction ``s`` (whose reason it carries): a
        correction made with another write (the answer to a data query)."""
        if not changes:
            raise ValidationError(
                "changes", dict(changes), Expected("at least one field to change")
            )
        row, st, subject = self._editable_row(s, study, entity, id, expected_version, actor)
        values = convert_changes(entity, changes)
        if entity == "injection" and "product" in values and not actor.sees_arm(st):
            raise PermissionDeniedError(
                Message("a blinded actor may not change an injected product")
            )
        if subject is not None:
            self._check_correction(
                s, st, entity, row, subject, values, blinded=not actor.sees_arm(st)
            )
        if entity == "con_med":
            values = _coded_changes(row, values)
        elif entity == "adverse_event":
            values = _checked_changes(row, values, self._protocol(st))
        elif entity == "subject" and HISTORY_FIELDS_SET & set(values):
            values = {
                **values,
                **checked_history(s, self._protocol(st), row, values, today=self._today()),
            }
        elif entity in ("prior_treatment", "comorbidity") and subject is not None:
            values = _history_record_changes(entity, row, subject, values, today=self._today())
        apply_changes(s, entity, row, subject, values)
        if entity in {"visit", "injection"} and subject is not None:
            s.flush()
            evaluate_windows(s, self._versions(st), subject)
        if entity == "injection" and subject is not None:
            reconcile_dose_deviations(s, self._protocol(st), subject)
        s.flush()
        if entity == "con_med" and subject is not None:
            record_medication_deviations(s, self._protocol(st), subject, row)
        return record_view(s, entity, row, st, subject, actor)

    def _check_dates(
        self,
        s: Session,
        st: StudyRow,
        subject: SubjectRow,
        fields: Mapping[str, Any],
        after_screening: tuple[str, ...],
        *,
        after_start: tuple[str, ...] | None = None,
    ) -> None:
        """The dates of a record's ``fields``: none after today; those named in
        ``after_start`` (default: ``after_screening``) not before the study start, those in
        ``after_screening`` not before the subject's screening; a start before its end."""
        after_start = after_screening if after_start is None else after_start
        protocol = self._protocol(st)
        screened = screening_date(s, protocol, subject) if after_screening else None
        for key, value in fields.items():
            if isinstance(value, date):
                check_dated(
                    key,
                    value.date() if isinstance(value, datetime) else value,
                    today=self._today(),
                    screened=screened if key in after_screening else None,
                    started=st.start_date if key in after_start else None,
                )
        check_order("start_date", fields.get("start_date"), "end_date", fields.get("end_date"))

    def _check_correction(
        self,
        s: Session,
        st: StudyRow,
        entity: str,
        row: Any,
        subject: SubjectRow,
        values: Mapping[str, Any],
        *,
        blinded: bool,
    ) -> None:
        """The integrity rules of a recording, applied to a correction of ``row`` (by a
        ``blinded`` actor: told a volume's maximum without the product)."""
        merged = {
            **{f.name: getattr(row, f.name, None) for f in spec_of(entity).editable},
            **values,
        }
        if entity == "subject" and "facts" in values:
            check_facts(values["facts"])
        elif entity == "visit" and "visit_date" in values and values["visit_date"] is not None:
            protocol = self._protocol(st)
            screening = screening_visit(protocol)
            is_screening = screening is not None and screening.code == row.visit_code
            after = () if is_screening else ("visit_date",)
            self._check_dates(
                s, st, subject, {"visit_date": values["visit_date"]}, after,
                after_start=("visit_date",),
            )  # fmt: skip
        elif entity == "injection":
            self._check_dates(s, st, subject, {"given_on": merged["given_on"]}, ("given_on",))
            check_injection_volume(
                self._protocol(st),
                subject.arm,
                merged["product"],
                merged["volume_ml"],
                blinded=blinded,
            )
        elif entity == "adverse_event":
            dated = {k: merged.get(k) for k in ("onset_date", "end_date")}
            dated = {k: as_date(k, v) for k, v in dated.items() if v is not None}
            self._check_dates(s, st, subject, dated, tuple(dated))
        elif entity == "con_med":
            self._check_dates(s, st, subject, merged, ())
        elif entity == "vital_sign":
            check_vital_signs(merged)

    def delete(
        self, study: str, entity: str, id: int, *, actor: Actor, reason: str, expected_version: int
    ) -> None:
        """Delete a recorded ``assessment``, ``lab``, ``injection``, ``adverse_event``,
        ``con_med`` or ``deviation`` entered in error (audited with its reason and content)."""
        self._nonempty("reason", reason)
        if entity not in DELETABLE:
            raise ValidationError(
                "entity", entity, Expected("one of %(values)s", values=", ".join(sorted(DELETABLE)))
            )
        with self._write(actor, reason) as s:
            row, st, subject = self._editable_row(s, study, entity, id, expected_version, actor)
            if entity == "injection" and subject is not None:
                reconcile_dose_deviations(s, self._protocol(st), subject, deleting=row)
            s.delete(row)

    def _editable_row(
        self,
        s: Session,
        study: str,
        entity: str,
        record_id: int,
        expected_version: int,
        actor: Actor,
    ) -> tuple[Any, StudyRow, SubjectRow | None]:
        self._require(actor, "write_data")
        model = AUDITED.get(entity) if entity in EDITABLE else None
        if model is None:
            raise ValidationError(
                "entity", entity, Expected("one of %(values)s", values=", ".join(sorted(EDITABLE)))
            )
        st = self._study(s, study)
        row = s.get(model, record_id, with_for_update=True)
        if row is None or row.study_id != st.id:  # a record of another study is not found
            raise record_not_found(entity, record_id, study)
        subject: SubjectRow | None = None
        if isinstance(row, SiteRow):
            self._require(actor, "manage_study", study=st.name)
        else:
            subject = row if isinstance(row, SubjectRow) else subject_by_pk(s, row.subject_pk)
            if not actor.may("write_data", st.name, self._site_code(s, subject.site_id)):
                raise record_not_found(entity, record_id, study)
        if row.version != expected_version:
            raise ConflictError(
                Message(
                    "%(entity)s %(record_id)s is at version %(version)s, not "
                    "%(expected_version)s: someone changed it meanwhile; reload "
                    "and retry",
                    entity=entity,
                    record_id=record_id,
                    version=row.version,
                    expected_version=expected_version,
                )
            )
        require_unlocked(
            s,
            st,
            target_of(row),
            what=Message("change %(entity)s %(record_id)s", entity=entity, record_id=record_id),
        )
        return row, st, subject
