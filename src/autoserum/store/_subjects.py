"""Subjects: screening, randomisation at enrolment, status transitions, withdrawal, emergency
unblinding, listings and the CONSORT flow."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, bindparam, exists, func, select
from sqlalchemy.orm import Session

from autoserum.errors import Expected, Message, NotFoundError, StateError, ValidationError
from autoserum.protocols import evaluate_eligibility
from autoserum.store._allocation import check_strata, ensure_list
from autoserum.store._base import STAGING_PREFIX, Actor, Service
from autoserum.store._consent import consent_counts, require_consent
from autoserum.store._integrity import screening_visit
from autoserum.store._locks import require_unlocked
from autoserum.store._progress import VisitProgress, visit_progress
from autoserum.store._types import utcnow
from autoserum.store._views import (
    adverse_event_view,
    assessment_view,
    comorbidity_view,
    con_med_view,
    deviation_told,
    deviation_view,
    fraction_text,
    injection_view,
    lab_view,
    prior_treatment_view,
    subject_view,
    visit_view,
    vital_sign_view,
)
from autoserum.store.models import (
    AdverseEventRow,
    AllocationRow,
    AssessmentRow,
    ComorbidityRow,
    ConMedRow,
    DeviationRow,
    InjectionRow,
    LabRow,
    PriorTreatmentRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    UnblindingRow,
    VisitRow,
    VitalSignRow,
)
from autoserum.study.blinding import MASK
from autoserum.study.coerce import as_date, as_decimal
from autoserum.study.consort import ConsortFlow, ConsortSubject, consort_flow
from autoserum.study.deviations import (
    ELIGIBILITY_FAILED,
    ELIGIBILITY_OVERRIDE,
    ELIGIBILITY_UNKNOWN,
    joined,
)
from autoserum.study.history import age_on
from autoserum.study.locks import Target
from autoserum.study.model import Subject, SubjectDetail, Unblinding
from autoserum.study.randomisation import stratum_key
from autoserum.study.rules import (
    NOTE_MAX,
    bounded_text,
    check_age,
    check_facts,
    check_not_before,
    check_not_future,
    check_randomisable,
    check_subject_id,
)
from autoserum.study.status import SubjectStatus, parse_status, transition
from autoserum.study.visits import AUTOMATIC_IMPORTANCE
from autoserum.study.vocab import SEXES, check_choice

__all__ = ["DETAIL_PARTS", "SubjectService", "subject_by_pk", "subject_out"]

#: the record lists of a subject's :class:`~autoserum.study.model.SubjectDetail`
DETAIL_PARTS = (
    "visits",
    "assessments",
    "labs",
    "injections",
    "adverse_events",
    "con_meds",
    "deviations",
    "vital_signs",
    "prior_treatments",
    "comorbidities",
)

#: The action of the permission table a status change needs (others: ``write_data``).
_TRANSITION_ACTIONS = {
    SubjectStatus.ENROLLED: "randomise",
    SubjectStatus.WITHDRAWN: "withdraw",
}


#: the record table of each of :data:`DETAIL_PARTS`
_PART_MODELS: dict[str, type[Any]] = {
    "visits": VisitRow,
    "assessments": AssessmentRow,
    "labs": LabRow,
    "injections": InjectionRow,
    "adverse_events": AdverseEventRow,
    "con_meds": ConMedRow,
    "deviations": DeviationRow,
    "vital_signs": VitalSignRow,
    "prior_treatments": PriorTreatmentRow,
    "comorbidities": ComorbidityRow,
}
_LOCATED: dict[tuple[str, ...], Any] = {}


def _located_statement(parts: tuple[str, ...]) -> Any:
    """``SubjectService._located``'s statement, as plain columns (no ORM objects): the study's
    name and whether it is open-label, the subject's columns, its site's code, whether it was
    unblinded and, per record list of ``parts``, whether the subject has any (a list it has
    none of is not read). Built once per ``parts``."""
    stmt = _LOCATED.get(parts)
    if stmt is None:
        stmt = _LOCATED[parts] = (
            select(
                StudyRow.name.label("study_name"),
                StudyRow.open_label.label("study_open_label"),
                *SubjectRow.__table__.c,
                SiteRow.code.label("site_code"),
                exists().where(UnblindingRow.subject_pk == SubjectRow.id).label("unblinded"),
                *(exists().where(_PART_MODELS[part].subject_pk == SubjectRow.id) for part in parts),
            )
            .join(SubjectRow, SubjectRow.study_id == StudyRow.id)
            .join(SiteRow, SiteRow.id == SubjectRow.site_id)
            .where(
                StudyRow.name == bindparam("study"), SubjectRow.subject_id == bindparam("subject")
            )
        )
    return stmt


@dataclass(frozen=True)
class _Located:
    """A subject found for a read (``SubjectService._located``)."""

    study: str
    open_label: bool
    row: Any  # the subject's columns: a SubjectRow or a plain row of its columns
    site_code: str
    unblinded: bool
    present: frozenset[str]  # the record lists it has records in (of those asked)


class SubjectService(Service):
    """``store.subjects``: subjects and their path through the study."""

    def screen(
        self,
        study: str,
        site: str,
        subject_id: str,
        facts: Mapping[str, Any],
        *,
        actor: Actor,
        screened_on: date | str | None = None,
    ) -> Subject:
        """Register a screened subject with their eligibility facts (``age`` and ``sex`` are
        also kept as subject covariates).

        The protocol's screening visit is recorded on ``screened_on`` (default: today by the
        store's clock), with the facts that are instruments scheduled there (``scorad``,
        ``easi``, ...) as its assessments: typed once, at screening. The identifier must match
        :data:`autoserum.study.rules.SUBJECT_ID_PATTERN`; facts must be plausible (a SCORAD
        within 0-103, an age within 0-130).
        """
        self._require(actor, "screen", study=study, site=site)
        check_subject_id("subject_id", subject_id)
        facts = _jsonable(check_facts(facts))
        age = None if facts.get("age") is None else as_decimal("facts.age", facts["age"])
        if age is not None:
            check_age("facts.age", age)
        sex = None if facts.get("sex") is None else check_choice("facts.sex", facts["sex"], SEXES)
        when = self._today() if screened_on is None else as_date("screened_on", screened_on)
        check_not_future("screened_on", when, today=self._today())
        born = None
        if facts.get("date_of_birth") is not None:
            born = as_date("facts.date_of_birth", facts["date_of_birth"])
            if born > when:
                raise ValidationError(
                    "facts.date_of_birth",
                    born.isoformat(),
                    Expected("a date not after %(when)s", when=when),
                )
            if age is None:  # the age is derived from the date of birth on screening
                age = check_age("facts.date_of_birth", Decimal(age_on(born, when)))
            check_age("facts.age", age, born=born, on=when)
        with self._write(actor) as s:
            st = self._study(s, study)
            require_unlocked(s, st, Target(), what=Message("screen a subject"))
            check_not_before("screened_on", when, st.start_date, what=Message("the study start"))
            site_row = self._site(s, st, site)
            exists = s.scalar(
                select(SubjectRow.id).where(
                    SubjectRow.study_id == st.id, SubjectRow.subject_id == subject_id
                )
            )
            if exists is not None:
                raise StateError(
                    Message(
                        "subject %(subject_id)s exists already in study %(study)s",
                        subject_id=repr(subject_id),
                        study=repr(study),
                    )
                )
            row = SubjectRow(
                study_id=st.id,
                site_id=site_row.id,
                subject_id=subject_id,
                status=SubjectStatus.SCREENED.value,
                facts=facts,
                age=age,
                sex=sex,
                birth_date=born,
                version=1,
            )
            s.add(row)
            s.flush()
            self._record_screening(s, st, row, facts, when)
            return subject_view(row, site, sees_arm=actor.sees_arm(st), unblinded=False)

    def _record_screening(
        self, s: Session, st: StudyRow, row: SubjectRow, facts: Mapping[str, Any], when: date
    ) -> None:
        """The protocol's screening visit on ``when`` with the instrument totals typed as
        facts (a protocol without a screening visit records none)."""
        plan = screening_visit(self._protocol(st))
        if plan is None:
            return
        visit = VisitRow(
            study_id=st.id,
            subject_pk=row.id,
            visit_code=plan.code,
            week=Decimal(plan.day // 7) if plan.day % 7 == 0 else None,
            day=plan.day,
            visit_date=when,
            version=1,
        )
        s.add(visit)
        s.flush()
        for code in plan.instruments:
            value = facts.get(code)
            if value is None or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            s.add(
                AssessmentRow(
                    study_id=st.id,
                    subject_pk=row.id,
                    visit_id=visit.id,
                    instrument=code,
                    payload=None,
                    total=fraction_text(Fraction(str(value))),
                    band=None,
                    version=1,
                )
            )
        s.flush()

    def randomise(
        self,
        study: str,
        subject_id: str,
        *,
        actor: Actor,
        strata: Mapping[str, str] | None = None,
        override_reason: str | None = None,
    ) -> str:
        """Enrol a screened, eligible subject and allocate the next arm of their stratum's
        concealed list. Returns the arm, or ``"blinded"`` when the actor may not see arms.

        ``strata``: the subject's level of every stratification factor the study declares
        (``{"baseline_severity": "severe"}``); the stratum is the site × these levels.

        Randomisation is refused while any eligibility rule fails **or is unknown**, unless an
        investigator (or the study admin) gives ``override_reason``: the override is recorded
        as an ``eligibility_override`` deviation naming the rules and the reason (audited).
        """
        self._require(actor, "randomise")
        if override_reason is not None:
            self._require(actor, "override_eligibility")
        with self._write(actor, override_reason or "enrolment and randomisation") as s:
            st = self._study(s, study)
            levels = check_strata(st.stratify_by or {}, strata)
            row = self._subject(s, st, subject_id, actor, action="randomise", lock=True)
            if override_reason is not None:
                code = self._site_code(s, row.site_id)
                self._require(actor, "override_eligibility", study=st.name, site=code)
            arm = self._allocate(s, st, row, levels, override_reason=override_reason)
            return arm if actor.sees_arm(st) else MASK

    def _allocate(
        self,
        s: Session,
        st: StudyRow,
        row: SubjectRow,
        levels: Mapping[str, str] | None = None,
        *,
        override_reason: str | None = None,
    ) -> str:
        transition(row.status, SubjectStatus.ENROLLED, has_run_in=st.has_run_in)
        require_unlocked(
            s,
            st,
            Target(subject_pk=row.id),
            what=Message("randomise %(subject_id)s", subject_id=row.subject_id),
        )
        require_consent(s, st, row, on=self._today(), what=Message("randomise"))
        protocol = self._protocol(st)
        result = evaluate_eligibility(protocol, row.facts or {})
        reason = check_randomisable(
            row.subject_id,
            failed=result.failed,
            unknown=result.unknown,
            override_reason=override_reason,
        )
        if reason is not None:
            rules = [ELIGIBILITY_FAILED(rules=", ".join(result.failed))] * bool(result.failed)
            rules += [ELIGIBILITY_UNKNOWN(rules=", ".join(result.unknown))] * bool(result.unknown)
            s.add(
                DeviationRow(
                    study_id=st.id,
                    subject_pk=row.id,
                    kind="eligibility_override",
                    description=ELIGIBILITY_OVERRIDE(rules=joined(rules), reason=reason),
                    importance=AUTOMATIC_IMPORTANCE["eligibility_override"],
                    version=1,
                )
            )
        if len(protocol.arms) == 1:
            arm, allocation_id = protocol.arms[0].code, None
        else:
            if levels is None:  # a status change to enrolled names no factor levels
                levels = check_strata(st.stratify_by or {}, None)
            stratum = stratum_key(self._site_code(s, row.site_id), levels)
            head = ensure_list(s, st, protocol, stratum)
            if head is None:  # pragma: no cover - a list is generated for two or more arms
                raise StateError(
                    Message("no allocation list for stratum %(stratum)s", stratum=repr(stratum))
                )
            entry = s.scalar(
                select(AllocationRow)
                .where(AllocationRow.list_id == head.id, AllocationRow.subject_pk.is_(None))
                .order_by(AllocationRow.sequence)
                .limit(1)
            )
            if entry is None:
                raise StateError(
                    Message(
                        "the allocation list of stratum %(stratum)s is used up",
                        stratum=repr(stratum),
                    )
                )
            entry.subject_pk = row.id
            arm, allocation_id = entry.arm, entry.id
        row.status = SubjectStatus.ENROLLED.value
        row.arm = arm
        row.allocation_id = allocation_id
        return arm

    def transition(
        self,
        study: str,
        subject_id: str,
        new_status: SubjectStatus | str,
        *,
        actor: Actor,
        reason: str | None = None,
    ) -> Subject:
        """Move a subject to ``new_status`` (:class:`StateError` for an illegal step).

        To ``enrolled`` this randomises; to ``withdrawn`` it needs a reason."""
        new = parse_status(new_status) if isinstance(new_status, str) else new_status
        action = _TRANSITION_ACTIONS.get(new, "write_data")
        self._require(actor, action)
        if reason is not None and reason.strip():
            reason = bounded_text("reason", reason, limit=NOTE_MAX)
        with self._write(actor, reason or f"status -> {new.value}") as s:
            st = self._study(s, study)
            row = self._subject(s, st, subject_id, actor, action=action, lock=True)
            require_unlocked(
                s,
                st,
                Target(subject_pk=row.id),
                what=Message("change %(subject_id)s", subject_id=subject_id),
            )
            if new is SubjectStatus.ENROLLED:
                self._allocate(s, st, row)
            else:
                transition(row.status, new, has_run_in=st.has_run_in, reason=reason)
                row.status = new.value
                if new in (SubjectStatus.WITHDRAWN, SubjectStatus.SCREEN_FAILED):
                    row.withdrawal_reason = reason  # why the subject left (CONSORT reasons)
            s.flush()
            return subject_out(s, st, row, actor)

    def withdraw(self, study: str, subject_id: str, *, actor: Actor, reason: str) -> Subject:
        """Withdraw a subject from any active status; the reason is required and kept."""
        return self.transition(
            study, subject_id, SubjectStatus.WITHDRAWN, actor=actor, reason=reason
        )

    def unblind(self, study: str, subject_id: str, *, actor: Actor, reason: str) -> str:
        """Emergency unblinding of one subject: returns the arm; audited, with its reason."""
        self._require(actor, "unblind")
        self._nonempty("reason", reason)
        reason = bounded_text("reason", reason, limit=NOTE_MAX) or reason
        with self._write(actor, reason) as s:
            st = self._study(s, study)
            row = self._subject(s, st, subject_id, actor, action="unblind")
            if row.arm is None:
                raise StateError(
                    Message(
                        "subject %(subject_id)s has no allocation yet", subject_id=repr(subject_id)
                    )
                )
            s.add(
                UnblindingRow(
                    study_id=st.id,
                    subject_pk=row.id,
                    username=actor.username,
                    reason=reason,
                    at=utcnow(),
                    version=1,
                )
            )
            arm: str = row.arm
            return arm

    def unblindings(self, study: str, *, actor: Actor) -> list[Unblinding]:
        """The emergency unblindings of a study (for the study admin)."""
        self._require(actor, "review_unblindings")
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "review_unblindings", study=st.name)
            rows = s.execute(
                select(UnblindingRow, SubjectRow.subject_id)
                .join(SubjectRow, SubjectRow.id == UnblindingRow.subject_pk)
                .where(UnblindingRow.study_id == st.id)
                .order_by(UnblindingRow.id)
            ).all()
            return [
                Unblinding(
                    id=u.id,
                    subject_id=label,
                    username=u.username,
                    reason=u.reason,
                    at=u.at.isoformat().replace("+00:00", "Z"),
                )
                for u, label in rows
            ]

    def all(self, study: str, *, actor: Actor) -> list[Subject]:
        """The subjects the actor may read (``read_subject`` of the permission table: their
        sites), arms masked when blinded."""
        return self._listing(study, actor, "read_subject")

    def site_counts(self, study: str, *, actor: Actor) -> dict[str, dict[str, int]]:
        """Per site code: subjects screened, enrolled (randomised at some point) and withdrawn,
        over the subjects within the actor's ``read_study`` reach (aggregates, no identifiers).
        """
        counts: dict[str, dict[str, int]] = {}
        for subj in self._listing(study, actor, "read_study"):
            row = counts.setdefault(subj.site, {"screened": 0, "enrolled": 0, "withdrawn": 0})
            row["screened"] += 1
            if subj.status not in (SubjectStatus.SCREENED, SubjectStatus.SCREEN_FAILED):
                row["enrolled"] += 1
            if subj.status is SubjectStatus.WITHDRAWN:
                row["withdrawn"] += 1
        return counts

    def _listing(self, study: str, actor: Actor, action: str) -> list[Subject]:
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, action, study=st.name)
            rows = s.scalars(
                select(SubjectRow)
                .where(SubjectRow.study_id == st.id)
                .order_by(SubjectRow.subject_id)
            ).all()
            return [
                subject_out(s, st, r, actor)
                for r in rows
                if actor.may(action, st.name, self._site_code(s, r.site_id))
            ]

    def consort_subjects(self, study: str, *, actor: Actor) -> list[ConsortSubject]:
        """Each subject within the actor's ``read_study`` reach as the CONSORT diagram counts
        it: status, arm (masked when blinded), the eligibility rules a screen failure failed
        (judged on the facts typed at screening by the study's protocol), why the subject left
        and whether treated."""
        with self._read() as s:
            protocol = self._protocol(self._study(s, study))
        described = {r.code: f"{r.code} ({r.description})" for r in protocol.eligibility}
        out = []
        for subj in self._listing(study, actor, "read_study"):
            failed: tuple[str, ...] = ()
            if subj.status is SubjectStatus.SCREEN_FAILED:
                result = evaluate_eligibility(protocol, subj.facts or {})
                failed = tuple(described.get(code, code) for code in result.failed)
            out.append(
                ConsortSubject(
                    subj.subject_id,
                    subj.status,
                    subj.arm,
                    failed_rules=failed,
                    reason=subj.withdrawal_reason,
                    treated=subj.treated,
                )
            )
        return out

    def consort(self, study: str, *, actor: Actor) -> ConsortFlow:
        """The CONSORT flow of the subjects within the actor's ``read_study`` reach (arms
        pooled when blinded): counts and reasons, no identifiers; in a study that manages
        consent, with the subjects consented and those who withdrew consent."""
        flow = consort_flow(self.consort_subjects(study, actor=actor))
        with self._read() as s:
            counts = consent_counts(s, self._study(s, study), actor)
        if counts is None:
            return flow
        return replace(flow, consented=counts[0], consent_withdrawn=counts[1])

    def visit_progress(self, study: str, *, actor: Actor) -> list[VisitProgress]:
        """Where each active subject within the actor's ``read_subject`` reach stands in the
        schedule (day 0, visits recorded, latest day recorded), aggregated in SQL over the
        study (``store/_progress.py``): what the dashboard's overdue list needs."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "read_subject", study=st.name)
            return visit_progress(s, st, lambda site: actor.may("read_subject", st.name, site))

    def _located(
        self,
        conn: Connection,
        study: str,
        subject_id: str,
        actor: Actor,
        *,
        action: str,
        parts: tuple[str, ...],
    ) -> _Located | None:
        """The subject ``subject_id`` of ``study`` if ``actor`` may perform ``action`` on it,
        with its study's name and blinding, site code, whether it was unblinded and which
        record lists of ``parts`` it has records in: one statement, no ORM objects. ``None``
        when that statement finds nothing (:meth:`_located_slowly` then raises the precise
        error) or the study is an import's staging study."""
        if study.startswith(STAGING_PREFIX):
            return None
        found = conn.execute(
            _located_statement(parts), {"study": study, "subject": subject_id}
        ).first()
        if found is None:
            return None
        name = found.study_name
        self._require(actor, action, study=name)
        if not actor.may(action, name, found.site_code):  # answered like a missing one
            raise NotFoundError(
                Message(
                    "no subject %(subject_id)s in study %(name)s",
                    subject_id=repr(subject_id),
                    name=repr(name),
                )
            )
        flags = found[len(found) - len(parts) :]
        present = frozenset(part for part, some in zip(parts, flags, strict=True) if some)
        return _Located(
            name, found.study_open_label, found, found.site_code, bool(found.unblinded), present
        )

    def _located_slowly(
        self,
        s: Session,
        study: str,
        subject_id: str,
        actor: Actor,
        *,
        action: str,
        parts: tuple[str, ...],
    ) -> _Located:
        """:meth:`_located` through the look-ups of :meth:`_study` and :meth:`_subject` one by
        one, with their precise errors (every list of ``parts`` is read)."""
        st = self._study(s, study)
        row = self._subject(s, st, subject_id, actor, action=action)
        code = self._site_code(s, row.site_id)
        return _Located(st.name, st.open_label, row, code, _unblinded(s, row), frozenset(parts))

    def detail(
        self,
        study: str,
        subject_id: str,
        *,
        actor: Actor,
        parts: Collection[str] = DETAIL_PARTS,
    ) -> SubjectDetail:
        """Everything recorded about a subject (arm and injected product masked if blinded).

        ``parts`` names the record lists to read (of :data:`DETAIL_PARTS`); the others are left
        empty: a caller that lists only the assessments reads two tables, not seven. The
        look-up of the subject also says which lists have records: an empty one is not read.
        A short Core read (``UnitOfWork.connect``: no ORM session or objects) unless the subject
        is not found at once (then the precise error, through the ORM look-ups)."""
        unknown = set(parts) - set(DETAIL_PARTS)
        if unknown:
            raise ValidationError(
                "parts", sorted(unknown), Expected("of %(values)s", values=", ".join(DETAIL_PARTS))
            )
        wanted = tuple(p for p in DETAIL_PARTS if p in parts)
        with self._uow.connect() as conn:
            found = self._located(
                conn, study, subject_id, actor, action="read_subject", parts=wanted
            )
            if found is not None:
                return self._detail_of(conn, found, actor)
        with self._read(autocommit=True) as s:
            found = self._located_slowly(
                s, study, subject_id, actor, action="read_subject", parts=wanted
            )
            return self._detail_of(s.connection(), found, actor)

    @staticmethod
    def _detail_of(conn: Connection, found: _Located, actor: Actor) -> SubjectDetail:
        row, label = found.row, found.row.subject_id
        sees = actor.sees_arms(open_label=found.open_label)

        def rows(part: str) -> list[Any]:
            if part not in found.present:
                return []
            return list(conn.execute(_records_of(_PART_MODELS[part]), {"pk": row.id}))

        return SubjectDetail(
            subject=subject_view(row, found.site_code, sees_arm=sees, unblinded=found.unblinded),
            visits=tuple(visit_view(r, label) for r in rows("visits")),
            assessments=tuple(assessment_view(r, label) for r in rows("assessments")),
            labs=tuple(lab_view(r, label) for r in rows("labs")),
            injections=tuple(injection_view(r, label, sees_arm=sees) for r in rows("injections")),
            adverse_events=tuple(adverse_event_view(r, label) for r in rows("adverse_events")),
            con_meds=tuple(con_med_view(r, label) for r in rows("con_meds")),
            deviations=tuple(
                deviation_view(r, label)
                for r in rows("deviations")
                if deviation_told(r.kind, sees_arm=sees)
            ),
            vital_signs=tuple(vital_sign_view(r, label) for r in rows("vital_signs")),
            prior_treatments=tuple(
                prior_treatment_view(r, label) for r in rows("prior_treatments")
            ),
            comorbidities=tuple(comorbidity_view(r, label) for r in rows("comorbidities")),
        )


_RECORDS_OF: dict[type[Any], Any] = {}


def _records_of(model: type[Any]) -> Any:
    """``SELECT`` the columns of the records of ``model`` of one subject (bound parameter
    ``pk``) in the order they were recorded, as plain rows (Core: no ORM objects for a list
    that is only read; the domain records take their fields by name, the same names as the
    mapped attributes): built once per model (no statement built or cache key computed per
    request)."""
    stmt = _RECORDS_OF.get(model)
    if stmt is None:
        table = model.__table__
        stmt = _RECORDS_OF[model] = (
            select(*(c for c in table.c if c.key not in ("study_id", "subject_pk")))
            .where(table.c.subject_pk == bindparam("pk"))
            .order_by(table.c.id)
        )
    return stmt


def subject_out(s: Session, st: StudyRow, row: SubjectRow, actor: Actor) -> Subject:
    """The domain view of ``row`` as ``actor`` may see it."""
    return subject_view(
        row,
        Service._site_code(s, row.site_id),
        sees_arm=actor.sees_arm(st),
        unblinded=_unblinded(s, row),
    )


def _unblinded(s: Session, row: SubjectRow) -> bool:
    return (s.scalar(select(func.count()).where(UnblindingRow.subject_pk == row.id)) or 0) > 0


def subject_by_pk(s: Session, pk: int) -> SubjectRow:
    """The subject row with record id ``pk``."""
    row = s.get(SubjectRow, pk)
    if row is None:
        raise NotFoundError(Message("no subject with record id %(pk)s", pk=pk))
    return row


def _jsonable(facts: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in facts.items():
        if value is None or isinstance(value, bool | int | float | str):
            out[key] = value
        else:
            out[key] = str(value)
    if any(not isinstance(k, str) for k in out):
        raise ValidationError("facts", list(out), Expected("fact names as text"))
    return out
