"""Where each record of a study goes in a CDISC ODM 1.3.2 document, derived from the entity
registry, the instrument registry and the study's protocol.

Every record type of :data:`~autoserum.study.entities.REGISTRY` but the site is one form
(``F.<TYPE>``) holding one item group (``IG.<TYPE>``) whose items (``IT.<TYPE>.<column>``) are
the columns of its data package file (:func:`autoserum.study.package.package_columns`) less
the keys that ODM carries itself: the subject (``SubjectKey``), the visit (the study event the
record is in) and the record number (``ItemGroupRepeatKey``). An assessment is one form per
instrument (``F.QS.<CODE>``) whose items are the instrument's items (``IT.QS.<CODE>.<column>``)
and the assessment's own fields (``IT.ASSESSMENT.<column>``). A site is a ``Location``.

The informed consent (:data:`~autoserum.study.entities.CONSENT_REGISTRY`) is carried the
same way: a subject's consents are the repeating item group ``IG.CONSENT`` of the form
``F.CONSENT`` in the subject's common event (its item ``IT.CONSENT.document`` the record number
of the document signed); the study's consent documents, which belong to no subject, are the
repeating reference item group ``IG.CONSENT_DOCUMENT`` (``IsReferenceData="Yes"``) in
``ReferenceData``, beside the study's settings.

Study events: one per planned visit of the protocol (``SE.<visit code>``, scheduled), one
repeating unscheduled event (``SE.UNSCHEDULED``, keyed by the visit code) and the subject's
common event (``SE.SUBJECT``) holding the subject's own fields and every record not linked to
a visit (adverse events, medications, the product chain, ...).

>>> from autoserum.study.entities import entity
>>> form_oid(entity("adverse_event")), item_oid(entity("lab"), "flag")
('F.ADVERSE_EVENT', 'IT.LAB.flag')
>>> item_columns(entity("lab"), blinded=False, deidentified=False)
('analyte', 'value', 'unit', 'ref_low', 'ref_high', 'flag')
>>> item_columns(entity("injection"), blinded=False, deidentified=True)[:3]
('draw', 'aliquot', 'preparation')
>>> item_columns(entity("injection"), blinded=True, deidentified=True)[:3]
('volume_ml', 'site', 'lot')
>>> data_specs()[-1].name, group_oid(CONSENT_DOCUMENT)
('consent', 'IG.CONSENT_DOCUMENT')
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, TypedDict

from autoserum.errors import Expected, NotFoundError, ValidationError
from autoserum.instruments import Instrument, get_instrument
from autoserum.study.entities import CONSENT_REGISTRY, REGISTRY, EntitySpec, Field
from autoserum.study.package import (
    VISIT_LINK,
    column_name,
    key_columns,
    package_columns,
)

__all__ = [
    "ASSESSMENT",
    "CONSENT",
    "CONSENT_DOCUMENT",
    "NS",
    "ODM_REGISTRY",
    "SUBJECT_EVENT",
    "UNSCHEDULED_EVENT",
    "Flags",
    "choice_text",
    "data_specs",
    "event_oid",
    "field_columns",
    "form_oid",
    "group_oid",
    "instrument_of",
    "item_columns",
    "item_oid",
    "number_text",
    "qs_form_oid",
    "qs_group_oid",
    "qs_item_oid",
    "subject_specs",
    "visit_linked",
]

NS = "http://www.cdisc.org/ns/odm/v1.3"
"""The ODM 1.3 namespace (1.3.2 is told by the ``ODMVersion`` attribute)."""

ASSESSMENT = "assessment"
CONSENT = CONSENT_REGISTRY["consent"]
"""A subject's consent: a repeating item group of the subject's common event."""
CONSENT_DOCUMENT = CONSENT_REGISTRY["consent_document"]
"""The study's consent documents: a repeating reference item group (``ReferenceData``)."""
ODM_REGISTRY: dict[str, EntitySpec] = {**REGISTRY, **CONSENT_REGISTRY}
"""Every record type an ODM document carries, by name."""
SUBJECT_EVENT = "SE.SUBJECT"
UNSCHEDULED_EVENT = "SE.UNSCHEDULED"


class Flags(TypedDict):
    """The variant of an export: blinded, de-identified."""

    blinded: bool
    deidentified: bool


_KEYS_IN_ODM = frozenset({"subject_id", "record", "visit", "site"})


def _tag(spec: EntitySpec) -> str:
    return spec.name.upper()


def form_oid(spec: EntitySpec) -> str:
    """The form of a record type: ``F.ADVERSE_EVENT``."""
    return f"F.{_tag(spec)}"


def group_oid(spec: EntitySpec) -> str:
    """The item group of a record type: ``IG.ADVERSE_EVENT``."""
    return f"IG.{_tag(spec)}"


def item_oid(spec: EntitySpec, column: str) -> str:
    """The item of a record type's column: ``IT.LAB.flag``."""
    return f"IT.{_tag(spec)}.{column}"


def qs_form_oid(code: str) -> str:
    """The form of an instrument's assessments: ``F.QS.EASI``."""
    return f"F.QS.{code.upper()}"


def qs_group_oid(code: str) -> str:
    """The item group of an instrument's assessments: ``IG.QS.EASI``."""
    return f"IG.QS.{code.upper()}"


def qs_item_oid(code: str, column: str) -> str:
    """The item of an instrument's item: ``IT.QS.EASI.head_neck_erythema``."""
    return f"IT.QS.{code.upper()}.{column}"


def event_oid(visit: str, planned: frozenset[str]) -> str:
    """The study event of a visit: ``SE.<code>`` when the protocol plans it, else the
    unscheduled event."""
    return f"SE.{visit}" if visit in planned else UNSCHEDULED_EVENT


def subject_specs(*, blinded: bool = False) -> tuple[EntitySpec, ...]:
    """The record types of a subject (every registry entry but the site and the subject;
    when ``blinded``, not those whose records reveal the arm: ``EntitySpec.masked_for_blinded``,
    as :func:`autoserum.study.package.package_types`)."""
    return tuple(
        s
        for s in REGISTRY.values()
        if s.parent == "subject" and not (blinded and s.masked_for_blinded)
    )


def data_specs(*, blinded: bool = False) -> tuple[EntitySpec, ...]:
    """The record types of a subject's data in ODM: :func:`subject_specs`, then the consent."""
    return (*subject_specs(blinded=blinded), CONSENT)


def visit_linked(spec: EntitySpec) -> bool:
    """Whether records of ``spec`` may belong to a visit."""
    return VISIT_LINK in spec.links


def field_columns(spec: EntitySpec) -> dict[str, Field]:
    """Column → field of every packaged field of ``spec``."""
    return {column_name(f): f for f in spec.fields if f.packaged}


def item_columns(spec: EntitySpec, *, blinded: bool, deidentified: bool) -> tuple[str, ...]:
    """The columns of ``spec`` written as items: its package columns less the keys ODM
    carries itself (links to other records stay, as their record numbers)."""
    fields = field_columns(spec)
    keys = set(key_columns(spec)) & _KEYS_IN_ODM
    columns = package_columns(spec, blinded=blinded, deidentified=deidentified)
    return tuple(c for c in columns if c in fields or c not in keys)


def instrument_of(code: str) -> Instrument | None:
    """The instrument registry's entry for an assessment's instrument code (``None`` for a
    total-only code such as ``oscorad``)."""
    try:
        return get_instrument(code)
    except NotFoundError:
        return None


def choice_text(value: Any) -> str:
    """An answer code as text (``true``/``false`` for a boolean code)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def number_text(value: Any) -> str:
    """A number item's value as the JSON number it is stored as (``2``, ``2.5``); a
    :class:`~fractions.Fraction` bound as a decimal."""
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else str(float(value))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("item", value, Expected("a number"))
    return repr(value)
