"""What may be corrected in recorded data and how: the record types that may be corrected or
deleted (their editable fields and converters are declared in the entity registry,
:mod:`autoserum.study.entities`), the derived fields that follow a change, and the column values
of labs and scored assessments (used by recording, correcting and importing alike)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from autoserum.errors import Expected, ValidationError
from autoserum.instruments import score
from autoserum.store._base import Actor
from autoserum.store._subjects import subject_out
from autoserum.store._views import domain_record, fraction_text
from autoserum.store.models import StudyRow, SubjectRow
from autoserum.study.coerce import as_decimal
from autoserum.study.entities import REGISTRY, entity
from autoserum.study.labs import check_plausible, judge, to_canonical
from autoserum.study.rules import check_scorable

__all__ = [
    "DELETABLE",
    "EDITABLE",
    "apply_changes",
    "convert_changes",
    "lab_fields",
    "record_view",
    "score_payload",
]

EDITABLE: frozenset[str] = frozenset(name for name, spec in REGISTRY.items() if spec.editable)
"""The record types ``records.update`` corrects: those of the registry with editable fields."""

DELETABLE: frozenset[str] = frozenset(name for name, spec in REGISTRY.items() if spec.deletable)
"""The record types ``records.delete`` removes (entered in error)."""


def convert_changes(name: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` of the record type ``name`` through the converters of its editable fields
    in the registry (a field that may not be changed is a :class:`ValidationError` naming it
    and the fields that may)."""
    return entity(name).convert(changes, partial=True)


def apply_changes(
    s: Session, entity: str, row: Any, subject: SubjectRow | None, values: dict[str, Any]
) -> None:
    """Set converted ``values`` on ``row`` with the derived fields that follow (an assessment
    rescored, a lab reconverted and reflagged, an adverse event revalidated)."""
    if entity == "lab":
        merged = {k: getattr(row, k) for k in ("value", "unit", "ref_low", "ref_high")}
        merged.update(values)
        values = lab_fields(
            row.analyte, merged["value"], merged["unit"], merged["ref_low"], merged["ref_high"]
        )
    elif entity == "assessment" and "payload" in values:
        assert subject is not None
        values["total"], values["band"] = score_payload(
            row.instrument, values["payload"], subject.age, scorable=True
        )
    elif entity == "assessment" and "total" in values:
        if row.payload is not None:
            raise ValidationError(
                "assessment.total",
                str(values["total"]),
                Expected("a payload change (the total is computed)"),
            )
        values["total"] = str(values["total"])
    for key, value in values.items():
        setattr(row, key, value)


def record_view(
    s: Session,
    entity: str,
    row: Any,
    st: StudyRow,
    subject: SubjectRow | None,
    actor: Actor,
) -> Any:
    """The domain view of an edited ``row`` as ``actor`` may see it (``None`` for a site)."""
    if subject is None:
        return None
    if entity == "subject":
        return subject_out(s, st, row, actor)
    return domain_record(entity, row, subject.subject_id, sees_arm=actor.sees_arm(st))


def score_payload(
    instrument: str, payload: Mapping[str, Any], age: Decimal | None, *, scorable: bool = False
) -> tuple[str | None, str | None]:
    """(exact total as text, band) of ``payload``; EASI takes the subject's age when the payload
    has none (the stored payload stays as given). With ``scorable`` an assessment the
    instrument's missing-data rule cannot score is refused, naming the missing items."""
    data = dict(payload)
    if instrument == "easi" and data.get("age") is None and age is not None:
        data["age"] = age
    result = score(instrument, data)
    if scorable:
        check_scorable(instrument, data, result)
    total = None if result.total is None else fraction_text(result.total)
    return total, result.band


def lab_fields(analyte: str, value: Any, unit: str, ref_low: Any, ref_high: Any) -> dict[str, Any]:
    """Column values of a lab result: canonical value, unit, converted range and flag."""
    raw = as_decimal(f"{analyte}.value", value)
    canonical, canon_unit, factor = to_canonical(analyte, raw, unit)
    check_plausible(analyte, canonical)
    low = None if ref_low is None else as_decimal(f"{analyte}.ref_low", ref_low)
    high = None if ref_high is None else as_decimal(f"{analyte}.ref_high", ref_high)
    if factor != 1:
        low = None if low is None else to_canonical(analyte, low, unit)[0]
        high = None if high is None else to_canonical(analyte, high, unit)[0]
    return {
        "value": canonical,
        "unit": canon_unit,
        "ref_low": low,
        "ref_high": high,
        "flag": judge(canonical, low=low, high=high),
    }
