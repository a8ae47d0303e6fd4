"""Eligibility of a candidate against a protocol's rules.

Each rule bounds one named fact (``age``, ``scorad``, ``bsa_percent``, ...). A rule fails when
the fact is outside its bounds; a fact the caller does not give is *unknown*; a rule whose
threshold is not published (``source = "unknown"``) cannot be evaluated and is listed apart.

>>> from autoserum.protocols import load_protocol
>>> p = load_protocol("aigt-nahm2020")
>>> r = evaluate_eligibility(p, {"atopic_dermatitis": True, "age": 12, "scorad": 40})
>>> r.eligible, r.failed, r.unknown
(False, ['age'], ['bsa_percent', 'days_since_systemic_treatment'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.protocols._schema import EligibilityRule, Protocol

__all__ = ["EligibilityResult", "evaluate_eligibility"]


@dataclass(frozen=True)
class EligibilityResult:
    """``eligible`` only when no rule failed and no needed fact is unknown.

    ``failed``: codes of the rules not met; ``unknown``: names of facts not given;
    ``not_evaluable``: codes of rules whose threshold is not published (they never block).
    """

    eligible: bool
    failed: list[str]
    unknown: list[str]
    not_evaluable: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with stable keys."""
        return {
            "eligible": self.eligible,
            "failed": list(self.failed),
            "unknown": list(self.unknown),
            "not_evaluable": list(self.not_evaluable),
        }


def _passes(rule: EligibilityRule, value: Any) -> bool:
    if rule.equals is not None:
        if isinstance(rule.equals, bool) and not isinstance(value, bool):
            raise ValidationError(f"facts.{rule.fact}", value, Expected("true or false"))
        return bool(value == rule.equals)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"facts.{rule.fact}", value, Expected("a number"))
    if rule.minimum is not None and value < rule.minimum:
        return False
    return not (rule.maximum is not None and value > rule.maximum)


def evaluate_eligibility(protocol: Protocol, facts: Mapping[str, Any]) -> EligibilityResult:
    """Evaluate every rule of ``protocol`` on a candidate's ``facts`` (``None`` = unknown).

    Raises :class:`ValidationError` (field ``facts.<name>``) for a fact of the wrong type.
    """
    failed: list[str] = []
    unknown: list[str] = []
    not_evaluable: list[str] = []
    for rule in protocol.eligibility:
        if rule.source == "unknown":
            not_evaluable.append(rule.code)
            continue
        value = facts.get(rule.fact)
        if value is None:
            if rule.fact not in unknown:
                unknown.append(rule.fact)
            continue
        if not _passes(rule, value):
            failed.append(rule.code)
    return EligibilityResult(
        eligible=not failed and not unknown,
        failed=failed,
        unknown=unknown,
        not_evaluable=not_evaluable,
    )
