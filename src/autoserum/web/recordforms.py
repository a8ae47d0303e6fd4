"""The small record forms of the subject page (visit, injection, lab, adverse event,
concomitant medication) and how their posted strings become store arguments.

Values are passed to the store as text; the store validates them (dates, vocabularies, units)
and raises :class:`~autoserum.errors.ValidationError` naming the field, which the page shows
beside that field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from autoserum.study.labs import ANALYTES
from autoserum.study.vocab import OUTCOMES, RELATEDNESS, SEVERITIES

__all__ = ["RECORD_FORMS", "FormField", "RecordForm", "optional_text"]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    type: str = "text"
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False


@dataclass(frozen=True)
class RecordForm:
    key: str  # URL segment and section id
    title: str
    noun: str
    entity: str  # entity name in the audit trail
    columns: tuple[str, ...]
    fields: tuple[FormField, ...]


def _choices(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((v, v.replace("_", " ")) for v in values)


RECORD_FORMS: tuple[RecordForm, ...] = (
    RecordForm(
        "injections",
        "Injections given",
        "an injection",
        "injection",
        ("given_on", "product", "volume_ml", "site", "lot", "given_by"),
        (
            FormField("given_on", "Date given", "date", required=True),
            FormField("volume_ml", "Volume (mL)"),
            FormField("injection_site", "Injection site (muscle or acupoint code)"),
            FormField("lot", "Lot"),
        ),
    ),
    RecordForm(
        "labs",
        "Laboratory results",
        "a lab result",
        "lab",
        ("visit", "analyte", "value", "unit", "ref_low", "ref_high", "flag"),
        (
            FormField("lab_visit_code", "Visit", options=(), required=True),
            FormField(
                "analyte",
                "Analyte",
                options=tuple((a.code, a.label) for a in ANALYTES.values()),
                required=True,
            ),
            FormField("value", "Value", required=True),
            FormField("unit", "Unit (UCUM, e.g. kU/L, 10^9/L, %, pg/mL)", required=True),
            FormField("ref_low", "Reference range low"),
            FormField("ref_high", "Reference range high"),
        ),
    ),
    RecordForm(
        "adverse_events",
        "Adverse events",
        "an adverse event",
        "adverse_event",
        ("term", "onset_date", "severity", "serious", "related", "outcome"),
        (
            FormField("term", "Term (verbatim)", required=True),
            FormField("onset_date", "Onset date", "date"),
            FormField("severity", "Severity", options=_choices(SEVERITIES), required=True),
            FormField("serious", "Serious", options=(("no", "no"), ("yes", "yes")), required=True),
            FormField("related", "Relatedness", options=_choices(RELATEDNESS), required=True),
            FormField("outcome", "Outcome", options=_choices(OUTCOMES), required=True),
        ),
    ),
    RecordForm(
        "con_meds",
        "Concomitant medication",
        "a medication",
        "con_med",
        ("name", "dose", "route", "start_date", "end_date", "indication"),
        (
            FormField("name", "Medication", required=True),
            FormField("dose", "Dose"),
            FormField("route", "Route"),
            FormField("start_date", "Start date", "date"),
            FormField("end_date", "End date", "date"),
            FormField("indication", "Indication"),
        ),
    ),
)


def optional_text(form: Mapping[str, Any], name: str) -> str | None:
    """The stripped posted text of ``name``, or None when empty."""
    value = str(form.get(name) or "").strip()
    return value or None
