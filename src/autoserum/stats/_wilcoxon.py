"""Wilcoxon signed-rank test with the Hodges–Lehmann estimate, exactly as R ``wilcox.test``.

R: ``wilcox.test(diff, alternative, conf.int = TRUE, conf.level, correct)``
(``stats:::wilcox.test.default`` in R 4.2; paired data enter as their differences, as
``paired = TRUE``): zeros are dropped first; with fewer than 50 non-zero differences and neither
ties nor zeros the exact distribution gives the p-value and the CI (quantiles of the Walsh
averages) and the estimate is the median of the Walsh averages; otherwise the normal
approximation with the tie correction of the variance and, when ``correct``, a continuity
correction (sign(z)/2 two-sided, +1/2 ``greater``, −1/2 ``less``). In that branch R finds the CI
limits and the estimate with ``uniroot(tol = 1e-4)`` on the standardised statistic of
``diff - d`` (continuity-corrected for the CI; uncorrected for the estimate), which we
reproduce step for step (:mod:`autoserum.stats._uniroot`), evaluating that statistic with
bit-identical but faster arithmetic (:mod:`autoserum.stats._ranks`) and R's own normal
quantiles (:mod:`autoserum.stats._qnorm`). One-sided CIs are
``(-inf, upper]`` (``less``) and ``[lower, inf)`` (``greater``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats as sps

from autoserum.errors import Message, StatisticalWarning, StatisticsError
from autoserum.stats._exact import psignrank, psignrank_upper, qsignrank
from autoserum.stats._qnorm import qnorm
from autoserum.stats._ranks import continuity, signed_rank_z
from autoserum.stats._results import RankTest
from autoserum.stats._uniroot import uniroot
from autoserum.stats._validate import (
    Alternative,
    FloatArray,
    as_sample,
    check_alternative,
    check_conf_level,
)

__all__ = ["wilcoxon_signed_rank"]

_TOL_ROOT = 1e-4  # R: wilcox.test(tol.root = 1e-4)


def _tie_term(ranks: FloatArray) -> float:
    """R: ``sum(NTIES^3 - NTIES)`` with ``NTIES <- table(r)``."""
    _, counts = np.unique(ranks, return_counts=True)
    t = counts.astype(np.float64)
    return float(np.sum(t**3 - t))


def wilcoxon_signed_rank(
    diff: Any,
    conf_level: float = 0.95,
    correct: bool = True,
    *,
    alternative: Alternative = "two-sided",
) -> RankTest:
    """Wilcoxon signed-rank test of paired differences against 0, with the Hodges–Lehmann
    (pseudo)median and its CI: R ``wilcox.test(diff, alternative, conf.int = TRUE)`` (equal to
    ``wilcox.test(after, before, paired = TRUE, ...)`` with ``diff = after - before``).

    ``alternative`` ``less`` tests a location below zero (e.g. a score that falls), with the
    CI ``(-inf, upper]``; ``greater`` above zero, CI ``[lower, inf)``.

    Reference: Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods* (3rd ed.),
    ch. 3; R Core Team, ``stats::wilcox.test``.

    >>> r = wilcoxon_signed_rank([1.5, -0.5, 2.0, 3.25, 4.0, 0.75])
    >>> (r.statistic, r.method, round(r.p_value, 6))  # R: wilcox.test(d, conf.int = TRUE)
    (20.0, 'exact', 0.0625)
    >>> r = wilcoxon_signed_rank([1.5, -0.5, 2.0, 3.25, 4.0, 0.75], alternative="greater")
    >>> (round(r.p_value, 6), r.ci_high)  # R: wilcox.test(d, "greater", conf.int = TRUE)
    (0.03125, inf)
    """
    level = check_conf_level(conf_level)
    side = check_alternative(alternative)
    x = as_sample(diff, "diff")
    if x.size == 0:
        raise StatisticsError(Message("wilcoxon_signed_rank: diff has no non-missing values"))
    zeroes = bool(np.any(x == 0))
    x = x[x != 0]
    n = x.size
    if n == 0:
        raise StatisticsError(Message("wilcoxon_signed_rank: every difference is zero"))
    ranks = sps.rankdata(np.abs(x))
    statistic = float(np.sum(ranks[x > 0]))
    ties = np.unique(ranks).size != n
    if n < 50 and not ties and not zeroes:
        return _exact(x, statistic, level, side)
    z = statistic - n * (n + 1) / 4
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - _tie_term(ranks) / 48)
    zstat = (z - continuity(z, correct, side)) / sigma
    if side == "less":
        p_value = float(sps.norm.cdf(zstat))
    elif side == "greater":
        p_value = float(sps.norm.sf(zstat))
    else:
        p_value = float(2 * min(sps.norm.cdf(zstat), sps.norm.sf(zstat)))
    estimate, low, high = _normal_interval(x, level, correct, side)
    return RankTest(
        statistic=statistic,
        p_value=p_value,
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        method="normal",
    )


def _exact(x: FloatArray, statistic: float, level: float, side: Alternative) -> RankTest:
    """R's exact branch: p from the null distribution of V, the CI from the order statistics
    of the Walsh averages."""
    n = x.size
    alpha = 1.0 - level
    if side == "greater":
        p_value = psignrank_upper(statistic - 1, n)
    elif side == "less":
        p_value = psignrank(statistic, n)
    else:
        half = n * (n + 1) / 4
        p = psignrank_upper(statistic - 1, n) if statistic > half else psignrank(statistic, n)
        p_value = min(2.0 * p, 1.0)
    walsh = np.add.outer(x, x)[np.triu_indices(n)]
    walsh = np.sort(walsh) / 2
    qu = qsignrank(alpha / 2 if side == "two-sided" else alpha, n)
    if qu == 0:
        qu = 1
    ql = n * (n + 1) // 2 - qu
    achieved = (2 if side == "two-sided" else 1) * psignrank(qu - 1, n)
    if achieved - alpha > alpha / 2:
        warnings.warn(
            StatisticalWarning(
                Message(
                    "wilcoxon_signed_rank: conf_level %(level)s not achievable with n = %(n)s; "
                    "the CI has level %(achieved)s",
                    level=level,
                    n=n,
                    achieved=1 - float(f"{achieved:.2g}"),
                )
            ),
            stacklevel=3,
        )
    return RankTest(
        statistic=statistic,
        p_value=p_value,
        estimate=float(np.median(walsh)),
        ci_low=-math.inf if side == "less" else float(walsh[qu - 1]),
        ci_high=math.inf if side == "greater" else float(walsh[ql]),
        method="exact",
    )


def _not_achievable(level: float, alpha: float) -> None:
    warnings.warn(
        StatisticalWarning(
            Message(
                "wilcoxon_signed_rank: conf_level %(level)s not achievable; the CI has level "
                "%(achieved)s",
                level=level,
                achieved=1 - min(1.0, alpha),
            )
        ),
        stacklevel=4,
    )


def _normal_interval(
    x: FloatArray, level: float, correct: bool, side: Alternative
) -> tuple[float, float, float]:
    """Estimate and CI of the normal branch, as R computes them (see the module docstring),
    including R's widening of α until the root is bracketed (for ``less`` R tests the
    bracket with the α/2 quantile and then solves at α; reproduced)."""
    xs = np.sort(x)
    alpha = 1.0 - level
    mumin, mumax = float(xs[0]), float(xs[-1])
    w_min = signed_rank_z(xs, mumin, correct, side)
    w_max = signed_rank_z(xs, mumax, correct, side) if math.isfinite(w_min) else math.nan
    if not math.isfinite(w_max):
        warnings.warn(
            StatisticalWarning(
                Message(
                    "wilcoxon_signed_rank: cannot compute a confidence interval when all "
                    "non-zero differences are tied; estimate = midrange, CI = nan"
                )
            ),
            stacklevel=3,
        )
        low = -math.inf if side == "less" else math.nan
        high = math.inf if side == "greater" else math.nan
        return (mumin + mumax) / 2, low, high

    def root(zq: float) -> float:
        return uniroot(
            lambda d: signed_rank_z(xs, d, correct, side) - zq,
            mumin,
            mumax,
            f_lower=w_min - zq,
            f_upper=w_max - zq,
            tol=_TOL_ROOT,
        )

    if side == "two-sided":
        while w_min - qnorm(alpha / 2, lower_tail=False) < 0 or w_max - qnorm(alpha / 2) > 0:
            alpha *= 2
        if alpha >= 1 or 1 - level < alpha * 0.75:
            _not_achievable(level, alpha)
        if alpha < 1:
            low = root(qnorm(alpha / 2, lower_tail=False))
            high = root(qnorm(alpha / 2))
        else:
            low = high = float(np.median(x))
    elif side == "greater":
        while w_min - qnorm(alpha, lower_tail=False) < 0:
            alpha *= 2
        if alpha >= 1 or 1 - level < alpha * 0.75:
            _not_achievable(level, alpha)
        low = root(qnorm(alpha, lower_tail=False)) if alpha < 1 else float(np.median(x))
        high = math.inf
    else:
        while w_max - qnorm(alpha / 2) > 0:
            alpha *= 2
        if alpha >= 1 or 1 - level < alpha * 0.75:
            _not_achievable(level, alpha)
        low = -math.inf
        high = root(qnorm(alpha)) if alpha < 1 else float(np.median(x))
    # R: ``correct <- FALSE`` before the estimate: no continuity correction there
    estimate = uniroot(lambda d: signed_rank_z(xs, d, False), mumin, mumax, tol=_TOL_ROOT)
    return estimate, low, high
