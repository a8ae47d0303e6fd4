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

from autoserum.study.consent import COMPONENTS
from autoserum.study.labs import ANALYTES
from autoserum.study.vocab import OUTCOMES, RELATEDNESS, SEVERITIES

__all__ = [
    "CONSENT_FORM",
    "CONSENT_WITHDRAWAL_FORM",
    "RECORD_FORMS",
    "FormField",
    "RecordForm",
    "consent_form",
    "optional_text",
]


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


_AGREED = (("yes", "agreed"), ("no", "declined"))

CONSENT_FORM = RecordForm(
    "consents",
    "Informed consent",
    "a consent",
    "consent",
    ("document_version", "language", "consented_at", "obtained_by", "witness",
     "representative", "components"),
    (
        FormField("document_version", "Document version signed", required=True),
        FormField("consented_at", "Signed at (e.g. 2026-02-16T09:30+01:00)", required=True),
        FormField("obtained_by", "Person obtaining consent", required=True),
        FormField("witness", "Impartial witness (if any)"),
        FormField("representative", "Legally authorised representative (if any)"),
        *(
            FormField(f"components_{c}", c.replace("_", " ").capitalize(), options=_AGREED)
            for c in COMPONENTS
        ),
    ),
)  # fmt: skip
"""The consent form of the subject page (its document versions filled in per study)."""

CONSENT_WITHDRAWAL_FORM = RecordForm(
    "consent_withdrawal",
    "Withdrawal of consent",
    "a withdrawal of consent",
    "consent",
    ("withdrawn_on", "withdrawal_reason"),
    (
        FormField("withdrawn_on", "Consent withdrawn on", "date", required=True),
        FormField("consent_withdrawal_reason", "Reason", required=True),
    ),
)
"""Withdrawal of consent: nothing dated on or after it is collected."""


def consent_form(versions: tuple[tuple[str, str], ...]) -> RecordForm:
    """:data:`CONSENT_FORM` with the study's document versions as the choices."""
    first, *rest = CONSENT_FORM.fields
    chosen = FormField(first.name, first.label, options=versions, required=True)
    return RecordForm(
        CONSENT_FORM.key,
        CONSENT_FORM.title,
        CONSENT_FORM.noun,
        CONSENT_FORM.entity,
        CONSENT_FORM.columns,
        (chosen, *rest),
    )


def optional_text(form: Mapping[str, Any], name: str) -> str | None:
    """The stripped posted text of ``name``, or None when empty."""
    value = str(form.get(name) or "").strip()
    return value or None
