"""GRADE summary of findings: per comparison and outcome, the studies, participants, effect,
certainty and the reasons for downgrading (risk of bias, inconsistency, indirectness,
imprecision, publication bias).

Certainty starts high (4) for randomised trials; each domain downgrades by 0 (not serious),
1 (serious) or 2 (very serious) levels; the result is floored at very low (Guyatt GH et al.
J Clin Epidemiol 2011;64:383-94). The risk-of-bias downgrade must be at least serious when any
contributing trial is at high risk in RoB 2 (checked against ``rob2.yaml``).

>>> row = next(r for r in summary_of_findings() if r.id == "ad_severity")
>>> row.certainty, row.participants
('very low', 54)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from autoserum.errors import Expected, ValidationError
from autoserum.evidence._effects import study_effect
from autoserum.evidence._registry import Registry, load_registry
from autoserum.evidence._rob import load_rob2

__all__ = ["GRADE_DOMAINS", "GradeRow", "randomized_n", "summary_of_findings"]

GRADE_DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
_STEPS = {"not_serious": 0, "serious": 1, "very_serious": 2}
_LABELS = {4: "high", 3: "moderate", 2: "low", 1: "very low"}


def randomized_n(reg: Registry, study: str) -> int:
    """Randomized participants of ``study`` from results.csv (``enrolled``: all, else the arms)."""
    rows = [r for r in reg.results.values() if r.study_id == study and r.outcome == "enrolled"]
    total = [r.value for r in rows if r.arm == "all" and r.value is not None]
    if total:
        return int(total[0])
    arms = [r.value for r in rows if r.arm != "all" and r.value is not None]
    if not arms:
        raise ValidationError("enrolled", study, Expected("a randomized n in results.csv"))
    return int(sum(arms))


@dataclass(frozen=True)
class GradeRow:
    """One row of the summary-of-findings table."""

    id: str
    comparison: str
    outcome: str
    studies: tuple[str, ...]
    participants: int
    effect: str
    effects: tuple[dict[str, Any], ...]
    downgrades: Mapping[str, tuple[str, str]]
    certainty: str
    rob: Mapping[str, str]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons for each downgrade, as 'domain (level): reason'."""
        return tuple(
            f"{d.replace('_', ' ')} ({lvl.replace('_', ' ')}): {why}"
            for d, (lvl, why) in self.downgrades.items()
            if lvl != "not_serious"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "comparison": self.comparison,
            "outcome": self.outcome,
            "studies": list(self.studies),
            "k": len(self.studies),
            "participants": self.participants,
            "effect": self.effect,
            "effects": list(self.effects),
            "certainty": self.certainty,
            "downgrades": {
                d: {"level": lvl, "reason": why} for d, (lvl, why) in self.downgrades.items()
            },
            "reasons": list(self.reasons),
            "rob2_overall": dict(self.rob),
        }


def _effect_summary(reg: Registry, effect_id: str) -> dict[str, Any]:
    eff = study_effect(reg, effect_id)
    y, se = eff.effect.yi, eff.effect.se
    lo, hi = y - 1.959963984540054 * se, y + 1.959963984540054 * se
    out: dict[str, Any] = {
        "id": effect_id,
        "study": eff.spec.study,
        "measure": eff.spec.measure,
        "estimate": y,
        "ci_low": lo,
        "ci_high": hi,
        "derived": eff.derived,
        "ci_method": "95% Wald interval from the (derived) SE; the trial's own CI may differ",
    }
    if eff.spec.measure in ("RR", "OR"):
        out |= {
            "exp_estimate": math.exp(y),
            "exp_ci_low": math.exp(lo),
            "exp_ci_high": math.exp(hi),
        }
    return out


@cache
def summary_of_findings() -> tuple[GradeRow, ...]:
    """The GRADE rows shipped with the package (``data/grade.yaml``), validated."""
    text = (resources.files("autoserum.evidence") / "data" / "grade.yaml").read_text(
        encoding="utf-8"
    )
    doc = yaml.safe_load(text)
    reg = load_registry()
    rob = {(a.study, a.outcome): a.overall for a in load_rob2()}
    rows = []
    for raw in doc["outcomes"]:
        where = f"grade.yaml:{raw.get('id')}"
        studies = tuple(str(s) for s in raw["studies"])
        for s in studies:
            if s not in reg.studies or reg.studies[s].status != "included":
                raise ValidationError("studies", s, Expected("an included study"), location=where)
        rob_overall = {}
        for s, outcome in (raw.get("rob_outcomes") or {}).items():
            if (s, outcome) not in rob:
                raise ValidationError(
                    "rob_outcomes", f"{s}:{outcome}", Expected("a RoB 2 assessment"), location=where
                )
            rob_overall[str(s)] = rob[(s, outcome)]
        if set(rob_overall) != set(studies):
            raise ValidationError(
                "rob_outcomes",
                sorted(rob_overall),
                Expected("one RoB 2 outcome per study"),
                location=where,
            )
        downgrades: dict[str, tuple[str, str]] = {}
        for d in GRADE_DOMAINS:
            pair = (raw.get("downgrades") or {}).get(d)
            if not pair or pair[0] not in _STEPS or not pair[1]:
                raise ValidationError(
                    d, pair, Expected("[not_serious|serious|very_serious, reason]"), location=where
                )
            downgrades[d] = (str(pair[0]), str(pair[1]))
        if "High" in rob_overall.values() and downgrades["risk_of_bias"][0] == "not_serious":
            raise ValidationError(
                "risk_of_bias",
                "not_serious",
                Expected("serious or worse: a trial is at high risk (RoB 2)"),
                location=where,
            )
        level = max(1, 4 - sum(_STEPS[lvl] for lvl, _ in downgrades.values()))
        rows.append(
            GradeRow(
                id=str(raw["id"]),
                comparison=str(raw["comparison"]),
                outcome=str(raw["outcome"]),
                studies=studies,
                participants=sum(randomized_n(reg, s) for s in studies),
                effect=str(raw["effect"]),
                effects=tuple(_effect_summary(reg, e) for e in raw.get("effect_ids") or ()),
                downgrades=downgrades,
                certainty=_LABELS[level],
                rob=rob_overall,
            )
        )
    return tuple(rows)
