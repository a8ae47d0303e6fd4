"""Rows → the immutable domain records of :mod:`autoserum.study`, with blinding applied.

>>> fraction_text(Fraction(143, 10)), fraction_text(Fraction(1, 3))
('14.3', '1/3')
>>> parse_fraction_text("14.3")
Fraction(143, 10)
"""

from __future__ import annotations

from decimal import Decimal, Inexact, localcontext
from fractions import Fraction

from autoserum.store.models import (
    AdverseEventRow,
    AssessmentRow,
    ConMedRow,
    DeviationRow,
    InjectionRow,
    LabRow,
    SubjectRow,
    VisitRow,
)
from autoserum.study.blinding import MASK
from autoserum.study.model import (
    AdverseEvent,
    Assessment,
    ConMed,
    Deviation,
    Injection,
    LabResult,
    Subject,
    Visit,
)
from autoserum.study.status import SubjectStatus

__all__ = [
    "adverse_event_view",
    "assessment_view",
    "con_med_view",
    "deviation_view",
    "fraction_text",
    "injection_view",
    "lab_view",
    "parse_fraction_text",
    "subject_view",
    "visit_view",
]


def fraction_text(value: Fraction) -> str:
    """An exact total as text: a decimal when it terminates, else ``p/q`` (never rounded)."""
    with localcontext() as ctx:
        ctx.prec = 80
        ctx.traps[Inexact] = True
        try:
            dec = Decimal(value.numerator) / Decimal(value.denominator)
        except Inexact:
            return f"{value.numerator}/{value.denominator}"
    text = format(dec, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_fraction_text(text: str) -> Fraction:
    """The inverse of :func:`fraction_text`."""
    return Fraction(text)


def subject_view(row: SubjectRow, site: str, *, sees_arm: bool, unblinded: bool) -> Subject:
    """A subject; the arm is masked unless the viewer may see it."""
    arm = row.arm if (row.arm is None or sees_arm) else MASK
    return Subject(
        id=row.id,
        subject_id=row.subject_id,
        site=site,
        status=SubjectStatus(row.status),
        arm=arm,
        facts=dict(row.facts or {}),
        age=row.age,
        sex=row.sex,
        per_protocol=row.per_protocol,
        treated=row.treated,
        withdrawal_reason=row.withdrawal_reason,
        unblinded=unblinded,
        version=row.version,
    )


def visit_view(row: VisitRow, label: str) -> Visit:
    """A visit."""
    return Visit(
        id=row.id,
        subject_id=label,
        visit_code=row.visit_code,
        week=row.week,
        day=row.day,
        visit_date=row.visit_date,
        earliest=row.earliest,
        latest=row.latest,
        deviation_days=row.deviation_days,
        version=row.version,
    )


def assessment_view(row: AssessmentRow, label: str) -> Assessment:
    """An assessment with its exact total."""
    return Assessment(
        id=row.id,
        subject_id=label,
        visit_id=row.visit_id,
        instrument=row.instrument,
        payload=row.payload,
        total=None if row.total is None else parse_fraction_text(row.total),
        band=row.band,
        version=row.version,
    )


def lab_view(row: LabRow, label: str) -> LabResult:
    """A lab result."""
    return LabResult(
        id=row.id,
        subject_id=label,
        visit_id=row.visit_id,
        analyte=row.analyte,
        value=row.value,
        unit=row.unit,
        ref_low=row.ref_low,
        ref_high=row.ref_high,
        flag=row.flag,
        version=row.version,
    )


def injection_view(row: InjectionRow, label: str, *, sees_arm: bool) -> Injection:
    """An injection; the product reveals the arm and is masked for blinded viewers."""
    return Injection(
        id=row.id,
        subject_id=label,
        given_on=row.given_on,
        product=row.product if sees_arm else MASK,
        volume_ml=row.volume_ml,
        site=row.site,
        lot=row.lot,
        given_by=row.given_by,
        visit_id=row.visit_id,
        version=row.version,
    )


def adverse_event_view(row: AdverseEventRow, label: str) -> AdverseEvent:
    """An adverse event."""
    return AdverseEvent(
        id=row.id,
        subject_id=label,
        term=row.term,
        onset_date=row.onset_date,
        onset_week=row.onset_week,
        severity=row.severity,
        serious=row.serious,
        related=row.related,
        outcome=row.outcome,
        version=row.version,
    )


def con_med_view(row: ConMedRow, label: str) -> ConMed:
    """A concomitant medication."""
    return ConMed(
        id=row.id,
        subject_id=label,
        name=row.name,
        dose=row.dose,
        route=row.route,
        start_date=row.start_date,
        end_date=row.end_date,
        indication=row.indication,
        version=row.version,
    )


def deviation_view(row: DeviationRow, label: str) -> Deviation:
    """A protocol deviation."""
    return Deviation(
        id=row.id,
        subject_id=label,
        kind=row.kind,
        description=row.description,
        visit_id=row.visit_id,
        days=row.days,
        version=row.version,
    )
