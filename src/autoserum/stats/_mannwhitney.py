"""Wilcoxon rank-sum (Mann–Whitney) test with the Hodges–Lehmann shift, exactly as R.

R: ``wilcox.test(x, y, conf.int = TRUE, conf.level, correct)`` (R 4.2
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

from autoserum.errors import StatisticalWarning, StatisticsError
from autoserum.stats._exact import pwilcox, pwilcox_upper, qwilcox
from autoserum.stats._ranks import rank_sum_z
from autoserum.stats._results import RankTest
from autoserum.stats._uniroot import uniroot
from autoserum.stats._validate import FloatArray, as_sample, check_conf_level

__all__ = ["mann_whitney"]

_TOL_ROOT = 1e-4  # R: wilcox.test(tol.root = 1e-4)


def _sigma(ranks: FloatArray, nx: float, ny: float) -> float:
    _, counts = np.unique(ranks, return_counts=True)
    t = counts.astype(np.float64)
    ties = float(np.sum(t**3 - t))
    var = (nx * ny / 12) * ((nx + ny + 1) - ties / ((nx + ny) * (nx + ny - 1)))
    return math.sqrt(var) if var > 0 else 0.0


def mann_whitney(x: Any, y: Any, conf_level: float = 0.95, correct: bool = True) -> RankTest:
    """Wilcoxon rank-sum test of x against y, with the Hodges–Lehmann estimate of the shift
    x − y and its CI: R ``wilcox.test(x, y, conf.int = TRUE)``. ``statistic`` is R's W
    (Mann–Whitney U of x).

    Reference: Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods* (3rd ed.),
    ch. 4; R Core Team, ``stats::wilcox.test``.

    >>> r = mann_whitney([1.1, 2.2, 3.3, 4.4], [0.5, 0.9, 1.6])
    >>> (r.statistic, r.method, r.estimate)  # R: wilcox.test(x, y, conf.int = TRUE)
    (11.0, 'exact', 1.7)
    """
    level = check_conf_level(conf_level)
    xs, ys = as_sample(x, "x"), as_sample(y, "y")
    for name, arr in (("x", xs), ("y", ys)):
        if arr.size == 0:
            raise StatisticsError(f"mann_whitney: {name} has no non-missing observations")
    nx, ny = xs.size, ys.size
    ranks = sps.rankdata(np.concatenate([xs, ys]))
    statistic = float(np.sum(ranks[:nx])) - nx * (nx + 1) / 2
    ties = np.unique(ranks).size != ranks.size
    alpha = 1.0 - level
    if nx < 50 and ny < 50 and not ties:
        if statistic > nx * ny / 2:
            p = pwilcox_upper(statistic - 1, nx, ny)
        else:
            p = pwilcox(statistic, nx, ny)
        diffs = np.sort(np.subtract.outer(xs, ys).ravel())
        qu = qwilcox(alpha / 2, nx, ny)
        if qu == 0:
            qu = 1
        ql = nx * ny - qu
        achieved = 2 * pwilcox(qu - 1, nx, ny)
        if achieved - alpha > alpha / 2:
            warnings.warn(
                f"mann_whitney: conf_level {level} not achievable with sizes {nx}, {ny}; "
                f"the CI has level {1 - achieved}",
                StatisticalWarning,
                stacklevel=2,
            )
        return RankTest(
            statistic=statistic,
            p_value=min(2.0 * p, 1.0),
            estimate=float(np.median(diffs)),
            ci_low=float(diffs[qu - 1]),
            ci_high=float(diffs[ql]),
            method="exact",
        )
    z = statistic - nx * ny / 2
    sigma = _sigma(ranks, float(nx), float(ny))
    if sigma == 0.0:
        raise StatisticsError("mann_whitney: all observations are tied")
    correction = math.copysign(0.5, z) if (correct and z != 0) else 0.0
    zstat = (z - correction) / sigma
    p_value = float(2 * min(sps.norm.cdf(zstat), sps.norm.sf(zstat)))
    x_sorted, y_sorted = np.sort(xs), np.sort(ys)
    mumin = float(x_sorted[0] - y_sorted[-1])
    mumax = float(x_sorted[-1] - y_sorted[0])
    w_min = rank_sum_z(x_sorted, y_sorted, mumin, correct)
    w_max = rank_sum_z(x_sorted, y_sorted, mumax, correct)

    def root(zq: float) -> float:
        f_lower = w_min - zq
        if f_lower <= 0:
            return mumin
        f_upper = w_max - zq
        if f_upper >= 0:
            return mumax
        return uniroot(
            lambda d: rank_sum_z(x_sorted, y_sorted, d, correct) - zq,
            mumin,
            mumax,
            f_lower=f_lower,
            f_upper=f_upper,
            tol=_TOL_ROOT,
        )

    low = root(float(sps.norm.isf(alpha / 2)))
    high = root(float(sps.norm.ppf(alpha / 2)))
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
