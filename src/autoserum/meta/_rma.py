"""Fixed- and random-effects meta-analysis, as metafor's ``rma`` (intercept-only model).

``rma(yi, vi, method=..., hk=...)`` returns a :class:`MetaResult` with the pooled estimate, its
CI and test (z, or t with k − 1 df under Hartung–Knapp–Sidik–Jonkman), Cochran's Q, I², H²,
τ² with its Q-profile CI (as ``confint(rma(...))``) and the prediction interval (as
``predict(rma(...))``; t-based with k − 1 df under HKSJ). I² and H² follow metafor: for FE,
I² = (Q − (k − 1))/Q and H² = Q/(k − 1); for random effects I² = τ²/(τ² + s²) and
H² = (τ² + s²)/s² with the typical within-study variance s² = (k − 1)/tr(P).

Reference: Viechtbauer W. J Stat Softw 2010;36(3). Viechtbauer W. Confidence intervals for the
amount of heterogeneity in meta-analysis. Stat Med 2007;26:37–52 (Q-profile). IntHout J et al.
BMC Med Res Methodol 2014;14:25 (HKSJ). Higgins JPT et al. J R Stat Soc A 2009;172:137–59
(prediction interval).

>>> res = rma([-0.89, -1.59, -1.35, -1.44], [0.33, 0.19, 0.42, 0.02], method="DL")
>>> res.k, round(res.estimate, 4)
(4, -1.422)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from autoserum.errors import Expected, ValidationError
from autoserum.meta._escalc import RATIO_MEASURES
from autoserum.meta._fit import METHODS, FloatArray, check_inputs, fit_model, generalised_q

__all__ = ["MetaResult", "rma", "tau2_confint"]


@dataclass(frozen=True)
class MetaResult:
    """A pooled estimate with heterogeneity statistics (names are the CLI JSON keys)."""

    measure: str | None
    method: str
    hk: bool
    level: float
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    df: int | None
    p_value: float
    tau2: float
    tau2_ci_low: float | None
    tau2_ci_high: float | None
    i2: float
    i2_ci_low: float | None
    i2_ci_high: float | None
    h2: float
    h2_ci_low: float | None
    h2_ci_high: float | None
    q: float
    q_df: int
    q_p_value: float
    pi_low: float
    pi_high: float
    labels: tuple[str, ...]
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    weights: tuple[float, ...]

    @property
    def is_ratio(self) -> bool:
        """True for RR/OR: estimates are on the log scale."""
        return self.measure in RATIO_MEASURES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ratio measures add ``exp_*`` values of the log-scale estimates."""
        out = asdict(self)
        out["labels"] = list(self.labels)
        out["yi"], out["vi"] = list(self.yi), list(self.vi)
        out["weights"] = list(self.weights)
        out["scale"] = "log" if self.is_ratio else "identity"
        if self.is_ratio:
            for key in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
                out[f"exp_{key}"] = math.exp(getattr(self, key))
        return out


def tau2_confint(
    yi: Sequence[float] | FloatArray, vi: Sequence[float] | FloatArray, *, level: float = 0.95
) -> tuple[float, float]:
    """Q-profile CI for τ² (Viechtbauer 2007), as ``confint(rma(yi, vi))``.

    The bounds solve Q(τ²) = χ²_{k−1, 1−α/2} (lower) and χ²_{k−1, α/2} (upper), where Q is the
    generalised Q; a bound is 0 when Q(0) is already below its quantile.
    """
    y, v = check_inputs(yi, vi)
    k = y.size
    if k < 2:
        raise ValidationError("k", k, Expected("at least 2 studies for a CI of τ²"))
    x = np.ones((k, 1))
    alpha = 1 - level

    def bound(quantile: float) -> float:
        def f(t: float) -> float:
            return generalised_q(y, v, x, t) - quantile

        if f(0.0) < 0:
            return 0.0
        upper = max(10.0 * float(np.var(y)) + float(np.mean(v)), 1e-8)
        while f(upper) > 0:
            upper *= 2.0
        return float(optimize.brentq(f, 0.0, upper, xtol=1e-15, rtol=1e-15))

    low = bound(float(stats.chi2.ppf(1 - alpha / 2, k - 1)))
    high = bound(float(stats.chi2.ppf(alpha / 2, k - 1)))
    return low, high


def rma(
    yi: Sequence[float] | FloatArray,
    vi: Sequence[float] | FloatArray,
    *,
    method: str = "REML",
    hk: bool = False,
    level: float = 0.95,
    measure: str | None = None,
    labels: Sequence[str] | None = None,
) -> MetaResult:
    """Pool effect sizes ``yi`` with sampling variances ``vi``.

    ``method``: ``FE``, ``DL``, ``REML`` or ``PM``. ``hk=True``: Hartung–Knapp–Sidik–Jonkman
    (metafor ``test = "knha"``, variance scaled by s²_w without truncation, t with k − 1 df).

    >>> res = rma([0.1, 0.3, 0.5], [0.01, 0.02, 0.04], method="FE")
    >>> round(res.estimate, 6)
    0.214286
    """
    if not 0 < level < 1:
        raise ValidationError("level", level, Expected("a confidence level between 0 and 1"))
    if method not in METHODS:
        raise ValidationError(
            "method", method, Expected("one of %(values)s", values=", ".join(METHODS))
        )
    y, v = check_inputs(yi, vi)
    k = y.size
    names = tuple(labels) if labels is not None else tuple(str(i + 1) for i in range(k))
    if len(names) != k:
        raise ValidationError("labels", len(names), Expected("%(k)s labels, one per study", k=k))
    fit = fit_model(y, v, np.ones((k, 1)), method, hk)
    est = float(fit.beta[0])
    se = math.sqrt(float(fit.vb[0, 0]))
    alpha = 1 - level
    df: int | None = k - 1 if hk else None
    if df is not None:
        crit = float(stats.t.ppf(1 - alpha / 2, df))
        stat = est / se if se > 0 else math.copysign(math.inf, est)
        pval = float(2 * stats.t.sf(abs(stat), df))
    else:
        crit = float(stats.norm.ppf(1 - alpha / 2))
        stat = est / se
        pval = float(2 * stats.norm.sf(abs(stat)))
    q_df = k - 1
    q_p = float(stats.chi2.sf(fit.qe, q_df)) if q_df > 0 else 1.0
    if k <= 1:
        i2, h2 = 0.0, 1.0
    elif method == "FE":
        i2 = max(0.0, 100 * (fit.qe - q_df) / fit.qe) if fit.qe > 0 else 0.0
        h2 = fit.qe / q_df
    else:
        i2 = 100 * fit.tau2 / (fit.vt + fit.tau2)
        h2 = fit.tau2 / fit.vt + 1
    t_low = t_high = i2_low = i2_high = h2_low = h2_high = None
    if method != "FE" and k >= 2:
        t_low, t_high = tau2_confint(y, v, level=level)
        i2_low, i2_high = (100 * t / (fit.vt + t) for t in (t_low, t_high))
        h2_low, h2_high = (t / fit.vt + 1 for t in (t_low, t_high))
    half_pi = crit * math.sqrt(se**2 + fit.tau2)
    w = fit.weights / fit.weights.sum() * 100
    return MetaResult(
        measure=measure,
        method=method,
        hk=hk,
        level=level,
        k=k,
        estimate=est,
        se=se,
        ci_low=est - crit * se,
        ci_high=est + crit * se,
        statistic=stat,
        df=df,
        p_value=pval,
        tau2=fit.tau2,
        tau2_ci_low=t_low,
        tau2_ci_high=t_high,
        i2=i2,
        i2_ci_low=i2_low,
        i2_ci_high=i2_high,
        h2=h2,
        h2_ci_low=h2_low,
        h2_ci_high=h2_high,
        q=fit.qe,
        q_df=q_df,
        q_p_value=q_p,
        pi_low=est - half_pi,
        pi_high=est + half_pi,
        labels=names,
        yi=tuple(float(a) for a in y),
        vi=tuple(float(a) for a in v),
        weights=tuple(float(a) for a in w),
    )
