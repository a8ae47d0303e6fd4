"""The record forms of the subject page (injection, lab, adverse event, concomitant
medication) and the correction forms, derived from the entity registry
(:mod:`autoserum.study.entities`): a form asks for the fields its record type declares
``on_form``; a correction form for those that are also ``editable``.

Values are passed to the store as text; the store converts them with the registry's converters
and raises :class:`~autoserum.errors.ValidationError` naming the field, which the page shows
beside that field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from autoserum.i18n import N_
from autoserum.study.consent import COMPONENTS
from autoserum.study.entities import EntitySpec, Field, entity
from autoserum.study.history import HISTORY_FIELDS
from autoserum.study.labs import ANALYTES
from autoserum.study.vocab import DEVIATION_CATEGORIES

__all__ = [
    "CONSENT_FORM",
    "CONSENT_WITHDRAWAL_FORM",
    "CORRECTABLE",
    "RECORD_FORMS",
    "ConsentForm",
    "FormField",
    "RecordForm",
    "consent_form",
    "correction_fields",
    "form_field",
    "form_values",
    "history_fields",
    "optional_text",
]


@dataclass(frozen=True)
class FormField:
    """One input of a page form: its name, label, input type, options and whether required."""

    name: str
    label: str
    type: str = "text"
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False


#: Options of fields whose vocabulary is not a fixed choice of the registry (the analytes).
_OPTIONS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("lab", "analyte"): tuple((a.code, a.label) for a in ANALYTES.values()),
    ("deviation", "kind"): tuple((c, c.replace("_", " ")) for c in DEVIATION_CATEGORIES),
}
_YES_NO = (("no", "no"), ("yes", "yes"))


def form_field(spec: EntitySpec, field: Field) -> FormField:
    """The input of ``field`` of ``spec`` on a page form."""
    options = _OPTIONS.get((spec.name, field.name), ())
    if field.kind == "choice":
        options = tuple((v, v.replace("_", " ")) for v in field.choices)  # |vocab translates
    elif field.kind == "bool":
        options = _YES_NO
    kind = "date" if field.kind == "date" else "text"
    return FormField(field.form_name, field.title, kind, options, field.required)


@dataclass(frozen=True)
class RecordForm:
    """A record form of the subject page: its record type, the links it asks for first (the
    lab's visit) and the fields of the record type it asks for."""

    spec: EntitySpec
    links: tuple[FormField, ...] = ()

    @property
    def key(self) -> str:
        """URL segment and section id."""
        return self.spec.key

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def noun(self) -> str:
        return self.spec.label

    @property
    def entity(self) -> str:
        """Entity name in the audit trail."""
        return self.spec.name

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the section's table: the links, then every field of the record."""
        links = ("visit" if link.name.endswith("visit_code") else link.name for link in self.links)
        return (*links, *self.spec.names)

    @property
    def fields(self) -> tuple[FormField, ...]:
        return (*self.links, *(form_field(self.spec, f) for f in self.spec.form_fields))


RECORD_FORMS: tuple[RecordForm, ...] = (
    RecordForm(entity("injection")),
    RecordForm(entity("lab"), (FormField("lab_visit_code", N_("Visit"), required=True),)),
    RecordForm(entity("vital_sign"), (FormField("vs_visit_code", N_("Visit"), required=True),)),
    RecordForm(entity("adverse_event")),
    RecordForm(entity("con_med")),
    RecordForm(entity("deviation")),
    RecordForm(entity("prior_treatment")),
    RecordForm(entity("comorbidity")),
)

#: Record types corrected on a correction page (assessments: on their instrument form).
CORRECTABLE: tuple[str, ...] = (
    "visit",
    "injection",
    "lab",
    "adverse_event",
    "con_med",
    "deviation",
    "vital_sign",
    "prior_treatment",
    "comorbidity",
)


def history_fields(ethnicities: tuple[str, ...], races: tuple[str, ...]) -> tuple[FormField, ...]:
    """The inputs of the subject's demographics and AD history form: the subject's fields of
    :data:`autoserum.study.history.HISTORY_FIELDS`, ethnicity and race offering the
    protocol's categories. None is required (only the fields filled in change)."""
    subject = entity("subject")
    declared = {"ethnicity": ethnicities, "race": races}
    out = []
    for name in HISTORY_FIELDS:
        f = form_field(subject, subject.field(name))
        if name in declared:
            f = FormField(f.name, f.label, f.type, tuple((c, c) for c in declared[name]))
        out.append(FormField(f.name, f.label, f.type, f.options, required=False))
    return tuple(out)


def correction_fields(spec: EntitySpec) -> tuple[tuple[Field, FormField], ...]:
    """The fields of a record type a correction page shows (on its form and editable), with
    their inputs."""
    return tuple((f, form_field(spec, f)) for f in spec.form_fields if f.editable)


def form_values(spec: EntitySpec, form: Mapping[str, Any]) -> dict[str, str | None]:
    """The posted values of the record form of ``spec``, by field name (empty: ``None``)."""
    return {f.name: optional_text(form, f.form_name) for f in spec.form_fields}


@dataclass(frozen=True)
class ConsentForm:
    """A consent form of the subject page (informed consent is kept by
    :mod:`autoserum.study.consent`, not a record type of the entity registry): the same
    attributes as :class:`RecordForm`."""

    key: str
    title: str
    noun: str
    entity: str
    columns: tuple[str, ...]
    fields: tuple[FormField, ...]


#: The optional components of a consent (``study.consent.COMPONENTS``) as the form asks them.
_COMPONENT_LABELS = {
    "photographs": N_("Photographs"),
    "sample_storage": N_("Sample storage"),
    "future_research": N_("Future research"),
    "genetic_testing": N_("Genetic testing"),
    "recontact": N_("Recontact"),
}
_AGREED = (("yes", N_("agreed")), ("no", N_("declined")))

CONSENT_FORM = ConsentForm(
    "consents",
    N_("Informed consent"),
    N_("a consent"),
    "consent",
    (N_("document_version"), N_("language"), N_("consented_at"), N_("obtained_by"),
     N_("witness"), N_("representative"), N_("components")),
    (
        FormField("document_version", N_("Document version signed"), required=True),
        FormField("consented_at", N_("Signed at (e.g. 2026-02-16T09:30+01:00)"), required=True),
        FormField("obtained_by", N_("Person obtaining consent"), required=True),
        FormField("witness", N_("Impartial witness (if any)")),
        FormField("representative", N_("Legally authorised representative (if any)")),
        *(
            FormField(f"components_{c}", _COMPONENT_LABELS[c], options=_AGREED)
            for c in COMPONENTS
        ),
    ),
)  # fmt: skip
"""The consent form of the subject page (its document versions filled in per study)."""

CONSENT_WITHDRAWAL_FORM = ConsentForm(
    "consent_withdrawal",
    N_("Withdrawal of consent"),
    N_("a withdrawal of consent"),
    "consent",
    (N_("withdrawn_on"), N_("withdrawal_reason")),
    (
        FormField("withdrawn_on", N_("Consent withdrawn on"), "date", required=True),
        FormField("consent_withdrawal_reason", N_("Reason"), required=True),
    ),
)
"""Withdrawal of consent: nothing dated on or after it is collected."""


def consent_form(versions: tuple[tuple[str, str], ...]) -> ConsentForm:
    """:data:`CONSENT_FORM` with the study's document versions as the choices."""
    first, *rest = CONSENT_FORM.fields
    chosen = FormField(first.name, first.label, options=versions, required=True)
    return ConsentForm(
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
