"""Pooling the registry: each analysis of ``analyses.yaml`` run through :func:`autoserum.meta.rma`.

An analysis with k = 1 is reported, not pooled. The test for subgroup differences is run when
the analysis names a subgroup variable (``therapy`` or ``condition``) and k exceeds the number
of subgroups (metafor's ``rma(..., mods = ~ factor(subgroup))`` QM). Leave-one-out needs
k >= 3. The stated limits of each analysis are extended with what the numbers show (k, derived
inputs, heterogeneity).

>>> from autoserum.evidence import load_registry
>>> res = pool_analysis(load_registry(), "ad_blood_serum_severity", method="REML")
>>> res.result is not None and res.result.k
2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autoserum.errors import ValidationError
from autoserum.evidence._effects import StudyEffect, study_effect
from autoserum.evidence._registry import THERAPIES, Analysis, Registry
from autoserum.meta import (
    METHODS,
    LeaveOneOut,
    MetaResult,
    SubgroupResult,
    leave_one_out,
    rma,
    subgroup_analysis,
)

__all__ = ["PooledAnalysis", "pool_analysis"]


@dataclass(frozen=True)
class PooledAnalysis:
    """An analysis with its study effects, pooled result, subgroup test and limits."""

    analysis: Analysis
    effects: tuple[StudyEffect, ...]
    result: MetaResult | None
    subgroup: SubgroupResult | None
    leave_one_out: tuple[LeaveOneOut, ...]
    limits: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        a = self.analysis
        return {
            "id": a.id,
            "condition": a.condition,
            "title": a.title,
            "measure": a.measure,
            "direction": a.direction,
            "effects": [e.to_dict() for e in self.effects],
            "pooled": self.result.to_dict() if self.result is not None else None,
            "subgroup_test": self.subgroup.to_dict() if self.subgroup is not None else None,
            "leave_one_out": [x.to_dict() for x in self.leave_one_out],
            "limits": list(self.limits),
        }


def pool_analysis(
    reg: Registry,
    analysis_id: str,
    *,
    method: str = "REML",
    hk: bool = False,
    therapy: str | None = None,
) -> PooledAnalysis:
    """Compute the effects of an analysis and pool them (optionally only one therapy's)."""
    analysis = reg.analyses.get(analysis_id)
    if analysis is None:
        raise ValidationError("analysis", analysis_id, f"one of {', '.join(reg.analyses)}")
    if method not in METHODS:
        raise ValidationError("method", method, f"one of {', '.join(METHODS)}")
    if therapy is not None and therapy not in THERAPIES:
        raise ValidationError("therapy", therapy, f"one of {', '.join(THERAPIES)}")
    effects = tuple(
        study_effect(reg, e)
        for e in analysis.effects
        if therapy is None or therapy in reg.effects[e].therapy.split("+")
    )
    k = len(effects)
    limits = list(analysis.limits)
    result = subgroup = None
    loo: tuple[LeaveOneOut, ...] = ()
    if k >= 2:
        result = rma(
            [e.effect.yi for e in effects],
            [e.effect.vi for e in effects],
            method=method,
            hk=hk,
            measure=analysis.measure,
            labels=[e.label for e in effects],
        )
        if k < 3:
            limits.append(
                "k < 3: the prediction interval shown treats τ² as known and says nothing about"
                " the spread of true effects"
            )
        n_derived = sum(e.derived for e in effects)
        limits.append(f"{n_derived} of {k} effects derived (see each effect's method)")
        if result.tau2_ci_high is not None:
            r = result
            limits.append(
                f"I² = {r.i2:.0f}% (95% CI {r.i2_ci_low:.0f}-{r.i2_ci_high:.0f}%),"
                f" τ² = {r.tau2:.3g} (95% CI {r.tau2_ci_low:.3g}-{r.tau2_ci_high:.3g})"
            )
        if hk:
            z = rma(result.yi, result.vi, method=method, measure=analysis.measure)
            if result.ci_high - result.ci_low < z.ci_high - z.ci_low:
                limits.append(
                    "the HKSJ interval is narrower than the z interval (s²_w < 1, studies agree "
                    "more than their SEs imply); the ad hoc correction (metafor test = 'adhoc', "
                    "Knapp & Hartung 2003) would keep the z interval"
                )
        if k >= 3:
            loo = tuple(leave_one_out(result))
        if analysis.subgroup is not None:
            groups = [
                e.spec.therapy
                if analysis.subgroup == "therapy"
                else reg.studies[e.spec.study].condition
                for e in effects
            ]
            levels = set(groups)
            if 2 <= len(levels) < k:
                subgroup = subgroup_analysis(
                    [e.effect.yi for e in effects],
                    [e.effect.vi for e in effects],
                    groups,
                    method=method,
                    hk=hk,
                    measure=analysis.measure,
                    labels=[e.label for e in effects],
                )
            elif len(levels) >= 2:
                limits.append(
                    f"{analysis.subgroup} subgroup test not possible: {len(levels)} subgroups"
                    f" with k = {k}"
                    " (one effect per subgroup)"
                )
    elif k == 1:
        limits.append("k = 1: the single study's effect is shown, nothing is pooled")
    else:
        limits.append("no effect of this analysis matches the filter")
    return PooledAnalysis(analysis, effects, result, subgroup, loo, tuple(limits))
