"""Kaplan–Meier curves with confidence intervals and the log-rank test, as R ``survival``.

Reference: Kaplan & Meier (1958) JASA 53:457; Greenwood (1926); Kalbfleisch & Prentice (2002)
§1.4 (log and log-log intervals); Mantel (1966) (log-rank); Therneau, *A Package for Survival
Analysis in R* (``survfit``, ``survdiff``, ``quantile.survfit``).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from autoserum.errors import Expected, ValidationError
from autoserum.stats._results_survival import KaplanMeier, KMCurve, KMRow, LogRank
from autoserum.stats._validate import check_conf_level

__all__ = ["check_survival", "kaplan_meier", "log_rank"]

FloatArray = npt.NDArray[np.float64]
_TOL = math.sqrt(np.finfo(float).eps)


def check_survival(time: Any, event: Any) -> tuple[FloatArray, FloatArray]:
    """Times (finite, ≥ 0) and event indicators (1 event, 0 censored), same length."""
    try:
        t = np.asarray(time, dtype=np.float64)
        e = np.asarray(event, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError("time", "non-numeric values", Expected("numbers")) from exc
    if t.ndim != 1 or t.size == 0:
        raise ValidationError("time", f"shape {t.shape}", Expected("a non-empty 1-D sequence"))
    if e.shape != t.shape:
        raise ValidationError(
            "event", f"{e.size} values", Expected("%(size)s values, one per time", size=t.size)
        )
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        raise ValidationError("time", float(t[bad][0]), Expected("a finite time >= 0"))
    bad_e = ~np.isin(e, (0.0, 1.0))
    if bad_e.any():
        raise ValidationError("event", float(e[bad_e][0]), Expected("1 (event) or 0 (censored)"))
    return t, e


def _groups(group: Any, n: int) -> tuple[list[Any], npt.NDArray[np.intp]]:
    if group is None:
        return [None], np.zeros(n, dtype=np.intp)
    arr = np.asarray(group)
    if arr.ndim != 1 or arr.size != n:
        raise ValidationError(
            "group", f"{arr.size} values", Expected("%(n)s values, one per time", n=n)
        )
    levels, inv = np.unique(arr, return_inverse=True)
    return levels.tolist(), inv.astype(np.intp)


def _findq(x: FloatArray, y: FloatArray, p: float) -> float:
    """R ``survival:::findq``: the time where the cumulative ``y = 1 − S`` reaches p, the
    midpoint of a flat stretch when it equals p (tolerance √ε)."""
    finite = y[~np.isnan(y)]
    if finite.size == 0 or finite.max() < p:
        return math.nan
    xmax = float(x[-1])
    seen: set[float] = set()
    keep = []
    for i, v in enumerate(y.tolist()):
        key = math.nan if math.isnan(v) else v
        if not any(k == key or (math.isnan(k) and math.isnan(key)) for k in seen):
            seen.add(key)
            keep.append(i)
    xs, ys = x[keep], y[keep]
    ok = ~np.isnan(ys)
    idx = np.flatnonzero(ok)

    def right(shift: float) -> int | None:
        grid = ys[ok] + shift
        if p < grid[0] or p > grid[-1]:
            return None
        return int(idx[np.searchsorted(grid, p, side="left")])

    i1, i2 = right(_TOL), right(-_TOL)
    if i1 is None:
        return math.nan
    if not math.isnan(ys[-1]) and abs(p - ys[-1]) < _TOL:
        return (float(xs[i1]) + xmax) / 2
    if i2 is None:
        return math.nan
    return (float(xs[i1]) + float(xs[i2])) / 2


def _curve(t: FloatArray, e: FloatArray, label: Any, z: float, conf_type: str) -> KMCurve:
    times = np.unique(t)
    n_event = np.array([np.sum(e[t == s]) for s in times])
    n_total = np.array([np.sum(t == s) for s in times])
    n_risk = np.array([np.sum(t >= s) for s in times])
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1 - n_event / n_risk)
        green = np.cumsum(np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0))
        std = np.sqrt(green)  # SE of log S (survfit's std.err)
        if conf_type == "log":
            low = np.where(surv == 0, np.nan, np.exp(np.log(surv) - z * std))
            high = np.where(surv == 0, np.nan, np.minimum(np.exp(np.log(surv) + z * std), 1.0))
        else:
            edge = (surv == 0) | (surv == 1)  # R 3.x: no log-log interval there (NA)
            xx = np.log(-np.log(surv))
            low = np.where(edge, np.nan, np.exp(-np.exp(xx - z * std / np.log(surv))))
            high = np.where(edge, np.nan, np.exp(-np.exp(xx + z * std / np.log(surv))))
    rows = tuple(
        KMRow(
            time=float(times[i]),
            n_risk=int(n_risk[i]),
            n_event=int(n_event[i]),
            n_censor=int(n_total[i] - n_event[i]),
            survival=float(surv[i]),
            se=float(surv[i] * std[i]) if surv[i] > 0 else math.nan,
            ci_low=float(low[i]),
            ci_high=float(high[i]),
        )
        for i in range(times.size)
    )
    x = np.concatenate([[0.0], times])
    return KMCurve(
        group=label,
        n=int(t.size),
        events=int(e.sum()),
        median=_findq(x, np.concatenate([[0.0], 1 - surv]), 0.5),
        median_ci_low=_findq(x, np.concatenate([[0.0], 1 - low]), 0.5),
        median_ci_high=_findq(x, np.concatenate([[0.0], 1 - high]), 0.5),
        rows=rows,
    )


def kaplan_meier(
    time: Any,
    event: Any,
    *,
    group: Any = None,
    conf_level: float = 0.95,
    conf_type: Literal["log", "log-log"] = "log",
) -> KaplanMeier:
    """Kaplan–Meier estimate of survival (time to first flare: S(t) = P(no flare by t)) per
    group, with Greenwood standard errors and pointwise CIs of ``conf_type`` (R's
    ``conf.type``: ``"log"``, the default of ``survfit``, or ``"log-log"``), and the median
    with its CI as ``print(survfit(...))``. Same as R::

        survival::survfit(Surv(time, event) ~ group, conf.type = "log", conf.int = 0.95)

    ``event`` is 1 for an event and 0 for censoring; times are ≥ 0.

    >>> km = kaplan_meier([2, 3, 3, 5, 8, 9], [1, 1, 0, 1, 0, 1])
    >>> [round(r.survival, 4) for r in km.curves[0].rows]
    [0.8333, 0.6667, 0.4444, 0.4444, 0.0]
    >>> km.curves[0].median
    5.0
    """
    level = check_conf_level(conf_level)
    if conf_type not in ("log", "log-log"):
        raise ValidationError("conf_type", conf_type, Expected("log or log-log"))
    t, e = check_survival(time, event)
    labels, idx = _groups(group, t.size)
    z = float(sps.norm.ppf(1 - (1 - level) / 2))
    curves = tuple(
        _curve(t[idx == g], e[idx == g], label, z, conf_type) for g, label in enumerate(labels)
    )
    return KaplanMeier(curves=curves, conf_type=conf_type, conf_level=level)


def log_rank(time: Any, event: Any, group: Any) -> LogRank:
    """The log-rank test of equal survival across groups, as R
    ``survival::survdiff(Surv(time, event) ~ group)``: observed and expected events per
    group (sorted labels), the chi-square (O − E)ᵀ V⁻ (O − E) with the hypergeometric
    variance, df = groups − 1.

    >>> lr = log_rank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1])
    >>> lr.observed, round(lr.statistic, 4)  # R survdiff: Chisq = 5.05 on 1 df
    ((3.0, 2.0), 5.0517)
    """
    t, e = check_survival(time, event)
    labels, idx = _groups(group, t.size)
    k = len(labels)
    if k < 2:
        raise ValidationError("group", f"{k} group", Expected("at least 2 groups"))
    obs = np.zeros(k)
    exp = np.zeros(k)
    var = np.zeros((k, k))
    for s in np.unique(t[e == 1]):
        at_risk = t >= s
        n_j = np.bincount(idx[at_risk], minlength=k).astype(np.float64)
        d_j = np.bincount(idx[(t == s) & (e == 1)], minlength=k).astype(np.float64)
        n, d = n_j.sum(), d_j.sum()
        obs += d_j
        exp += d * n_j / n
        if n > 1:
            frac = n_j / n
            var += d * (n - d) / (n - 1) * (np.diag(frac) - np.outer(frac, frac))
    diff = (obs - exp)[:-1]
    stat = float(diff @ np.linalg.solve(var[:-1, :-1], diff))
    return LogRank(
        groups=tuple(labels),
        observed=tuple(float(v) for v in obs),
        expected=tuple(float(v) for v in exp),
        statistic=stat,
        df=k - 1,
        p_value=float(sps.chi2.sf(stat, k - 1)),
    )
