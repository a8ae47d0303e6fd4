"""t-tests exactly as R ``t.test`` computes them (``alternative`` two-sided, less or greater)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats as sps

from autoserum.errors import Message, StatisticsError
from autoserum.stats._results import TTest
from autoserum.stats._validate import (
    Alternative,
    FloatArray,
    as_sample,
    check_alternative,
    check_conf_level,
)

__all__ = ["paired_t", "student_t", "welch_t"]

_EPS = float(np.finfo(np.float64).eps)


def _result(
    diff: float, stderr: float, df: float, level: float, side: Alternative = "two-sided"
) -> TTest:
    tstat = diff / stderr
    if side == "less":
        # R: pval <- pt(tstat, df); cint <- c(-Inf, tstat + qt(conf.level, df))
        p_value = float(sps.t.cdf(tstat, df))
        low, high = -math.inf, (tstat + float(sps.t.ppf(level, df))) * stderr
    elif side == "greater":
        p_value = float(sps.t.sf(tstat, df))
        low, high = (tstat - float(sps.t.ppf(level, df))) * stderr, math.inf
    else:
        p_value = float(2.0 * sps.t.cdf(-abs(tstat), df))
        q = float(sps.t.ppf(1.0 - (1.0 - level) / 2.0, df))
        # R: cint <- mu + (tstat + c(-q, q)) * stderr
        low, high = (tstat - q) * stderr, (tstat + q) * stderr
    return TTest(
        estimate=diff,
        se=stderr,
        ci_low=low,
        ci_high=high,
        statistic=tstat,
        df=df,
        p_value=p_value,
    )


def paired_t(
    diff: Any, conf_level: float = 0.95, *, alternative: Alternative = "two-sided"
) -> TTest:
    """Paired t-test on the paired differences (one-sample t-test of ``diff`` against 0).

    Equals R ``t.test(diff)`` and ``t.test(after, before, paired = TRUE)``: estimate = mean
    difference, df = n − 1, two-sided p-value. Missing values are removed.

    Raises :class:`StatisticsError` with fewer than two differences or constant data.

    >>> r = paired_t([1.0, 2.0, 3.0, 6.0])
    >>> (r.estimate, r.df)  # R: t.test(c(1, 2, 3, 6))
    (3.0, 3.0)
    """
    level = check_conf_level(conf_level)
    side = check_alternative(alternative)
    x = as_sample(diff, "diff")
    n = x.size
    if n < 2:
        raise StatisticsError(
            Message("paired_t: need at least 2 non-missing differences, got %(n)s", n=n)
        )
    mean = float(np.mean(x))
    stderr = math.sqrt(float(np.var(x, ddof=1)) / n)
    if stderr < 10.0 * _EPS * abs(mean) or stderr == 0.0:
        raise StatisticsError(Message("paired_t: the differences are essentially constant"))
    return _result(mean, stderr, float(n - 1), level, side)


def _two_samples(x: Any, y: Any, minimum: int) -> tuple[FloatArray, FloatArray]:
    xs, ys = as_sample(x, "x"), as_sample(y, "y")
    for name, arr in (("x", xs), ("y", ys)):
        if arr.size < minimum:
            raise StatisticsError(
                Message(
                    "need at least %(minimum)s non-missing observation(s) in %(name)s, got %(n)s",
                    minimum=minimum,
                    name=name,
                    n=arr.size,
                )
            )
    return xs, ys


def welch_t(
    x: Any, y: Any, conf_level: float = 0.95, *, alternative: Alternative = "two-sided"
) -> TTest:
    """Welch two-sample t-test, as R ``t.test(x, y)``: estimate = mean(x) − mean(y), SE
    ``sqrt(var(x)/nx + var(y)/ny)``, Welch–Satterthwaite df.

    >>> r = welch_t([1.0, 2.0, 3.0], [4.0, 6.0, 8.0])
    >>> r.estimate  # R: t.test(c(1, 2, 3), c(4, 6, 8)): means 2 and 6
    -4.0
    """
    level = check_conf_level(conf_level)
    side = check_alternative(alternative)
    xs, ys = _two_samples(x, y, 2)
    nx, ny = xs.size, ys.size
    mx, my = float(np.mean(xs)), float(np.mean(ys))
    sx2 = float(np.var(xs, ddof=1)) / nx
    sy2 = float(np.var(ys, ddof=1)) / ny
    stderr = math.sqrt(sx2 + sy2)
    if stderr < 10.0 * _EPS * max(abs(mx), abs(my)) or stderr == 0.0:
        raise StatisticsError(Message("welch_t: the data are essentially constant"))
    df = stderr**4 / (sx2**2 / (nx - 1) + sy2**2 / (ny - 1))
    return _result(mx - my, stderr, df, level, side)


def student_t(
    x: Any, y: Any, conf_level: float = 0.95, *, alternative: Alternative = "two-sided"
) -> TTest:
    """Student two-sample t-test with pooled variance, as R ``t.test(x, y, var.equal = TRUE)``.

    >>> student_t([1.0, 2.0, 3.0], [4.0, 6.0, 8.0]).df  # R: t.test(..., var.equal = TRUE)
    4.0
    """
    level = check_conf_level(conf_level)
    side = check_alternative(alternative)
    xs, ys = _two_samples(x, y, 1)
    nx, ny = xs.size, ys.size
    if nx + ny < 3:
        raise StatisticsError(
            Message("student_t: need at least 3 observations in x and y together")
        )
    mx, my = float(np.mean(xs)), float(np.mean(ys))
    df = nx + ny - 2
    pooled = 0.0
    if nx > 1:
        pooled += (nx - 1) * float(np.var(xs, ddof=1))
    if ny > 1:
        pooled += (ny - 1) * float(np.var(ys, ddof=1))
    stderr = math.sqrt(pooled / df * (1.0 / nx + 1.0 / ny))
    if stderr < 10.0 * _EPS * max(abs(mx), abs(my)) or stderr == 0.0:
        raise StatisticsError(Message("student_t: the data are essentially constant"))
    return _result(mx - my, stderr, float(df), level, side)
