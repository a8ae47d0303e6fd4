"""Mixed model for repeated measures (MMRM), as ``nlme::gls`` with an unstructured covariance."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats as sps

from autoserum.errors import StatisticsError
from autoserum.stats._mmrm_data import PreparedData, prepare
from autoserum.stats._mmrm_reml import fit_reml
from autoserum.stats._results import MMRMResult, VisitEstimate
from autoserum.stats._validate import check_conf_level

__all__ = ["fit_prepared", "mmrm"]


def _check_estimable(data: PreparedData) -> None:
    t = len(data.levels)
    together = np.zeros((t, t))
    per_visit = np.zeros((t, 3, 3))
    for pat in data.patterns:
        together[np.ix_(pat.visits, pat.visits)] += pat.n
        per_visit[pat.visits] += pat.s_zz
    for v in range(t):
        for w in range(v + 1, t):
            if together[v, w] == 0:
                raise StatisticsError(
                    f"mmrm: visits {data.levels[v]!r} and {data.levels[w]!r} are never observed "
                    "in the same subject, so their covariance cannot be estimated"
                )
    for v in range(t):
        zz = per_visit[v]
        n_v, n_treated = zz[0, 0], zz[0, 1]
        if n_treated == 0 or n_treated == n_v:
            raise StatisticsError(
                f"mmrm: visit {data.levels[v]!r} has outcomes in only one group; "
                "the treatment difference there cannot be estimated"
            )
        scale = np.sqrt(np.diag(zz))
        if scale[2] == 0 or np.linalg.cond(zz / np.outer(scale, scale)) > 1e10:
            raise StatisticsError(
                f"mmrm: at visit {data.levels[v]!r} baseline is constant or collinear with group"
            )
    if data.n_observations <= 3 * t:
        raise StatisticsError(
            f"mmrm: {data.n_observations} observations for {3 * t} fixed effects; need more"
        )


def mmrm(
    subject: Any,
    visit: Any,
    group: Any,
    baseline: Any,
    y: Any,
    conf_level: float = 0.95,
) -> MMRMResult:
    """MMRM of ``y`` (usually change from baseline) with group, visit, group × visit, baseline
    and baseline × visit as fixed effects and an unstructured within-subject covariance,
    fitted by REML; returns the treatment − control difference at each visit.

    Identical to R::

        nlme::gls(y ~ group * visit + baseline * visit,
                  correlation = corSymm(form = ~ visit_index | subject),
                  weights = varIdent(form = ~ 1 | visit), method = "REML")

    with ``visit`` a factor (levels sorted) and ``visit_index`` its position. Each visit's
    difference is the linear combination ``group + group:visit<v>`` of the coefficients, its SE
    ``sqrt(L vcov Lᵀ)``; the CI and two-sided p-value use the t distribution with N − p degrees
    of freedom (N observations, p = 3 × visits fixed effects), as ``summary.gls`` does.

    The arrays are the long format: one row per subject and visit; ``group`` is 1 (treatment)
    or 0 (control) and ``baseline`` is constant within a subject; rows with missing ``y``
    (NaN) are dropped, which is how dropouts and missed visits enter. Cost is linear in the
    rows: the likelihood is computed from per-missingness-pattern sufficient statistics.

    Reference: Mallinckrodt et al. (2008) Drug Inf J 42:303; Pinheiro & Bates (2000) §5.3.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> subj = np.repeat(np.arange(40), 2); vis = np.tile([4, 8], 40)
    >>> grp = np.repeat(np.arange(40) % 2, 2); base = np.repeat(rng.normal(20, 4, 40), 2)
    >>> y = -2.0 * grp * (vis / 4) + 0.3 * base + rng.normal(0, 2, 80)
    >>> fit = mmrm(subj, vis, grp, base, y)
    >>> [v.visit for v in fit.per_visit], fit.converged, fit.per_visit[0].df
    ([4, 8], True, 74.0)
    """
    level = check_conf_level(conf_level)
    return fit_prepared(prepare(subject, visit, group, baseline, y), conf_level=level)


def fit_prepared(data: PreparedData, *, conf_level: float = 0.95) -> MMRMResult:
    """The MMRM of :func:`mmrm` from its per-pattern sufficient statistics (``prepare``'s
    output, or the same statistics combined across sites by :mod:`autoserum.stats.federated`).
    """
    level = check_conf_level(conf_level)
    _check_estimable(data)
    fit = fit_reml(data)
    t = len(data.levels)
    df = float(data.n_observations - 3 * t)
    q = float(sps.t.ppf(1.0 - (1.0 - level) / 2.0, df))
    per_visit = []
    for v, label in enumerate(data.levels):
        estimate = float(fit.beta[v, 1])
        se = math.sqrt(float(fit.cov_beta[3 * v + 1, 3 * v + 1]))
        tstat = estimate / se
        per_visit.append(
            VisitEstimate(
                visit=label,
                estimate=estimate,
                se=se,
                ci_low=estimate - q * se,
                ci_high=estimate + q * se,
                df=df,
                p_value=float(2.0 * sps.t.sf(abs(tstat), df)),
            )
        )
    n_obs = data.n_observations
    log_lik = -0.5 * (fit.minus2_reml + (n_obs - 3 * t) * math.log(2 * math.pi))
    return MMRMResult(
        per_visit=tuple(per_visit),
        converged=fit.converged,
        log_lik=log_lik,
        n_subjects=data.n_subjects,
        n_observations=n_obs,
        covariance=tuple(tuple(float(c) for c in row) for row in fit.sigma),
    )
