"""Wilcoxon rank-sum (Mann–Whitney) test with the Hodges–Lehmann shift, exactly as R.

R: ``wilcox.test(x, y, alternative, conf.int = TRUE, conf.level, correct)`` (R 4.2
``stats:::wilcox.test.default``): exact distribution when both samples have fewer than 50
observations and there are no ties, with the CI from the quantiles of the pairwise differences
``x_i - y_j`` and the estimate their median; otherwise the normal approximation with the tie
correction and, when ``correct``, a continuity correction, the CI and estimate being the roots
(``uniroot(tol = 1e-4)``) of the standardised statistic of ``(x - d, y)``, reproduced here.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats as sps

from autoserum.errors import Message, StatisticalWarning, StatisticsError
from autoserum.stats._exact import pwilcox, pwilcox_upper, qwilcox
from autoserum.stats._qnorm import qnorm
from autoserum.stats._ranks import continuity, rank_sum_z
from autoserum.stats._results import RankTest
from autoserum.stats._uniroot import uniroot
from autoserum.stats._validate import (
    Alternative,
    FloatArray,
    as_sample,
    check_alternative,
    check_conf_level,
)

__all__ = ["mann_whitney"]

_TOL_ROOT = 1e-4  # R: wilcox.test(tol.root = 1e-4)


def _sigma(ranks: FloatArray, nx: float, ny: float) -> float:
    _, counts = np.unique(ranks, return_counts=True)
    t = counts.astype(np.float64)
    ties = float(np.sum(t**3 - t))
    var = (nx * ny / 12) * ((nx + ny + 1) - ties / ((nx + ny) * (nx + ny - 1)))
    return math.sqrt(var) if var > 0 else 0.0


def mann_whitney(
    x: Any,
    y: Any,
    conf_level: float = 0.95,
    correct: bool = True,
    *,
    alternative: Alternative = "two-sided",
) -> RankTest:
    """Wilcoxon rank-sum test of x against y, with the Hodges–Lehmann estimate of the shift
    x − y and its CI: R ``wilcox.test(x, y, alternative, conf.int = TRUE, conf.level)``.
    ``statistic`` is R's W (Mann–Whitney U of x).

    ``alternative`` ``less`` tests a shift below zero (CI ``(-inf, upper]``), ``greater`` a
    shift above zero (CI ``[lower, inf)``), as R.

    Reference: Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods* (3rd ed.),
    ch. 4; R Core Team, ``stats::wilcox.test``.

    >>> r = mann_whitney([1.1, 2.2, 3.3, 4.4], [0.5, 0.9, 1.6])
    >>> (r.statistic, r.method, r.estimate)  # R: wilcox.test(x, y, conf.int = TRUE)
    (11.0, 'exact', 1.7)
    >>> r = mann_whitney([1.1, 2.2, 3.3, 4.4], [0.5, 0.9, 1.6], alternative="greater")
    >>> (round(r.p_value, 6), r.ci_high)  # R: wilcox.test(x, y, "greater", conf.int = TRUE)
    (0.057143, inf)
    """
    level = check_conf_level(conf_level)
    side = check_alternative(alternative)
    xs, ys = as_sample(x, "x"), as_sample(y, "y")
    for name, arr in (("x", xs), ("y", ys)):
        if arr.size == 0:
            raise StatisticsError(
                Message("mann_whitney: %(name)s has no non-missing observations", name=name)
            )
    nx, ny = xs.size, ys.size
    ranks = sps.rankdata(np.concatenate([xs, ys]))
    statistic = float(np.sum(ranks[:nx])) - nx * (nx + 1) / 2
    ties = np.unique(ranks).size != ranks.size
    if nx < 50 and ny < 50 and not ties:
        return _exact(xs, ys, statistic, level, side)
    return _normal(xs, ys, ranks, statistic, level, side, correct)


def _exact_p(statistic: float, nx: int, ny: int, side: Alternative) -> float:
    if side == "greater":
        return pwilcox_upper(statistic - 1, nx, ny)
    if side == "less":
        return pwilcox(statistic, nx, ny)
    if statistic > nx * ny / 2:
        p = pwilcox_upper(statistic - 1, nx, ny)
    else:
        p = pwilcox(statistic, nx, ny)
    return min(2.0 * p, 1.0)


def _exact(
    xs: FloatArray, ys: FloatArray, statistic: float, level: float, side: Alternative
) -> RankTest:
    """R's exact branch: p from the null distribution of W, the CI from the order statistics
    of the pairwise differences ``x_i - y_j``."""
    nx, ny = xs.size, ys.size
    alpha = 1.0 - level
    diffs = np.sort(np.subtract.outer(xs, ys).ravel())
    qu = qwilcox(alpha / 2 if side == "two-sided" else alpha, nx, ny)
    if qu == 0:
        qu = 1
    ql = nx * ny - qu
    achieved = (2 if side == "two-sided" else 1) * pwilcox(qu - 1, nx, ny)
    if achieved - alpha > alpha / 2:
        warnings.warn(
            StatisticalWarning(
                Message(
                    "mann_whitney: conf_level %(level)s not achievable with sizes %(nx)s, "
                    "%(ny)s; the CI has level %(achieved)s",
                    level=level,
                    nx=nx,
                    ny=ny,
                    achieved=1 - achieved,
                )
            ),
            stacklevel=3,
        )
    low = -math.inf if side == "less" else float(diffs[qu - 1])
    high = math.inf if side == "greater" else float(diffs[ql])
    return RankTest(
        statistic=statistic,
        p_value=_exact_p(statistic, nx, ny, side),
        estimate=float(np.median(diffs)),
        ci_low=low,
        ci_high=high,
        method="exact",
    )


def _normal(  # noqa: PLR0917 - R's branch with its inputs
    xs: FloatArray,
    ys: FloatArray,
    ranks: FloatArray,
    statistic: float,
    level: float,
    side: Alternative,
    correct: bool,
) -> RankTest:
    """R's normal branch: tie-corrected variance, continuity correction by ``alternative``,
    the CI and the estimate as roots of the standardised statistic of ``(x - d, y)``."""
    nx, ny = xs.size, ys.size
    alpha = 1.0 - level
    z = statistic - nx * ny / 2
    sigma = _sigma(ranks, float(nx), float(ny))
    if sigma == 0.0:
        raise StatisticsError(Message("mann_whitney: all observations are tied"))
    zstat = (z - continuity(z, correct, side)) / sigma
    if side == "less":
        p_value = float(sps.norm.cdf(zstat))
    elif side == "greater":
        p_value = float(sps.norm.sf(zstat))
    else:
        p_value = float(2 * min(sps.norm.cdf(zstat), sps.norm.sf(zstat)))
    x_sorted, y_sorted = np.sort(xs), np.sort(ys)
    mumin = float(x_sorted[0] - y_sorted[-1])
    mumax = float(x_sorted[-1] - y_sorted[0])
    w_min = rank_sum_z(x_sorted, y_sorted, mumin, correct, side)
    w_max = rank_sum_z(x_sorted, y_sorted, mumax, correct, side)

    def root(zq: float) -> float:
        f_lower = w_min - zq
        if f_lower <= 0:
            return mumin
        f_upper = w_max - zq
        if f_upper >= 0:
            return mumax
        return uniroot(
            lambda d: rank_sum_z(x_sorted, y_sorted, d, correct, side) - zq,
            mumin,
            mumax,
            f_lower=f_lower,
            f_upper=f_upper,
            tol=_TOL_ROOT,
        )

    if side == "two-sided":
        low = root(qnorm(alpha / 2, lower_tail=False))
        high = root(qnorm(alpha / 2))
    elif side == "greater":
        low, high = root(qnorm(alpha, lower_tail=False)), math.inf
    else:
        low, high = -math.inf, root(qnorm(alpha))
    # R: ``correct <- FALSE`` before the estimate: no continuity correction there
    estimate = uniroot(
        lambda d: rank_sum_z(x_sorted, y_sorted, d, False), mumin, mumax, tol=_TOL_ROOT
    )
    return RankTest(
        statistic=statistic,
        p_value=p_value,
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        method="normal",
    )
