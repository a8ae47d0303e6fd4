"""Automatic checks in the store (``store.checks``): read a subject's data as
:class:`autoserum.study.checks.SubjectFacts`, evaluate the rules the study's protocol enables
and raise a data query per new finding, authored ``system:check:<rule>`` in the audit trail.
They run on every write of a subject's data (the review hook, ``store/_review.py``, in the
write's transaction) and on demand (:meth:`CheckService.run`, ``autoserum checks run``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, literal_column, select
from sqlalchemy.orm import Session

from autoserum.protocols import ProtocolVersions
from autoserum.store._audit import AuditContext
from autoserum.store._base import Actor, Service
from autoserum.store._product import chain_in_use_clause
from autoserum.store._queries import raise_finding, raised_findings
from autoserum.store.models import (
    AdverseEventRow,
    AssessmentRow,
    ConsentRow,
    DeviationRow,
    InjectionRow,
    LabRow,
    PreparationRow,
    SiteRow,
    SubjectRow,
    VisitRow,
)
from autoserum.study.checks import (
    AssessmentFacts,
    Finding,
    InjectionFacts,
    LabFacts,
    SubjectFacts,
    VisitFacts,
    evaluate,
)
from autoserum.study.queries import check_author

__all__ = ["CheckService", "check_subjects", "subject_facts"]


# What the checks read of a subject (bound parameter ``pk``), as columns: built once.
_NOT_DONE = select(DeviationRow.visit_id, DeviationRow.description).where(
    DeviationRow.subject_pk == bindparam("pk"), DeviationRow.kind == "assessment_not_done"
)
_LABS = select(LabRow.id, LabRow.analyte, LabRow.value, LabRow.unit).where(
    LabRow.subject_pk == bindparam("pk")
)
_EVENTS = select(AdverseEventRow.id, AdverseEventRow.onset_date).where(
    AdverseEventRow.subject_pk == bindparam("pk")
)
# One statement for what every check reads: the first consent, whether the study uses the
# product chain, which of the subject's other record kinds the checks read have any rows (an
# empty one is not read), and the visits with their assessments (one row per assessment, and
# one per visit without any; one row of NULLs for a subject without visits: the first five
# columns come from a one-row base the visits are joined to).
_ONE = select(literal_column("1").label("one")).subquery("one")
_FACTS = (
    select(
        select(func.min(ConsentRow.consented_at))
        .where(ConsentRow.subject_pk == bindparam("pk"))
        .scalar_subquery()
        .label("first_consent"),
        chain_in_use_clause(bindparam("study")).label("in_use"),
        exists()
        .where(
            DeviationRow.subject_pk == bindparam("pk"),
            DeviationRow.kind == "assessment_not_done",
        )
        .label("any_not_done"),
        exists().where(LabRow.subject_pk == bindparam("pk")).label("any_labs"),
        exists().where(AdverseEventRow.subject_pk == bindparam("pk")).label("any_events"),
        VisitRow.id.label("visit_id"),
        VisitRow.visit_code,
        VisitRow.day,
        VisitRow.visit_date,
        VisitRow.deviation_days,
        VisitRow.earliest,
        VisitRow.latest,
        AssessmentRow.id.label("assessment_id"),
        AssessmentRow.instrument,
        AssessmentRow.payload,
        AssessmentRow.total,
    )
    .select_from(_ONE)
    .outerjoin(VisitRow, VisitRow.subject_pk == bindparam("pk"))
    .outerjoin(
        AssessmentRow,
        and_(AssessmentRow.visit_id == VisitRow.id, AssessmentRow.subject_pk == bindparam("pk")),
    )
    .order_by(VisitRow.id, AssessmentRow.id)
)


def subject_facts(s: Session, versions: ProtocolVersions, subject: SubjectRow) -> SubjectFacts:
    """What the checks read of ``subject`` (a visit's planned instruments by the protocol
    version in effect on its date): one statement (:data:`_FACTS`), and one more for each of
    the subject's not-done deviations, labs and adverse events that has any row, and for the
    injections where the study uses the product chain."""

    def planned(code: str, day: date | None) -> tuple[str, ...]:
        plans = {v.code: v.instruments for v in versions.on(day).visits}
        return tuple(plans.get(code, ()))

    pk = {"pk": subject.id}
    s.flush()  # the reads below are Core statements (plain rows), which do not autoflush
    conn = s.connection()
    rows = conn.execute(_FACTS, {"pk": subject.id, "study": subject.study_id}).all()
    first, in_use, any_not_done, any_labs, any_events = rows[0][:5]
    not_done: dict[int, list[str]] = {}
    for visit_id, text in conn.execute(_NOT_DONE, pk) if any_not_done else ():
        if visit_id is not None:
            not_done.setdefault(visit_id, []).append(text.split(" ", 1)[0])
    visits: list[VisitFacts] = []
    found: list[AssessmentFacts] = []
    for r in rows:
        if r.visit_id is None:
            continue  # the subject has no visit
        if not visits or visits[-1].id != r.visit_id:
            visits.append(
                VisitFacts(
                    r.visit_id,
                    r.visit_code,
                    r.day,
                    r.visit_date,
                    r.deviation_days,
                    r.earliest,
                    r.latest,
                    planned=planned(r.visit_code, r.visit_date),
                    not_done=tuple(not_done.get(r.visit_id, ())),
                )
            )
        if r.assessment_id is not None:
            found.append(
                AssessmentFacts(
                    r.assessment_id,
                    r.visit_id,
                    r.instrument,
                    r.payload or {},
                    None if r.total is None else Fraction(str(r.total)),
                )
            )
    assessments = tuple(sorted(found, key=lambda a: a.id))
    labs = tuple(
        LabFacts(r.id, r.analyte, r.value, r.unit)
        for r in (conn.execute(_LABS, pk) if any_labs else ())
    )
    events = tuple((r.id, r.onset_date) for r in (conn.execute(_EVENTS, pk) if any_events else ()))
    chain = bool(in_use)
    injections: tuple[InjectionFacts, ...] = ()
    if chain:
        injections = tuple(
            InjectionFacts(
                r.id,
                r.given_on,
                linked=any(x is not None for x in (r.draw_id, r.aliquot_id, r.preparation_id)),
                prepared_on=None if prepared is None else prepared.date(),
            )
            for r, prepared in s.execute(
                select(InjectionRow, PreparationRow.prepared_at)
                .outerjoin(PreparationRow, PreparationRow.id == InjectionRow.preparation_id)
                .where(InjectionRow.subject_pk == subject.id)
            )
        )
    return SubjectFacts(
        subject.subject_id,
        age=subject.age,
        visits=tuple(visits),
        assessments=assessments,
        labs=labs,
        adverse_events=events,
        first_consent=_first_date(first),
        injections=injections,
        product_chain=chain,
    )


def _first_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):  # func.min over the text column (SQLite)
        return datetime.fromisoformat(value).date()
    return value.date() if hasattr(value, "date") else None


def check_subjects(
    s: Session, versions: ProtocolVersions, subjects: Iterable[SubjectRow], *, today: date
) -> list[Finding]:
    """Evaluate the checks for ``subjects`` and raise a query per new finding in ``s``, each
    audited as written by ``system:check:<rule>`` (the reason names who triggered it). The
    findings that opened a query."""
    settings = versions.current.protocol.monitoring.checks
    ctx = s.info.get("audit")
    raised: list[Finding] = []
    for subject in subjects:
        findings = evaluate(subject_facts(s, versions, subject), settings, today=today)
        known = raised_findings(s, subject.study_id, findings)
        for finding in findings:
            if isinstance(ctx, AuditContext):
                why = f"automatic check on data written by {ctx.username}"
                s.info["audit"] = replace(
                    ctx, username=check_author(finding.rule), role="system", reason=why
                )
            try:
                if raise_finding(s, subject.study_id, subject.id, finding, known=known):
                    raised.append(finding)
                s.flush()
            finally:
                s.info["audit"] = ctx
    return raised


class CheckService(Service):
    """``store.checks``: run the automatic checks of a study on demand."""

    def run(
        self, study: str, *, actor: Actor, subject_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Run the checks for every subject at the actor's sites (or one ``subject_id``) and
        raise a query per new finding; the new findings (rule, subject, record, text)."""
        self._require(actor, "run_checks", study=study)
        with self._write(actor, "automatic checks") as s:
            st = self._study(s, study)
            versions = self._versions(st)
            if subject_id is not None:
                subjects = [self._subject(s, st, subject_id, actor, action="run_checks")]
            else:
                subjects = [
                    row
                    for row, code in s.execute(
                        select(SubjectRow, SiteRow.code)
                        .join(SiteRow, SiteRow.id == SubjectRow.site_id)
                        .where(SubjectRow.study_id == st.id)
                        .order_by(SubjectRow.subject_id)
                    )
                    if actor.may("run_checks", st.name, code)
                ]
            names = {row.id: row.subject_id for row in subjects}
            out = []
            for subject in subjects:
                for f in check_subjects(s, versions, [subject], today=self._today()):
                    out.append(
                        {
                            "rule": f.rule,
                            "subject_id": names[subject.id],
                            "entity": f.entity,
                            "record_id": f.record_id,
                            "field": f.field,
                            "text": f.text,
                        }
                    )
            return out
