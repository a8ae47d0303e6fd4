"""Pooling the registry: each analysis of ``analyses.yaml`` run through :func:`autoserum.meta.rma`.

Pooling rules (issue 17): effects are pooled only when they share one derivation (what was
estimated and how: an ANCOVA-adjusted MD, a % change compared by a p value, endpoint means,
counts, responder odds ratios re-expressed as SMDs); otherwise the per-trial effects are shown
and nothing is pooled, unless ``exploratory=True`` (then the pooled numbers are labelled as
such). An SMD from an ANCOVA t is standardised by the residual SD and inflated by 1/√(1 − r²);
its raw-SD value is shown for r = 0.5, 0.7, 0.8 (``r_sensitivity``). For 2 <= k <= 3 a
Bayesian random-effects analysis with a half-normal(0.5) prior on τ is added (``bayes``).

An analysis with k = 1 is reported, not pooled. The test for subgroup differences is run when
the analysis names a subgroup variable (``therapy`` or ``condition``) and k exceeds the number
of subgroups (metafor's ``rma(..., mods = ~ factor(subgroup))`` QM). Leave-one-out needs
k >= 3. The stated limits of each analysis are extended with what the numbers show (k, derived
inputs, heterogeneity).

>>> from autoserum.evidence import load_registry
>>> res = pool_analysis(load_registry(), "ad_blood_serum_severity", method="REML")
>>> res.result is None, res.pooled_justified
(True, False)
>>> pool_analysis(load_registry(), "csu_response").result.k
2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.evidence._effects import StudyEffect, study_effect
from autoserum.evidence._registry import THERAPIES, Analysis, Registry
from autoserum.meta import (
    METHODS,
    BayesMetaResult,
    LeaveOneOut,
    MetaResult,
    SubgroupResult,
    bayes_rma,
    leave_one_out,
    rma,
    smd_residual_to_raw,
    subgroup_analysis,
)

__all__ = ["R_SENSITIVITY", "TAU_PRIOR_SCALE", "PooledAnalysis", "pool_analysis"]

#: Baseline-endpoint correlations tried where a conversion needs an unreported r.
R_SENSITIVITY = (0.5, 0.7, 0.8)
#: Half-normal scale of the prior on τ (SMD or log RR/OR) for k = 2-3.
TAU_PRIOR_SCALE = 0.5


@dataclass(frozen=True)
class PooledAnalysis:
    """An analysis with its study effects, pooled result, subgroup test and limits."""

    analysis: Analysis
    effects: tuple[StudyEffect, ...]
    result: MetaResult | None
    subgroup: SubgroupResult | None
    leave_one_out: tuple[LeaveOneOut, ...]
    limits: tuple[str, ...]
    pooled_justified: bool
    exploratory: bool
    r_sensitivity: tuple[dict[str, Any], ...]
    bayes: BayesMetaResult | None

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
            "pooled_justified": self.pooled_justified,
            "exploratory": self.exploratory,
            "r_sensitivity": list(self.r_sensitivity),
            "bayes": self.bayes.to_dict() if self.bayes is not None else None,
        }


def _checked_analysis(
    reg: Registry, analysis_id: str, *, method: str, therapy: str | None
) -> Analysis:
    """The analysis named ``analysis_id``, once the method and therapy asked for are known."""
    analysis = reg.analyses.get(analysis_id)
    if analysis is None:
        raise ValidationError(
            "analysis", analysis_id, Expected("one of %(values)s", values=", ".join(reg.analyses))
        )
    if method not in METHODS:
        raise ValidationError(
            "method", method, Expected("one of %(values)s", values=", ".join(METHODS))
        )
    if therapy is not None and therapy not in THERAPIES:
        raise ValidationError(
            "therapy", therapy, Expected("one of %(values)s", values=", ".join(THERAPIES))
        )
    return analysis


def pool_analysis(
    reg: Registry,
    analysis_id: str,
    *,
    method: str = "REML",
    hk: bool = False,
    therapy: str | None = None,
    exploratory: bool = False,
) -> PooledAnalysis:
    """Compute the effects of an analysis and pool them when the pooling rules allow it
    (optionally only one therapy's; ``exploratory`` pools regardless, labelled)."""
    analysis = _checked_analysis(reg, analysis_id, method=method, therapy=therapy)
    effects = tuple(
        study_effect(reg, e)
        for e in analysis.effects
        if therapy is None or therapy in reg.effects[e].therapy.split("+")
    )
    k = len(effects)
    limits = list(analysis.limits)
    result = subgroup = None
    bayes = None
    loo: tuple[LeaveOneOut, ...] = ()
    derivations = sorted({e.spec.derivation for e in effects})
    justified = len(derivations) <= 1
    sensitivity = tuple(_r_sensitivity(reg, e) for e in effects if e.spec.kind == "md_ci_to_smd")
    if k >= 2 and not justified:
        limits.append(
            "not pooled: the effects come from incompatible derivations ("
            + ", ".join(derivations)
            + "); per-trial results are shown"
            + (
                " (exploratory pooled numbers below are NOT a valid estimate)"
                if exploratory
                else ""
            )
        )
    if k >= 2 and (justified or exploratory):
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
        if k <= 3:
            bayes = bayes_rma(result.yi, result.vi, tau_scale=TAU_PRIOR_SCALE)
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
    elif k == 0:
        limits.append("no effect of this analysis matches the filter")
    return PooledAnalysis(
        analysis,
        effects,
        result,
        subgroup,
        loo,
        tuple(limits),
        pooled_justified=justified,
        exploratory=exploratory and not justified,
        r_sensitivity=tuple(row for rows in sensitivity for row in rows),
        bayes=bayes,
    )


def _r_sensitivity(reg: Registry, eff: StudyEffect) -> tuple[dict[str, Any], ...]:
    n1 = eff.effect.inputs["n1"]
    n2 = eff.effect.inputs["n2"]
    out = []
    for r in R_SENSITIVITY:
        raw = smd_residual_to_raw(eff.effect, r, n1, n2)
        out.append({"effect": eff.spec.id, "r": r, "yi": raw.yi, "vi": raw.vi, "se": raw.se})
    return tuple(out)
