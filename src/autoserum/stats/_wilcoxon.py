"""Wilcoxon signed-rank test with the Hodges–Lehmann estimate, exactly as R ``wilcox.test``.

R: ``wilcox.test(diff, conf.int = TRUE, conf.level, correct)`` (``stats:::wilcox.test.default``
in R 4.2): zeros are dropped first; with fewer than 50 non-zero differences and neither ties nor
zeros the exact distribution gives the p-value and the CI (quantiles of the Walsh averages) and
the estimate is the median of the Walsh averages; otherwise the normal approximation with the
tie correction of the variance and, when ``correct``, a continuity correction. In that branch
R finds the CI limits and the estimate with ``uniroot(tol = 1e-4)`` on the standardised statistic
of ``diff - d`` (continuity-corrected for the CI; uncorrected for the estimate), which we
reproduce step for step (:mod:`autoserum.stats._uniroot`), evaluating that statistic with
bit-identical but faster arithmetic (:mod:`autoserum.stats._ranks`).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats as sps

from autoserum.errors import StatisticalWarning, StatisticsError
from autoserum.stats._exact import psignrank, psignrank_upper, qsignrank
from autoserum.stats._ranks import signed_rank_z
from autoserum.stats._results import RankTest
from autoserum.stats._uniroot import uniroot
from autoserum.stats._validate import FloatArray, as_sample, check_conf_level

__all__ = ["wilcoxon_signed_rank"]

_TOL_ROOT = 1e-4  # R: wilcox.test(tol.root = 1e-4)


def _tie_term(ranks: FloatArray) -> float:
    """R: ``sum(NTIES^3 - NTIES)`` with ``NTIES <- table(r)``."""
    _, counts = np.unique(ranks, return_counts=True)
    t = counts.astype(np.float64)
    return float(np.sum(t**3 - t))


def wilcoxon_signed_rank(diff: Any, conf_level: float = 0.95, correct: bool = True) -> RankTest:
    """Wilcoxon signed-rank test of paired differences against 0, with the Hodges–Lehmann
    (pseudo)median and its CI: R ``wilcox.test(diff, conf.int = TRUE)``.

    Reference: Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods* (3rd ed.),
    ch. 3; R Core Team, ``stats::wilcox.test``.

    >>> r = wilcoxon_signed_rank([1.5, -0.5, 2.0, 3.25, 4.0, 0.75])
    >>> (r.statistic, r.method, round(r.p_value, 6))  # R: wilcox.test(d, conf.int = TRUE)
    (20.0, 'exact', 0.0625)
    """
    level = check_conf_level(conf_level)
    x = as_sample(diff, "diff")
    if x.size == 0:
        raise StatisticsError("wilcoxon_signed_rank: diff has no non-missing values")
    zeroes = bool(np.any(x == 0))
    x = x[x != 0]
    n = x.size
    if n == 0:
        raise StatisticsError("wilcoxon_signed_rank: every difference is zero")
    ranks = sps.rankdata(np.abs(x))
    statistic = float(np.sum(ranks[x > 0]))
    ties = np.unique(ranks).size != n
    alpha = 1.0 - level
    if n < 50 and not ties and not zeroes:
        if statistic > n * (n + 1) / 4:
            p = psignrank_upper(statistic - 1, n)
        else:
            p = psignrank(statistic, n)
        p_value = min(2.0 * p, 1.0)
        walsh = np.add.outer(x, x)[np.triu_indices(n)]
        walsh = np.sort(walsh) / 2
        qu = qsignrank(alpha / 2, n)
        if qu == 0:
            qu = 1
        ql = n * (n + 1) // 2 - qu
        achieved = 2 * psignrank(qu - 1, n)
        if achieved - alpha > alpha / 2:
            warnings.warn(
                f"wilcoxon_signed_rank: conf_level {level} not achievable with n = {n}; "
                f"the CI has level {1 - float(f'{achieved:.2g}')}",
                StatisticalWarning,
                stacklevel=2,
            )
        return RankTest(
            statistic=statistic,
            p_value=p_value,
            estimate=float(np.median(walsh)),
            ci_low=float(walsh[qu - 1]),
            ci_high=float(walsh[ql]),
            method="exact",
        )
    z = statistic - n * (n + 1) / 4
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - _tie_term(ranks) / 48)
    correction = math.copysign(0.5, z) if (correct and z != 0) else 0.0
    zstat = (z - correction) / sigma
    p_value = float(2 * min(sps.norm.cdf(zstat), sps.norm.sf(zstat)))
    estimate, low, high = _normal_interval(x, alpha, level, correct)
    return RankTest(
        statistic=statistic,
        p_value=p_value,
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        method="normal",
    )


def _normal_interval(
    x: FloatArray, alpha: float, level: float, correct: bool
) -> tuple[float, float, float]:
    """Estimate and CI of the normal branch, as R computes them (see the module docstring)."""
    xs = np.sort(x)
    mumin, mumax = float(xs[0]), float(xs[-1])
    w_min = signed_rank_z(xs, mumin, correct)
    w_max = signed_rank_z(xs, mumax, correct) if math.isfinite(w_min) else math.nan
    if not math.isfinite(w_max):
        warnings.warn(
            "wilcoxon_signed_rank: cannot compute a confidence interval when all "
            "non-zero differences are tied; estimate = midrange, CI = nan",
            StatisticalWarning,
            stacklevel=3,
        )
        return (mumin + mumax) / 2, math.nan, math.nan
    upper_q = float(sps.norm.isf(alpha / 2))
    while w_min - upper_q < 0 or w_max - float(sps.norm.ppf(alpha / 2)) > 0:
        alpha *= 2
        upper_q = float(sps.norm.isf(alpha / 2))
    if alpha >= 1 or 1 - level < alpha * 0.75:
        warnings.warn(
            f"wilcoxon_signed_rank: conf_level {level} not achievable; "
            f"the CI has level {1 - min(1.0, alpha)}",
            StatisticalWarning,
            stacklevel=3,
        )
    if alpha < 1:

        def root(zq: float) -> float:
            return uniroot(
                lambda d: signed_rank_z(xs, d, correct) - zq,
                mumin,
                mumax,
                f_lower=w_min - zq,
                f_upper=w_max - zq,
                tol=_TOL_ROOT,
            )

        low = root(float(sps.norm.isf(alpha / 2)))
        high = root(float(sps.norm.ppf(alpha / 2)))
    else:
        low = high = float(np.median(x))
    estimate = uniroot(lambda d: signed_rank_z(xs, d, False), mumin, mumax, tol=_TOL_ROOT)
    return estimate, low, high
