"""The screening form of a protocol: one field per fact its eligibility rules test.

Facts tested for equality with a boolean become a yes/no/unknown choice; numeric bounds become
a number field. The posted values are parsed to the facts of
:func:`autoserum.protocols.evaluate_eligibility` (empty = unknown).

Example::

    >>> from autoserum.protocols import load_protocol
    >>> [f.name for f in fact_fields(load_protocol("abt-pittler2003"))]
    ['atopic_dermatitis', 'age']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from autoserum.i18n import DEFAULT_LANGUAGE, translate
from autoserum.protocols import Protocol

__all__ = ["FactField", "fact_fields", "parse_facts"]


@dataclass(frozen=True)
class FactField:
    """One screening field: the fact's name, its label and its kind."""

    name: str
    label: str
    kind: str  # "boolean" | "number" | "text"
    hint: str


def fact_fields(protocol: Protocol, *, language: str = DEFAULT_LANGUAGE) -> tuple[FactField, ...]:
    """The fields of the screening form of ``protocol`` (rules with unpublished thresholds,
    which cannot be evaluated, are left out); their hints in ``language``. A label is the
    protocol's own text (the fact and the rule's description)."""
    fields: dict[str, FactField] = {}
    for rule in protocol.eligibility:
        if rule.source == "unknown" or rule.fact in fields:
            continue
        if isinstance(rule.equals, bool):
            answer = translate(language, "yes") if rule.equals else translate(language, "no")
            kind, hint = "boolean", translate(language, "required: %(value)s", value=answer)
        elif rule.equals is not None:
            kind, hint = "text", translate(language, "required: %(value)s", value=rule.equals)
        else:
            kind = "number"
            low, high = rule.minimum, rule.maximum
            if low is not None and high is not None:
                hint = translate(
                    language, "required: ≥ %(low)s and ≤ %(high)s", low=f"{low:g}", high=f"{high:g}"
                )
            elif low is not None:
                hint = translate(language, "required: ≥ %(low)s", low=f"{low:g}")
            elif high is not None:
                hint = translate(language, "required: ≤ %(high)s", high=f"{high:g}")
            else:
                hint = ""
        label = rule.fact.replace("_", " ").capitalize()
        fields[rule.fact] = FactField(rule.fact, f"{label} ({rule.description})", kind, hint)
    return tuple(fields.values())


def parse_facts(
    protocol: Protocol, form: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(facts, typed values, errors by field) from a posted screening form."""
    facts: dict[str, Any] = {}
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in fact_fields(protocol):
        raw = str(form.get(field.name) or "").strip()
        values[field.name] = raw
        if not raw:
            continue
        if field.kind == "boolean":
            if raw not in ("yes", "no"):
                errors[field.name] = f"got {raw!r}; expected yes, no or empty (unknown)"
            else:
                facts[field.name] = raw == "yes"
        elif field.kind == "number":
            try:
                number = Decimal(raw)
            except InvalidOperation:
                errors[field.name] = f"got {raw!r}; expected a number"
                continue
            if not number.is_finite():
                errors[field.name] = f"got {raw!r}; expected a finite number"
                continue
            facts[field.name] = (
                int(number) if number == number.to_integral_value() else float(number)
            )
        else:
            facts[field.name] = raw
    return facts, values, errors
