"""What may be corrected in recorded data and how: the editable fields of each record type with
their converters, the derived fields that follow a change, and the column values of labs,
adverse events and scored assessments (used by recording, correcting and importing alike)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from autoserum.errors import ValidationError
from autoserum.instruments import score
from autoserum.store._base import Actor
from autoserum.store._coerce import as_bool, as_date, as_decimal, as_int, as_text, optional
from autoserum.store._subjects import subject_out
from autoserum.store._views import (
    adverse_event_view,
    assessment_view,
    con_med_view,
    deviation_view,
    fraction_text,
    injection_view,
    lab_view,
    visit_view,
)
from autoserum.store.models import StudyRow, SubjectRow
from autoserum.study.labs import check_plausible, judge, to_canonical
from autoserum.study.rules import (
    NOTE_MAX,
    SHORT_MAX,
    TERM_MAX,
    bounded_text,
    check_age,
    check_scorable,
)
from autoserum.study.vocab import OUTCOMES, PRODUCTS, RELATEDNESS, SEVERITIES, SEXES, check_choice

__all__ = [
    "DELETABLE",
    "EDITABLE",
    "ae_fields",
    "apply_changes",
    "convert_changes",
    "lab_fields",
    "record_view",
    "score_payload",
]

Conv = Callable[[str, Any], Any]


def _choice(allowed: tuple[str, ...]) -> Conv:
    return lambda field, value: check_choice(field, value, allowed)


def _opt(conv: Conv) -> Conv:
    return lambda field, value: optional(conv, field, value)


def _text(limit: int) -> Conv:
    return lambda field, value: bounded_text(field, value, limit=limit)


def _opt_text(limit: int) -> Conv:
    return lambda field, value: bounded_text(field, value, limit=limit, required=False)


def _age(field: str, value: Any) -> Any:
    return None if value is None else check_age(field, as_decimal(field, value))


def _facts(field: str, value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise ValidationError(field, value, "a mapping of fact names to values")
    return dict(value)


EDITABLE: dict[str, dict[str, Conv]] = {
    "site": {"name": _text(TERM_MAX)},
    "subject": {
        "facts": _facts,
        "age": _age,
        "sex": _opt(_choice(SEXES)),
        "per_protocol": _opt(as_bool),
        "treated": _opt(as_bool),
    },
    "visit": {"visit_date": _opt(as_date), "week": _opt(as_decimal)},
    "assessment": {"payload": _facts, "total": _opt(as_decimal)},
    "lab": {
        "value": as_decimal,
        "unit": as_text,
        "ref_low": _opt(as_decimal),
        "ref_high": _opt(as_decimal),
    },
    "injection": {
        "given_on": as_date,
        "product": _choice(PRODUCTS),
        "volume_ml": _opt(as_decimal),
        "site": _opt_text(SHORT_MAX),
        "lot": _opt_text(SHORT_MAX),
        "given_by": _opt_text(SHORT_MAX),
    },
    "adverse_event": {
        k: (lambda f, v: v)
        for k in ("term", "severity", "serious", "related", "outcome", "onset_date", "onset_week")
    },
    "con_med": {
        "name": _text(TERM_MAX),
        "dose": _opt_text(SHORT_MAX),
        "route": _opt_text(50),
        "start_date": _opt(as_date),
        "end_date": _opt(as_date),
        "indication": _opt_text(TERM_MAX),
    },
    "deviation": {"kind": _text(50), "description": _text(NOTE_MAX), "days": _opt(as_int)},
}
"""Entity → the fields ``update_record`` may change, with their converters."""

DELETABLE = frozenset({"assessment", "lab", "injection", "adverse_event", "con_med", "deviation"})


def convert_changes(entity: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` of ``entity`` through the converters of :data:`EDITABLE` (a field that may not
    be changed is a :class:`ValidationError` naming it and the fields that may)."""
    allowed = EDITABLE[entity]
    values: dict[str, Any] = {}
    for key, value in changes.items():
        conv = allowed.get(key)
        if conv is None:
            raise ValidationError(f"{entity}.{key}", value, f"one of {', '.join(sorted(allowed))}")
        values[key] = conv(key, value)
    return values


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
    elif entity == "adverse_event":
        merged = {k: getattr(row, k) for k in EDITABLE["adverse_event"]}
        merged.update(values)
        values = ae_fields(**merged)
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
                "a payload change (the total is computed)",
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
    label = subject.subject_id
    views: dict[str, Callable[[], Any]] = {
        "subject": lambda: subject_out(s, st, row, actor),
        "visit": lambda: visit_view(row, label),
        "assessment": lambda: assessment_view(row, label),
        "lab": lambda: lab_view(row, label),
        "injection": lambda: injection_view(row, label, sees_arm=actor.sees_arm(st)),
        "adverse_event": lambda: adverse_event_view(row, label),
        "con_med": lambda: con_med_view(row, label),
        "deviation": lambda: deviation_view(row, label),
    }
    return views[entity]()


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


def ae_fields(**given: Any) -> dict[str, Any]:
    """Validated column values of an adverse event."""
    return {
        "term": bounded_text("term", given["term"], limit=TERM_MAX),
        "severity": check_choice("severity", given["severity"], SEVERITIES),
        "serious": as_bool("serious", given["serious"]),
        "related": check_choice("related", given["related"], RELATEDNESS),
        "outcome": check_choice("outcome", given["outcome"], OUTCOMES),
        "onset_date": optional(as_date, "onset_date", given.get("onset_date")),
        "onset_week": optional(as_decimal, "onset_week", given.get("onset_week")),
    }
