"""A concomitant medication judged against the protocol's medication rules: is it allowed as
rescue, is it prohibited? Each finding is a protocol deviation (ICH E3 §10.2) that the store
records and raises as a query; the file import and the web form ask the same function.

A prohibited drug counts when taken on or after day 0 (the first injection): a con-med that
ended before day 0 is prior medication, not a deviation; an unknown end counts as ongoing.

>>> from autoserum.protocols import load_protocol
>>> rules = load_protocol("ast-nahm2023").medication
>>> [f.kind for f in medication_findings(rules, drug="ciclosporin", atc_code="L04AD01",
...     drug_class=None, potency_eu=None, rescue=False, end_day=None)]
['prohibited_medication']
>>> medication_findings(rules, drug="mometasone furoate 0.1% cream", atc_code="D07AC13",
...     drug_class="tcs", potency_eu="III", rescue=True, end_day=19)
()
"""

from __future__ import annotations

from dataclasses import dataclass

from autoserum.protocols._schema import Medication
from autoserum.study.deviations import PROHIBITED, RESCUE_NOT_ALLOWED
from autoserum.study.medication import class_of_atc, potency_eu_of_atc

__all__ = ["FINDING_KINDS", "MedicationFinding", "medication_findings"]

#: Deviation kinds a con-med can raise.
FINDING_KINDS: tuple[str, ...] = ("prohibited_medication", "rescue_not_allowed")


@dataclass(frozen=True)
class MedicationFinding:
    """A deviation found in one con-med: its kind and a description naming drug and rule."""

    kind: str
    description: str


def medication_findings(
    rules: Medication,
    *,
    drug: str,
    atc_code: str | None,
    drug_class: str | None,
    potency_eu: str | None,
    rescue: bool,
    end_day: int | None,
) -> tuple[MedicationFinding, ...]:
    """The deviations of one con-med under ``rules`` (days count from day 0 = first injection).

    The class and potency follow from a known ATC code when not given.
    """
    if atc_code is not None:
        drug_class = drug_class or class_of_atc(atc_code)
        potency_eu = potency_eu or potency_eu_of_atc(atc_code)
    coded = {"atc_code": atc_code, "drug_class": drug_class, "potency_eu": potency_eu}
    named = drug if atc_code is None else f"{drug} ({atc_code})"
    out: list[MedicationFinding] = []
    during = end_day is None or end_day >= 0
    for rule in rules.prohibited:
        if during and rule.matches(**coded):
            out.append(
                MedicationFinding(
                    "prohibited_medication",
                    PROHIBITED(drug=named, rule=rule.description),
                )
            )
            break
    if rescue and not any(rule.matches(**coded) for rule in rules.rescue):
        allowed = "; ".join(r.description for r in rules.rescue) or "none"
        out.append(
            MedicationFinding(
                "rescue_not_allowed",
                RESCUE_NOT_ALLOWED(drug=named, allowed=allowed),
            )
        )
    return tuple(out)
