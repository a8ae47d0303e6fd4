"""Standardised mean difference (Hedges' g) with its CI, as metafor ``escalc("SMD")``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special
from scipy import stats as sps

from autoserum.errors import Message, StatisticsError
from autoserum.stats._results import Estimate
from autoserum.stats._validate import as_sample, check_conf_level

__all__ = ["hedges_g"]


def hedges_g(x: Any, y: Any, conf_level: float = 0.95) -> Estimate:
    """Hedges' g of x versus y: ``J · (mean(x) − mean(y)) / s_pooled`` with the exact small-sample
    correction ``J = Γ(m/2) / (sqrt(m/2) Γ((m−1)/2))``, m = nx + ny − 2; its large-sample
    variance ``1/nx + 1/ny + g²/(2(nx + ny))``; a normal (Wald) CI and z-test.

    ``statistic`` is z = g / se, ``df`` is m (the pooled SD's degrees of freedom).

    Reference: Hedges (1981) J Educ Stat 6:107; Borenstein et al. (2009) *Introduction to
    Meta-Analysis*, ch. 4; R ``summary(metafor::escalc("SMD", m1i, sd1i, n1i, m2i, sd2i, n2i))``
    (vtype = "LS").

    >>> # R: metafor::escalc("SMD", m1i = 2.5, sd1i = sd(1:4), n1i = 4, m2i = 3.5, ...)$yi
    >>> round(hedges_g([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0]).estimate, 6)
    -0.672835
    """
    level = check_conf_level(conf_level)
    xs, ys = as_sample(x, "x"), as_sample(y, "y")
    nx, ny = xs.size, ys.size
    if nx < 2 or ny < 2:
        raise StatisticsError(
            Message(
                "hedges_g: need at least 2 observations per group, got %(nx)s, %(ny)s", nx=nx, ny=ny
            )
        )
    m = nx + ny - 2
    pooled = ((nx - 1) * float(np.var(xs, ddof=1)) + (ny - 1) * float(np.var(ys, ddof=1))) / m
    if pooled == 0.0:
        raise StatisticsError(Message("hedges_g: the pooled standard deviation is zero"))
    d = (float(np.mean(xs)) - float(np.mean(ys))) / math.sqrt(pooled)
    if m <= 1:
        raise StatisticsError(
            Message("hedges_g: need nx + ny - 2 > 1 for the small-sample correction")
        )
    j = math.exp(
        float(special.gammaln(m / 2))
        - math.log(math.sqrt(m / 2))
        - float(special.gammaln((m - 1) / 2))
    )
    g = j * d
    se = math.sqrt(1 / nx + 1 / ny + g**2 / (2 * (nx + ny)))
    z = g / se
    q = float(sps.norm.ppf(1.0 - (1.0 - level) / 2.0))
    return Estimate(
        estimate=g,
        se=se,
        ci_low=g - q * se,
        ci_high=g + q * se,
        statistic=z,
        df=float(m),
        p_value=float(2.0 * sps.norm.sf(abs(z))),
    )
