"""Controlled vocabularies of the study model (one place, used by the store, import and web).

References: CTCAE v5 severity grades collapsed to mild/moderate/severe (ICH E2A), WHO-UMC
causality categories, CDISC SDTM AE outcome terms (AEOUT).

>>> check_choice("severity", "mild", SEVERITIES)
'mild'
"""

from __future__ import annotations

from autoserum.errors import ValidationError
from autoserum.i18n import N_
from autoserum.study.coerce import one_of

__all__ = [
    "ALIQUOT_STATUSES",
    "DEVIATION_CATEGORIES",
    "DEVIATION_IMPORTANCE",
    "OUTCOMES",
    "PRODUCTS",
    "RELATEDNESS",
    "SEVERITIES",
    "SEXES",
    "check_choice",
]

SEVERITIES: tuple[str, ...] = ("mild", "moderate", "severe")
RELATEDNESS: tuple[str, ...] = ("not_related", "unlikely", "possible", "probable", "definite")
OUTCOMES: tuple[str, ...] = ("recovered", "recovering", "not_recovered", "fatal", "unknown")
PRODUCTS: tuple[str, ...] = ("whole_blood", "serum", "igg", "saline", "none")
SEXES: tuple[str, ...] = ("F", "M")
#: The states of an aliquot (``store.product.life(...).status``, shown on the product pages
#: in the reader's language).
ALIQUOT_STATUSES: tuple[str, ...] = (
    N_("available"),
    N_("injected"),
    N_("disposed"),
    N_("expired"),
    N_("thawed too often"),
)
#: Categories of a protocol deviation recorded by hand (ICH E3 10.2; TransCelerate protocol
#: deviation categories, condensed); automatic ones carry their own kind (``visit_window``,
#: ``assessment_not_done``, ``eligibility_override``, the con-med rules' kinds).
DEVIATION_CATEGORIES: tuple[str, ...] = (
    N_("eligibility"),
    N_("informed_consent"),
    N_("study_procedure"),
    N_("visit_schedule"),
    N_("investigational_product"),
    N_("prohibited_medication"),
    N_("safety_reporting"),
    N_("other"),
)
#: Importance of a deviation (ICH E3 10.2: a major deviation may affect the per-protocol set).
DEVIATION_IMPORTANCE: tuple[str, ...] = ("major", "minor")


def check_choice(field: str, value: object, allowed: tuple[str, ...]) -> str:
    """``value`` when it is one of ``allowed``; :class:`ValidationError` naming them otherwise."""
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(field, value, one_of(allowed))
    return value
