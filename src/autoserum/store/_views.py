"""Rows → the immutable domain records of :mod:`autoserum.study`, with blinding applied: one
generic mapping over the fields the entity registry declares (:func:`domain_record`); the
subject's view adds its site code, typed status and unblinded flag.

>>> fraction_text(Fraction(143, 10)), fraction_text(Fraction(1, 3))
('14.3', '1/3')
>>> parse_fraction_text("14.3")
Fraction(143, 10)
"""

from __future__ import annotations

from decimal import Decimal, Inexact, localcontext
from fractions import Fraction
from typing import Any

from sqlalchemy import Row

from autoserum.store.models import (
    AdverseEventRow,
    AssessmentRow,
    ConMedRow,
    DeviationRow,
    InjectionRow,
    LabRow,
    SubjectRow,
    VisitRow,
    VitalSignRow,
)
from autoserum.study.blinding import MASK
from autoserum.study.entities import PRODUCT_DEVIATION, Field, entity
from autoserum.study.model import (
    AdverseEvent,
    Aliquot,
    Assessment,
    BloodDraw,
    Comorbidity,
    ConMed,
    Deviation,
    Disposal,
    Injection,
    LabResult,
    Photo,
    PhotoRating,
    Preparation,
    PriorTreatment,
    Processing,
    ProEntry,
    Record,
    StorageEvent,
    Subject,
    Visit,
    VitalSign,
)
from autoserum.study.safety import follow_up_of
from autoserum.study.status import SubjectStatus

__all__ = [
    "adverse_event_view",
    "assessment_view",
    "comorbidity_view",
    "con_med_view",
    "deviation_told",
    "deviation_view",
    "domain_record",
    "fraction_text",
    "injection_view",
    "lab_view",
    "parse_fraction_text",
    "prior_treatment_view",
    "subject_view",
    "visit_view",
    "vital_sign_view",
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


def subject_view(
    row: SubjectRow | Row[Any], site: str, *, sees_arm: bool, unblinded: bool
) -> Subject:
    """A subject (its mapped row or a plain row of its columns); the arm is masked unless the
    viewer may see it."""
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
        language=row.language,
        birth_date=row.birth_date,
        ethnicity=row.ethnicity,
        race=row.race,
        fitzpatrick=row.fitzpatrick,
        ad_onset_age=row.ad_onset_age,
    )


_CLASSES: dict[str, type[Record]] = {
    "pro_entry": ProEntry,
    "visit": Visit,
    "assessment": Assessment,
    "lab": LabResult,
    "injection": Injection,
    "adverse_event": AdverseEvent,
    "con_med": ConMed,
    "deviation": Deviation,
    "blood_draw": BloodDraw,
    "processing": Processing,
    "aliquot": Aliquot,
    "storage_event": StorageEvent,
    "disposal": Disposal,
    "preparation": Preparation,
    "photo": Photo,
    "photo_rating": PhotoRating,
    "vital_sign": VitalSign,
    "prior_treatment": PriorTreatment,
    "comorbidity": Comorbidity,
}


def _shown(field: Field, value: Any, *, sees_arm: bool) -> Any:
    if field.masked_for_blinded and not sees_arm:
        return MASK
    if field.kind == "fraction" and value is not None:
        return parse_fraction_text(value)
    return value


def _value(name: str, field: Field, row: Any) -> Any:
    """A field's value of ``row`` (an ORM row or a plain result row): a derived field (not a
    column) computed as the model computes it."""
    if field.derived and name == "adverse_event" and field.name == "follow_up":
        return follow_up_of(row.version)
    return getattr(row, field.name)


def domain_record(name: str, row: Any, label: str, *, sees_arm: bool = True) -> Record:
    """The domain record of ``row`` of record type ``name``: its links and the fields the
    registry declares, a field or link masked for blinded viewers shown as ``"blinded"``
    unless the viewer ``sees_arm``, an exact total parsed to a fraction."""
    spec = entity(name)
    values = {f.name: _shown(f, _value(name, f, row), sees_arm=sees_arm) for f in spec.fields}
    links = {
        link: MASK if link in spec.masked_links and not sees_arm else getattr(row, link)
        for link in spec.links
    }
    return _CLASSES[name](id=row.id, subject_id=label, version=row.version, **links, **values)


def visit_view(row: VisitRow, label: str) -> Visit:
    """A visit."""
    return domain_record("visit", row, label)


def assessment_view(row: AssessmentRow, label: str) -> Assessment:
    """An assessment with its exact total."""
    return domain_record("assessment", row, label)


def lab_view(row: LabRow, label: str) -> LabResult:
    """A lab result."""
    return domain_record("lab", row, label)


def injection_view(row: InjectionRow, label: str, *, sees_arm: bool) -> Injection:
    """An injection; the product reveals the arm and is masked for blinded viewers."""
    return domain_record("injection", row, label, sees_arm=sees_arm)


def adverse_event_view(row: AdverseEventRow, label: str) -> AdverseEvent:
    """An adverse event."""
    return domain_record("adverse_event", row, label)


def con_med_view(row: ConMedRow, label: str) -> ConMed:
    """A concomitant medication."""
    return domain_record("con_med", row, label)


def deviation_view(row: DeviationRow, label: str) -> Deviation:
    """A protocol deviation."""
    return domain_record("deviation", row, label)


def deviation_told(kind: str, *, sees_arm: bool) -> bool:
    """Whether a deviation of ``kind`` is told to a reader: not a processing outside the
    protocol (:data:`~autoserum.study.entities.PRODUCT_DEVIATION`, a record of the product
    chain whose presence reveals the arm, as blinded exports leave it out) to a blinded one.

    >>> deviation_told("product_process", sees_arm=False)
    False
    >>> deviation_told("visit_window", sees_arm=False)
    True
    """
    return sees_arm or kind != PRODUCT_DEVIATION


def vital_sign_view(row: VitalSignRow, label: str) -> VitalSign:
    """The vital signs of a visit."""
    return domain_record("vital_sign", row, label)


def prior_treatment_view(row: Any, label: str) -> PriorTreatment:
    """A systemic treatment of atopic dermatitis before the study."""
    return domain_record("prior_treatment", row, label)


def comorbidity_view(row: Any, label: str) -> Comorbidity:
    """An atopic comorbidity."""
    return domain_record("comorbidity", row, label)
