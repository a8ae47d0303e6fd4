"""ANCOVA with any number of arms and covariates: the linear model of R ``lm`` with the arm as a
factor (treatment contrasts, the control the reference), least-squares means as R ``emmeans``
gives them, each arm against the control, and the overall F test of the arm.

The model is ``y ~ arm + baseline + covariates``: numeric covariates enter as they are,
text ones as factors (first sorted level the reference, R's ``contr.treatment``). Rows with a
missing value in any term are dropped (R's ``na.omit``).

- Contrasts: the arm coefficients, i.e. ``emmeans::contrast(emm, "trt.vs.ctrl", adjust =
  "none")``, with t-based CIs at ``conf_level`` and p-values for ``alternative`` (``less``:
  H1 estimate < 0, the one-sided interval ``(-inf, upper]``; ``greater`` the other side).
- LS means: ``emmeans(fit, "arm")``: the prediction at the mean of each numeric covariate,
  averaged with equal weights over the levels of each factor covariate.
- Overall test: the F test of all arm coefficients (``anova(reduced, full)``).

Reference: Searle, Speed & Milliken (1980) Am Stat 34:216 (population marginal means); Lenth,
emmeans package documentation; EMA/CHMP/295050/2013 (adjustment for baseline covariates).

>>> r = linear_model([-3.0, -5.0, -4.0, -1.0, -2.0, 0.0], ["s", "s", "s", "p", "p", "p"],
...                  control="p", baseline=[10.0, 12.0, 11.0, 10.0, 12.0, 11.0])
>>> (round(r.contrasts[0].estimate, 6), r.df_residual)  # R: coef(lm(y ~ arm + b))["arms"]
(-3.0, 3.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from autoserum.errors import Expected, Message, StatisticsError, ValidationError
from autoserum.stats._results import Estimate, _Result
from autoserum.stats._validate import Alternative, check_alternative, check_conf_level

__all__ = [
    "Alternative",
    "Contrast",
    "FTest",
    "LSMean",
    "LinearModelResult",
    "linear_model",
    "t_inference",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Contrast(_Result):
    """One arm minus the control: estimate, SE, CI, t statistic, residual df, p-value."""

    arm: str
    control: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    df: float
    p_value: float


@dataclass(frozen=True)
class LSMean(_Result):
    """The least-squares (estimated marginal) mean of one arm, as ``emmeans``."""

    arm: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: float


@dataclass(frozen=True)
class FTest(_Result):
    """The F test that every arm coefficient is zero."""

    statistic: float
    df1: float
    df2: float
    p_value: float


@dataclass(frozen=True)
class LinearModelResult(_Result):
    """A fitted ANCOVA: contrasts against the control, LS means per arm, the overall test."""

    contrasts: tuple[Contrast, ...]
    ls_means: tuple[LSMean, ...]
    overall: FTest
    terms: tuple[str, ...]
    coefficients: tuple[float, ...]
    n: int
    df_residual: float
    sigma: float
    conf_level: float
    alternative: str


def _texts(values: Any, field: str, n: int) -> npt.NDArray[Any]:
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1 or arr.size != n:
        raise ValidationError(
            field, f"{arr.size} values", Expected("%(n)s values, one per row", n=n)
        )
    return arr


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _numeric(arr: npt.NDArray[Any]) -> bool:
    return all(
        _is_missing(v) or (isinstance(v, int | float | np.number) and not isinstance(v, bool))
        for v in arr
    )


@dataclass(frozen=True)
class _Design:
    x: FloatArray
    y: FloatArray
    terms: tuple[str, ...]
    arm_cols: tuple[int, ...]
    # LS-mean row of each arm: the reference-grid average (without the arm columns)
    grid_row: FloatArray


def _design(
    y: Any,
    arm: Any,
    control: str,
    baseline: Any | None,
    covariates: Mapping[str, Any],
) -> tuple[_Design, list[str]]:
    yv = np.asarray(y, dtype=np.float64)
    n = yv.size
    arms = _texts(arm, "arm", n)
    cols: dict[str, npt.NDArray[Any]] = {}
    if baseline is not None:
        cols["baseline"] = _texts(baseline, "baseline", n)
    for name, values in covariates.items():
        cols[name] = _texts(values, f"covariates.{name}", n)
    keep = ~np.isnan(yv) & np.array([not _is_missing(a) for a in arms])
    for values in cols.values():
        keep &= np.array([not _is_missing(v) for v in values])
    yv = yv[keep]
    arms = arms[keep].astype(str)
    levels = sorted(set(arms.tolist()))
    if control not in levels:
        raise StatisticsError(
            Message(
                "linear model: the control arm %(control)s has no complete row (arms with data: "
                "%(arms)s)",
                control=repr(control),
                arms=", ".join(levels),
            )
        )
    others = [a for a in levels if a != control]
    if not others:
        raise StatisticsError(Message("linear model: only the control arm has data"))
    m = yv.size
    blocks: list[FloatArray] = [np.ones((m, 1))]
    terms = ["(intercept)"]
    grid = [1.0]
    blocks.append(np.column_stack([(arms == a).astype(np.float64) for a in others]))
    arm_cols = tuple(range(1, 1 + len(others)))
    terms += [f"arm[{a}]" for a in others]
    grid += [0.0] * len(others)
    for name, values in cols.items():
        kept = values[keep]
        if _numeric(kept):
            col = kept.astype(np.float64)
            blocks.append(col[:, None])
            terms.append(name)
            grid.append(float(col.mean()))
        else:
            text = kept.astype(str)
            lv = sorted(set(text.tolist()))
            if len(lv) < 2:
                raise StatisticsError(
                    Message("linear model: covariate %(name)s has a single level", name=repr(name))
                )
            blocks.append(np.column_stack([(text == v).astype(np.float64) for v in lv[1:]]))
            terms += [f"{name}[{v}]" for v in lv[1:]]
            grid += [1.0 / len(lv)] * (len(lv) - 1)
    x = np.hstack(blocks)
    return _Design(x, yv, tuple(terms), arm_cols, np.asarray(grid)), levels


def _tail(
    estimate: float, se: float, df: float, level: float, alternative: str
) -> tuple[float, float, float, float]:
    """(ci_low, ci_high, statistic, p) of a t-based estimate for the alternative."""
    t = estimate / se
    if alternative == "less":
        q = float(sps.t.ppf(level, df))
        return -math.inf, estimate + q * se, t, float(sps.t.cdf(t, df))
    if alternative == "greater":
        q = float(sps.t.ppf(level, df))
        return estimate - q * se, math.inf, t, float(sps.t.sf(t, df))
    q = float(sps.t.ppf(1.0 - (1.0 - level) / 2.0, df))
    return estimate - q * se, estimate + q * se, t, float(2.0 * sps.t.sf(abs(t), df))


def t_inference(
    estimate: float,
    se: float,
    df: float,
    *,
    conf_level: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Estimate:
    """The t statistic, CI and p-value of an estimate with its SE and df for ``alternative``
    (``less``: H1 below zero, interval ``(-inf, upper]``; ``greater``: ``[lower, inf)``), as
    R's ``emmeans`` ``summary(..., side = -1 | 0 | 1)`` and ``t.test(alternative = ...)``.

    >>> r = t_inference(-2.0, 1.0, 20, alternative="less")
    >>> (r.ci_low, round(r.p_value, 6))  # R: pt(-2, 20)
    (-inf, 0.029633)
    """
    level = check_conf_level(conf_level)
    alternative = check_alternative(alternative)
    if not (se > 0 and df > 0):
        raise StatisticsError(
            Message("t inference needs se > 0 and df > 0, got se=%(se)s, df=%(df)s", se=se, df=df)
        )
    low, high, t, p = _tail(float(estimate), float(se), float(df), level, alternative)
    return Estimate(float(estimate), float(se), low, high, t, float(df), p)


def linear_model(
    y: Any,
    arm: Any,
    *,
    control: str,
    baseline: Any | None = None,
    covariates: Mapping[str, Any] | None = None,
    conf_level: float = 0.95,
    alternative: Alternative = "two-sided",
) -> LinearModelResult:
    """Fit ``y ~ arm + baseline + covariates`` by least squares (see the module docstring)."""
    level = check_conf_level(conf_level)
    alternative = check_alternative(alternative)
    d, levels = _design(y, arm, control, baseline, covariates or {})
    n, p = d.x.shape
    df = n - p
    if df < 1:
        raise StatisticsError(
            Message(
                "linear model: %(rows)s complete rows for %(coefficients)s coefficients; need more",
                rows=n,
                coefficients=p,
            )
        )
    q, r = np.linalg.qr(d.x)
    norms = np.linalg.norm(d.x, axis=0)
    if np.any(norms == 0) or np.linalg.cond(r / norms[None, :]) > 1e10:
        raise StatisticsError(
            Message(
                "linear model: the terms are collinear (a covariate constant, or confounded "
                "with the arm); the adjusted differences cannot be estimated"
            )
        )
    beta = np.linalg.solve(r, q.T @ d.y)
    resid = d.y - d.x @ beta
    sigma2 = float(resid @ resid) / df
    if sigma2 == 0.0:
        raise StatisticsError(
            Message("linear model: the residual variance is zero (a perfect fit)")
        )
    r_inv = np.linalg.inv(r)
    cov = sigma2 * (r_inv @ r_inv.T)
    others = [a for a in levels if a != control]
    contrasts = []
    for j, a in zip(d.arm_cols, others, strict=True):
        est, se = float(beta[j]), math.sqrt(float(cov[j, j]))
        low, high, t, pv = _tail(est, se, df, level, alternative)
        contrasts.append(Contrast(a, control, est, se, low, high, t, float(df), pv))
    q2 = float(sps.t.ppf(1.0 - (1.0 - level) / 2.0, df))
    means = []
    for a in levels:
        row = d.grid_row.copy()
        if a != control:
            row[d.arm_cols[others.index(a)]] = 1.0
        est = float(row @ beta)
        se = math.sqrt(float(row @ cov @ row))
        means.append(LSMean(a, est, se, est - q2 * se, est + q2 * se, float(df)))
    idx = list(d.arm_cols)
    b_a = beta[idx]
    w = float(b_a @ np.linalg.solve(cov[np.ix_(idx, idx)], b_a)) / len(idx)
    overall = FTest(w, float(len(idx)), float(df), float(sps.f.sf(w, len(idx), df)))
    return LinearModelResult(
        contrasts=tuple(contrasts),
        ls_means=tuple(means),
        overall=overall,
        terms=d.terms,
        coefficients=tuple(float(b) for b in beta),
        n=int(n),
        df_residual=float(df),
        sigma=math.sqrt(sigma2),
        conf_level=level,
        alternative=alternative,
    )
