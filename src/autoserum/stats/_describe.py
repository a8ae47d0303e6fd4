"""Descriptive statistics of one sample, with R's conventions."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats as sps

from autoserum.errors import Message, StatisticalWarning, StatisticsError
from autoserum.stats._results import Describe
from autoserum.stats._validate import as_sample, check_conf_level

__all__ = ["describe"]


def describe(x: Any, conf_level: float = 0.95) -> Describe:
    """n, mean, SD, SE, t-based CI of the mean, median, quartiles, minimum and maximum.

    Missing values (NaN) are removed first. Quartiles are R's default
    ``quantile(x, c(0.25, 0.75), type = 7)`` (linear interpolation, Hyndman & Fan 1996, type 7);
    the CI is ``mean ± qt(1 - α/2, n - 1) · sd / sqrt(n)`` as in R ``t.test(x)$conf.int``.
    With one observation SD, SE and CI are ``nan`` and a :class:`StatisticalWarning` is issued.

    Reference: R Core Team, ``stats::quantile``, ``stats::sd``, ``stats::t.test``.

    >>> d = describe([1.0, 2.0, 4.0, 7.0])
    >>> (d.n, d.mean, d.median, d.q1, d.q3)  # R: quantile(c(1, 2, 4, 7))
    (4, 3.5, 3.0, 1.75, 4.75)
    """
    level = check_conf_level(conf_level)
    values = as_sample(x, "x")
    n = int(values.size)
    if n == 0:
        raise StatisticsError(Message("describe: x has no non-missing observations"))
    mean = float(np.mean(values))
    q1, median, q3 = (float(q) for q in np.quantile(values, [0.25, 0.5, 0.75]))
    if n < 2:
        warnings.warn(
            StatisticalWarning(
                Message("describe: one observation, so SD, SE and the CI are undefined (nan)")
            ),
            stacklevel=2,
        )
        sd = se = low = high = math.nan
    else:
        sd = float(np.std(values, ddof=1))
        se = sd / math.sqrt(n)
        half = float(sps.t.ppf(1.0 - (1.0 - level) / 2.0, n - 1)) * se
        low, high = mean - half, mean + half
    return Describe(
        n=n,
        mean=mean,
        sd=sd,
        se=se,
        ci_low=low,
        ci_high=high,
        median=median,
        q1=q1,
        q3=q3,
        minimum=float(values.min()),
        maximum=float(values.max()),
    )
