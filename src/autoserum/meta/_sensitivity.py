"""Subgroup analysis with the test for subgroup differences, and leave-one-out sensitivity.

Test for subgroup differences: the omnibus test of the subgroup moderator in the meta-regression
``metafor::rma(yi, vi, mods = ~ factor(subgroup), method = ...)``: QM ~ χ²(m − 1) (or, with
HKSJ, QM/(m − 1) ~ F(m − 1, k − m)). Under a random-effects method τ² is the residual
heterogeneity, assumed common to the subgroups (Borenstein et al. 2009, ch. 19, "pooled τ²");
under FE it equals the Q-between test of the Cochrane Handbook (10.11.3.1). Each subgroup's own
pooled estimate is also given (a separate ``rma`` within it).

Leave-one-out: the model refitted without each study in turn, as ``metafor::leave1out``.

>>> res = subgroup_analysis([0.1, 0.2, 0.8, 0.9], [0.01] * 4, ["a", "a", "b", "b"], method="FE")
>>> res.qm_df1, round(res.qm, 4)
(1, 49.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from autoserum.errors import Expected, ValidationError
from autoserum.meta._fit import FloatArray, check_inputs, fit_model
from autoserum.meta._rma import MetaResult, rma

__all__ = ["LeaveOneOut", "SubgroupResult", "leave_one_out", "subgroup_analysis"]


@dataclass(frozen=True)
class SubgroupResult:
    """The test for subgroup differences and each subgroup's own pooled estimate."""

    method: str
    hk: bool
    qm: float
    qm_df1: int
    qm_df2: int | None
    qm_p_value: float
    tau2_residual: float
    qe: float
    qe_p_value: float
    levels: tuple[str, ...]
    coefficients: tuple[float, ...]
    coefficient_se: tuple[float, ...]
    subgroups: dict[str, MetaResult | None]
    test: str = "metafor rma(yi, vi, mods = ~ factor(subgroup)) omnibus QM"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (subgroups with k = 1 give no pooled estimate: ``None``)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "subgroups"}
        out["levels"], out["coefficients"] = list(self.levels), list(self.coefficients)
        out["coefficient_se"] = list(self.coefficient_se)
        out["subgroups"] = {
            k: (v.to_dict() if v is not None else None) for k, v in self.subgroups.items()
        }
        return out


def subgroup_analysis(
    yi: Sequence[float] | FloatArray,
    vi: Sequence[float] | FloatArray,
    groups: Sequence[str],
    *,
    method: str = "REML",
    hk: bool = False,
    measure: str | None = None,
    labels: Sequence[str] | None = None,
) -> SubgroupResult:
    """Test for subgroup differences (QM of the subgroup moderator) plus per-subgroup pooling.

    Levels are ordered alphabetically (as R's ``factor``); the first is the reference level.
    """
    y, v = check_inputs(yi, vi)
    if len(groups) != y.size:
        raise ValidationError(
            "groups", len(groups), Expected("%(size)s subgroup labels, one per study", size=y.size)
        )
    levels = tuple(sorted(set(groups)))
    if len(levels) < 2:
        raise ValidationError("groups", levels, Expected("at least two distinct subgroups"))
    g = np.asarray(groups, dtype=object)
    x = np.column_stack([np.ones(y.size)] + [(g == lev).astype(float) for lev in levels[1:]])
    fit = fit_model(y, v, x, method, hk)
    m = len(levels) - 1
    b = fit.beta[1:]
    qm = float(b @ np.linalg.solve(fit.vb[1:, 1:], b))
    k, p = x.shape
    if hk:
        qm /= m
        qm_df2: int | None = k - p
        qm_p = float(stats.f.sf(qm, m, k - p))
    else:
        qm_df2 = None
        qm_p = float(stats.chi2.sf(qm, m))
    qe_p = float(stats.chi2.sf(fit.qe, k - p)) if k > p else 1.0
    names = list(labels) if labels is not None else [str(i + 1) for i in range(y.size)]
    per: dict[str, MetaResult | None] = {}
    for lev in levels:
        idx = [i for i, gi in enumerate(groups) if gi == lev]
        per[lev] = (
            rma(
                y[idx].tolist(),
                v[idx].tolist(),
                method=method,
                hk=hk,
                measure=measure,
                labels=[names[i] for i in idx],
            )
            if len(idx) >= 2
            else None
        )
    return SubgroupResult(
        method=method,
        hk=hk,
        qm=qm,
        qm_df1=m,
        qm_df2=qm_df2,
        qm_p_value=qm_p,
        tau2_residual=fit.tau2,
        qe=fit.qe,
        qe_p_value=qe_p,
        levels=levels,
        coefficients=tuple(float(c) for c in fit.beta),
        coefficient_se=tuple(float(s) for s in np.sqrt(np.diag(fit.vb))),
        subgroups=per,
    )


@dataclass(frozen=True)
class LeaveOneOut:
    """The pooled result without one study."""

    omitted: str
    result: MetaResult

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready dict: the omitted study and the refit's main statistics."""
        r = self.result
        return {
            "omitted": self.omitted,
            "estimate": r.estimate,
            "se": r.se,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "p_value": r.p_value,
            "q": r.q,
            "tau2": r.tau2,
            "i2": r.i2,
        }


def leave_one_out(result: MetaResult) -> list[LeaveOneOut]:
    """Refit ``result``'s model k times, each time without one study (needs k >= 3)."""
    if result.k < 3:
        raise ValidationError("k", result.k, Expected("at least 3 studies for leave-one-out"))
    out = []
    for i, name in enumerate(result.labels):
        keep = [j for j in range(result.k) if j != i]
        out.append(
            LeaveOneOut(
                omitted=name,
                result=rma(
                    [result.yi[j] for j in keep],
                    [result.vi[j] for j in keep],
                    method=result.method,
                    hk=result.hk,
                    level=result.level,
                    measure=result.measure,
                    labels=[result.labels[j] for j in keep],
                ),
            )
        )
    return out
