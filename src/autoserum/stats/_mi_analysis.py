"""Multiple-imputation analyses of the MMRM's outcomes: the treatment effect at one visit by
ANCOVA on each completed data set, pooled by Rubin's rules, and the δ-adjusted tipping point.

Reference: Carpenter, Roger & Kenward (2013) J Biopharm Stat 23:1352; Ratitch, O'Kelly &
Tosiello (2013) Pharm Stat 12:337 (tipping point / δ-adjustment); Rubin (1987).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize

from autoserum.errors import Expected, Message, StatisticsError, ValidationError
from autoserum.stats._mi import Imputed, Method, Strategy, impute
from autoserum.stats._mmrm import fit_mmrm
from autoserum.stats._mmrm_cov import CovarianceName
from autoserum.stats._results import MIResult, Pooled, TippingPoint, TippingRow
from autoserum.stats._rubin import rubin_pool
from autoserum.stats._validate import check_conf_level

__all__ = ["multiple_imputation", "tipping_point"]

FloatArray = npt.NDArray[np.float64]


def _target(imp: Imputed, visit: Any) -> int:
    if visit not in imp.levels:
        raise ValidationError(
            "visit_of_interest",
            visit,
            Expected("one of the visits %(levels)s", levels=list(imp.levels)),
        )
    return imp.levels.index(visit)


def _pool(imp: Imputed, v: int, shift: float, level: float) -> Pooled:
    """ANCOVA ``y_v ~ group + baseline (+ covariates)`` on each completed data set, pooled
    (complete-data df n − k). ``shift`` is added to imputed treated outcomes at visit v."""
    x = imp.z  # intercept, group, centred baseline, covariates
    y = imp.y[:, :, v].T.copy()  # n × m
    if shift:
        y[imp.imputed[:, v] & (imp.group == 1.0)] += shift
    n, k = x.shape
    xtx_inv = np.linalg.inv(x.T @ x)
    coef = xtx_inv @ x.T @ y
    resid = y - x @ coef
    s2 = np.sum(resid**2, axis=0) / (n - k)
    return rubin_pool(coef[1], s2 * xtx_inv[1, 1], df_complete=n - k, conf_level=level)


def _imputations(
    subject: Any,
    visit: Any,
    group: Any,
    baseline: Any,
    y: Any,
    *,
    m: int,
    strategy: Strategy,
    method: Method,
    covariance: CovarianceName,
    covariates: Mapping[str, Any] | None,
    seed: int,
) -> Imputed:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValidationError(
            "seed", seed, Expected("a whole number (imputations must be reproducible)")
        )
    fitted = fit_mmrm(
        subject, visit, group, baseline, y, covariance=covariance, covariates=covariates
    )
    imp = impute(fitted, m=m, strategy=strategy, method=method, seed=int(seed))
    if imp.z.shape[0] <= imp.z.shape[1]:
        raise StatisticsError(Message("mi: too few subjects for the ANCOVA of the completed data"))
    return imp


def multiple_imputation(
    subject: Any,
    visit: Any,
    group: Any,
    baseline: Any,
    y: Any,
    *,
    visit_of_interest: Any,
    seed: int,
    m: int = 100,
    strategy: Strategy = "MAR",
    method: Method = "posterior",
    delta: float = 0.0,
    covariance: CovarianceName = "unstructured",
    covariates: Mapping[str, Any] | None = None,
    conf_level: float = 0.95,
) -> MIResult:
    """Treatment − control difference at ``visit_of_interest`` by multiple imputation: the
    MMRM of :func:`autoserum.stats.mmrm` (``covariance``, ``covariates``) is fitted, ``m``
    data sets are completed under ``strategy`` (``"MAR"``, or reference-based ``"J2R"``,
    ``"CR"``, ``"CIR"``) from parameter draws of ``method`` (``"posterior"`` or
    ``"bootstrap"``), ``delta`` is added to the imputed outcomes of the treated arm, each data
    set is analysed by ANCOVA (``y ~ group + baseline + covariates`` at that visit, as
    :func:`autoserum.stats.ancova`) and the results pooled by Rubin's rules
    (:func:`rubin_pool`). Every randomised subject with a group and a baseline is analysed,
    also those without any post-baseline outcome. The same ``seed`` gives the same result.

    Reference: Carpenter, Roger & Kenward (2013) J Biopharm Stat 23:1352.

    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> subj = np.repeat(np.arange(60), 2); vis = np.tile([4, 8], 60)
    >>> grp = np.repeat(np.arange(60) % 2, 2); base = np.repeat(rng.normal(20, 4, 60), 2)
    >>> y = -2.0 * grp * (vis / 4) + 0.3 * base + rng.normal(0, 2, 120)
    >>> y[(vis == 8) & (np.repeat(np.arange(60), 2) % 5 == 0)] = np.nan
    >>> r = multiple_imputation(subj, vis, grp, base, y, visit_of_interest=8, m=20, seed=1)
    >>> r.pooled.m, r.n_imputed, r.strategy, bool(r.pooled.estimate < 0)
    (20, 12, 'MAR', True)
    """
    level = check_conf_level(conf_level)
    imp = _imputations(
        subject,
        visit,
        group,
        baseline,
        y,
        m=m,
        strategy=strategy,
        method=method,
        covariance=covariance,
        covariates=covariates,
        seed=seed,
    )
    v = _target(imp, visit_of_interest)
    return MIResult(
        visit=visit_of_interest,
        strategy=strategy,
        method=method,
        seed=int(seed),
        delta=float(delta),
        n_subjects=len(imp.labels),
        n_imputed=int(imp.imputed[:, v].sum()),
        pooled=_pool(imp, v, float(delta), level),
    )


def tipping_point(
    subject: Any,
    visit: Any,
    group: Any,
    baseline: Any,
    y: Any,
    *,
    visit_of_interest: Any,
    seed: int,
    m: int = 100,
    strategy: Strategy = "MAR",
    method: Method = "posterior",
    alpha: float = 0.05,
    deltas: Sequence[float] | None = None,
    covariance: CovarianceName = "unstructured",
    covariates: Mapping[str, Any] | None = None,
) -> TippingPoint:
    """δ-adjusted tipping-point analysis: the imputations of :func:`multiple_imputation`
    (drawn once, so every δ sees the same draws) with δ added to the imputed outcomes of the
    treated arm at ``visit_of_interest``; returns the pooled estimate and p-value over
    ``deltas`` (default: 21 points from 0 to twice the tipping point) and the tipping point,
    the δ at which the two-sided p-value reaches ``alpha`` (``nan`` if the effect is not
    significant at δ = 0). δ moves the effect towards the null: its sign is the opposite of
    the estimate's at δ = 0.

    Reference: Ratitch, O'Kelly & Tosiello (2013) Pharm Stat 12:337.

    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> subj = np.repeat(np.arange(60), 2); vis = np.tile([4, 8], 60)
    >>> grp = np.repeat(np.arange(60) % 2, 2); base = np.repeat(rng.normal(20, 4, 60), 2)
    >>> y = -2.0 * grp * (vis / 4) + 0.3 * base + rng.normal(0, 2, 120)
    >>> y[(vis == 8) & (np.repeat(np.arange(60), 2) % 5 == 0)] = np.nan
    >>> tp = tipping_point(subj, vis, grp, base, y, visit_of_interest=8, m=20, seed=1)
    >>> bool(tp.delta > 0), len(tp.rows)
    (True, 21)
    """
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ValidationError("alpha", alpha, Expected("a number in (0, 1)"))
    imp = _imputations(
        subject,
        visit,
        group,
        baseline,
        y,
        m=m,
        strategy=strategy,
        method=method,
        covariance=covariance,
        covariates=covariates,
        seed=seed,
    )
    v = _target(imp, visit_of_interest)
    if not (imp.imputed[:, v] & (imp.group == 1.0)).any():
        raise StatisticsError(
            Message("mi: no imputed treated outcome at that visit; δ changes nothing")
        )
    base = _pool(imp, v, 0.0, 0.95)
    sign = -1.0 if base.estimate > 0 else 1.0

    def gap(d: float) -> float:
        return _pool(imp, v, sign * d, 0.95).p_value - alpha

    tip = math.nan
    if gap(0.0) < 0:
        high = max(abs(base.estimate), base.se, 1e-8)
        for _ in range(60):
            if gap(high) > 0:
                break
            high *= 2
        else:
            raise StatisticsError(Message("mi: no δ makes the effect non-significant"))
        tip = sign * float(optimize.brentq(gap, 0.0, high, xtol=1e-10, rtol=1e-12))
    if deltas is None:
        reach = abs(tip) if math.isfinite(tip) else max(abs(base.estimate), base.se)
        grid = [sign * 2 * reach * i / 20 for i in range(21)]
    else:
        grid = [float(d) for d in deltas]
    rows = []
    for d in grid:
        p = _pool(imp, v, d, 0.95)
        rows.append(TippingRow(delta=d, estimate=p.estimate, se=p.se, p_value=p.p_value))
    return TippingPoint(
        visit=visit_of_interest,
        strategy=strategy,
        method=method,
        seed=int(seed),
        m=m,
        alpha=float(alpha),
        delta=tip,
        rows=tuple(rows),
    )
