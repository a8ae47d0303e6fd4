"""ANCOVA of change from baseline: OLS of ``y ~ group + baseline`` (R ``lm``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats as sps

from autoserum.errors import Expected, Message, StatisticsError, ValidationError
from autoserum.stats._results import Estimate
from autoserum.stats._validate import FloatArray, check_conf_level

__all__ = ["ancova", "as_column", "as_group"]


def as_column(values: Any, field: str) -> FloatArray:
    """A 1-D float array, NaN kept (the caller decides what a missing value means)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            field, type(values).__name__, Expected("a sequence of numbers")
        ) from exc
    if arr.ndim != 1:
        raise ValidationError(
            field, f"array of shape {arr.shape}", Expected("a 1-D sequence of numbers")
        )
    if np.isinf(arr).any():
        raise ValidationError(field, float(arr[np.isinf(arr)][0]), Expected("finite numbers"))
    return arr


def as_group(values: Any, field: str = "group") -> FloatArray:
    """Group codes: 1 = treatment, 0 = control (NaN = missing; nothing else is accepted)."""
    arr = as_column(values, field)
    bad = ~np.isnan(arr) & ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        raise ValidationError(field, float(arr[bad][0]), Expected("0 (control) or 1 (treatment)"))
    return arr


def ancova(y: Any, group: Any, baseline: Any, conf_level: float = 0.95) -> Estimate:
    """Treatment − control difference in ``y`` (usually change from baseline) adjusted for
    baseline: the ``group`` coefficient of ``lm(y ~ group + baseline)``, with its standard
    error, t-based CI, t statistic, residual df (n − 3) and two-sided p-value.

    ``group`` is 1 for treatment and 0 for control. Rows with a missing value in any of the
    three are dropped (R's ``na.omit``).

    Reference: Vickers & Altman, BMJ 2001;323:1123 (ANCOVA of change adjusting for baseline);
    R ``summary(lm(y ~ group + baseline))$coefficients["group", ]``.

    >>> r = ancova([-3.0, -5.0, -4.0, -1.0, -2.0, 0.0], [1, 1, 1, 0, 0, 0],
    ...            [10.0, 12.0, 11.0, 10.0, 12.0, 11.0])
    >>> (round(r.estimate, 6), r.df)  # R: coef(lm(y ~ g + b))["g"] = -3, df 3
    (-3.0, 3.0)
    """
    level = check_conf_level(conf_level)
    yv = as_column(y, "y")
    gv = as_group(group, "group")
    bv = as_column(baseline, "baseline")
    if not (yv.size == gv.size == bv.size):
        raise ValidationError(
            "group",
            f"lengths y={yv.size}, group={gv.size}, baseline={bv.size}",
            Expected("equal lengths"),
        )
    keep = ~(np.isnan(yv) | np.isnan(gv) | np.isnan(bv))
    yv, gv, bv = yv[keep], gv[keep], bv[keep]
    n = yv.size
    if n < 4:
        raise StatisticsError(Message("ancova: need at least 4 complete rows, got %(n)s", n=n))
    if not (np.any(gv == 1) and np.any(gv == 0)):
        raise StatisticsError(
            Message("ancova: both groups (0 = control, 1 = treatment) must be present")
        )
    design = np.column_stack([np.ones(n), gv, bv])
    q, r = np.linalg.qr(design)
    norms = np.linalg.norm(design, axis=0)
    if np.linalg.cond(r / norms[None, :]) > 1e10:
        raise StatisticsError(
            Message(
                "ancova: group and baseline are collinear (or baseline is constant); "
                "the adjusted difference cannot be estimated"
            )
        )
    coef = np.linalg.solve(r, q.T @ yv)
    resid = yv - design @ coef
    df = n - 3
    sigma2 = float(resid @ resid) / df
    r_inv = np.linalg.inv(r)
    cov = sigma2 * (r_inv @ r_inv.T)
    estimate = float(coef[1])
    se = math.sqrt(float(cov[1, 1]))
    if se == 0.0:
        raise StatisticsError(Message("ancova: the residual variance is zero (a perfect fit)"))
    tstat = estimate / se
    q_t = float(sps.t.ppf(1.0 - (1.0 - level) / 2.0, df))
    return Estimate(
        estimate=estimate,
        se=se,
        ci_low=estimate - q_t * se,
        ci_high=estimate + q_t * se,
        statistic=tstat,
        df=float(df),
        p_value=float(2.0 * sps.t.sf(abs(tstat), df)),
    )
