"""Rubin's rules for a scalar estimand over m imputations, as R ``mice::pool``.

Reference: Rubin (1987) *Multiple Imputation for Nonresponse in Surveys*, §3.1; Barnard &
Rubin (1999) Biometrika 86:948 (small-sample df); van Buuren (2018) *Flexible Imputation of
Missing Data*, 2nd ed., §2.3 (``mice::pool.scalar``, ``mice:::barnard.rubin``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats as sps

from autoserum.errors import Expected, ValidationError
from autoserum.stats._results import Pooled
from autoserum.stats._validate import check_conf_level

__all__ = ["rubin_pool"]


def rubin_pool(
    estimates: Any,
    variances: Any,
    *,
    df_complete: float = math.inf,
    conf_level: float = 0.95,
) -> Pooled:
    """Pool m complete-data estimates and their variances (squared SEs) by Rubin's rules:
    Q̄ = mean(Q), Ū = mean(U), B = var(Q), T = Ū + (1 + 1/m) B, the Barnard–Rubin df with
    complete-data df ``df_complete`` (R ``mice``: ``dfcom``, the residual df of the analysis
    model, ``Inf`` for a large-sample one), relative increase in variance r = (1 + 1/m) B / Ū,
    λ = (1 + 1/m) B / T and the fraction of missing information (r + 2/(ν + 3)) / (r + 1);
    t = Q̄ / √T with a two-sided p-value and CI on ν df. Same as R::

        mice::pool.scalar(Q, U, n = df_complete + 1, k = 1)
        summary(mice::pool(fit), conf.int = TRUE)     # for each term

    >>> p = rubin_pool([1.0, 1.2, 0.9, 1.1], [0.04, 0.05, 0.04, 0.05], df_complete=50)
    >>> round(p.estimate, 4), round(p.between, 6), round(p.df, 3)
    (1.05, 0.016667, 15.677)
    """
    level = check_conf_level(conf_level)
    q = np.asarray(estimates, dtype=np.float64)
    u = np.asarray(variances, dtype=np.float64)
    if q.ndim != 1 or q.size < 2:
        raise ValidationError("estimates", f"{q.size} values", Expected("at least 2 imputations"))
    if u.shape != q.shape:
        raise ValidationError(
            "variances", f"{u.size} values", Expected("%(size)s, one per estimate", size=q.size)
        )
    if not np.all(np.isfinite(q)):
        raise ValidationError("estimates", "a non-finite value", Expected("finite numbers"))
    if not np.all(np.isfinite(u) & (u >= 0)):
        raise ValidationError(
            "variances", "a negative or non-finite value", Expected("numbers >= 0")
        )
    df_com = float(df_complete)
    if not df_com > 0:
        raise ValidationError("df_complete", df_complete, Expected("a positive number or inf"))
    m = q.size
    qbar, ubar = float(q.mean()), float(u.mean())
    b = float(q.var(ddof=1))
    total = ubar + (1 + 1 / m) * b
    lam = max((1 + 1 / m) * b / total, 1e-4) if total > 0 else 1e-4
    df_old = (m - 1) / lam**2
    if math.isinf(df_com):
        df = df_old
    else:
        df_obs = (df_com + 1) / (df_com + 3) * df_com * (1 - lam)
        df = df_old * df_obs / (df_old + df_obs)
    riv = (1 + 1 / m) * b / ubar if ubar > 0 else math.inf
    fmi = (riv + 2 / (df + 3)) / (riv + 1)
    se = math.sqrt(total)
    stat = qbar / se if se > 0 else math.nan
    crit = float(sps.t.ppf(1 - (1 - level) / 2, df))
    return Pooled(
        estimate=qbar,
        se=se,
        ci_low=qbar - crit * se,
        ci_high=qbar + crit * se,
        statistic=stat,
        df=df,
        p_value=float(2 * sps.t.sf(abs(stat), df)),
        m=m,
        within=ubar,
        between=b,
        total=total,
        riv=riv,
        lambda_=(1 + 1 / m) * b / total if total > 0 else 0.0,
        fmi=fmi,
        df_complete=df_com,
    )
