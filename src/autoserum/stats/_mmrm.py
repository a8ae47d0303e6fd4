"""Mixed model for repeated measures (MMRM), as ``nlme::gls`` with a choice of covariance
structure and of denominator degrees of freedom (residual, Satterthwaite, Kenward–Roger)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats as sps

from autoserum.errors import Expected, Message, StatisticsError, ValidationError
from autoserum.stats._mmrm_cov import CovarianceName, make_structure
from autoserum.stats._mmrm_data import PreparedData, prepare
from autoserum.stats._mmrm_df import DF_METHODS, DfMethod, inference
from autoserum.stats._mmrm_reml import Reml, RemlFit, fit_reml
from autoserum.stats._results import Coefficient, MMRMResult, VisitEstimate
from autoserum.stats._validate import check_conf_level

__all__ = ["FittedMMRM", "fit_mmrm", "fit_prepared", "mmrm"]


def _check_estimable(data: PreparedData) -> None:
    t = len(data.levels)
    together = np.zeros((t, t))
    per_visit = np.zeros((t, 3, 3))
    for pat in data.patterns:
        together[np.ix_(pat.visits, pat.visits)] += pat.n
        per_visit[pat.visits] += pat.s_zz[:3, :3]
    for v in range(t):
        for w in range(v + 1, t):
            if together[v, w] == 0:
                raise StatisticsError(
                    Message(
                        "mmrm: visits %(first)s and %(second)s are never observed in the same "
                        "subject, so their covariance cannot be estimated",
                        first=repr(data.levels[v]),
                        second=repr(data.levels[w]),
                    )
                )
    for v in range(t):
        zz = per_visit[v]
        n_v, n_treated = zz[0, 0], zz[0, 1]
        if n_treated == 0 or n_treated == n_v:
            raise StatisticsError(
                Message(
                    "mmrm: visit %(visit)s has outcomes in only one group; the treatment "
                    "difference there cannot be estimated",
                    visit=repr(data.levels[v]),
                )
            )
        scale = np.sqrt(np.diag(zz))
        if scale[2] == 0 or np.linalg.cond(zz / np.outer(scale, scale)) > 1e10:
            raise StatisticsError(
                Message(
                    "mmrm: at visit %(visit)s baseline is constant or collinear with group",
                    visit=repr(data.levels[v]),
                )
            )
    if data.covariates:
        total = sum(pat.s_zz for pat in data.patterns)
        scale = np.sqrt(np.diag(total))
        if np.any(scale == 0) or np.linalg.cond(total / np.outer(scale, scale)) > 1e10:
            raise StatisticsError(
                Message(
                    "mmrm: a covariate is constant or collinear with group, baseline or another "
                    "covariate (%(covariates)s)",
                    covariates=", ".join(data.covariates),
                )
            )
    if data.n_observations <= data.n_beta:
        raise StatisticsError(
            Message(
                "mmrm: %(observations)s observations for %(effects)s fixed effects; need more",
                observations=data.n_observations,
                effects=data.n_beta,
            )
        )


@dataclass(frozen=True)
class FittedMMRM:
    """A fitted MMRM with what imputation and inference need (internal to ``stats``)."""

    data: PreparedData
    reml: Reml
    fit: RemlFit


def fit_mmrm(
    subject: Any,
    visit: Any,
    group: Any,
    baseline: Any,
    y: Any,
    *,
    covariance: CovarianceName = "unstructured",
    covariates: Mapping[str, Any] | None = None,
) -> FittedMMRM:
    """Validate, prepare and fit by REML (see :func:`mmrm`)."""
    data = prepare(subject, visit, group, baseline, y, covariates=covariates)
    structure = make_structure(covariance, len(data.levels))
    _check_estimable(data)
    reml = Reml(data, structure)
    return FittedMMRM(data=data, reml=reml, fit=fit_reml(reml))


def mmrm(
    subject: Any,
    visit: Any,
    group: Any,
    baseline: Any,
    y: Any,
    conf_level: float = 0.95,
    *,
    covariance: CovarianceName = "unstructured",
    df: DfMethod = "residual",
    information: Literal["observed", "expected"] = "observed",
    covariates: Mapping[str, Any] | None = None,
) -> MMRMResult:
    """MMRM of ``y`` (usually change from baseline) with group, visit, group × visit, baseline
    and baseline × visit as fixed effects (plus ``covariates``) and a within-subject
    covariance ``covariance`` (``unstructured``, ``toeplitz``, ``ar1``,
    ``compound_symmetry``), fitted by REML; returns the treatment − control difference at each
    visit. With the defaults it is identical to R::

        nlme::gls(y ~ group * visit + baseline * visit,
                  correlation = corSymm(form = ~ visit_index | subject),
                  weights = varIdent(form = ~ 1 | visit), method = "REML")

    (``visit`` a factor, levels sorted; ``visit_index`` its position). The other structures are
    ``corCompSymm``, ``corAR1`` and ``corARMA(p = T − 1)`` (Toeplitz) with constant variance.
    ``covariates`` maps a name to one value per row (constant within a subject): numbers
    enter as one slope (R ``+ age``), text as treatment-coded dummies (``+ site``).

    Each visit's difference is the linear combination ``group + group:visit<v>`` of the
    coefficients. ``df`` is how its t statistic is referred: ``"residual"`` (N − p, as
    ``summary.gls``), ``"satterthwaite"`` (as SAS ``DDFM=SATTERTHWAITE``, ``lmerTest``) or
    ``"kenward_roger"`` (KR-adjusted SE and df, as SAS ``DDFM=KR``); see ``_mmrm_df``.
    ``information`` is the covariance of the REML covariance estimates these use: the
    inverse ``"observed"`` information (SAS, R ``mmrm``, ``lmerTest``'s Satterthwaite) or the
    ``"expected"`` one (R ``pbkrtest``, hence ``lmerTest``'s Kenward–Roger).

    The arrays are the long format: one row per subject and visit; ``group`` is 1 (treatment)
    or 0 (control) and ``baseline`` is constant within a subject; rows with missing ``y``
    (NaN) are dropped, which is how dropouts and missed visits enter. Cost is linear in the
    rows: the likelihood is computed from per-missingness-pattern sufficient statistics.

    Reference: Mallinckrodt et al. (2008) Drug Inf J 42:303; Pinheiro & Bates (2000) §5.3;
    Kenward & Roger (1997) Biometrics 53:983.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> subj = np.repeat(np.arange(40), 2); vis = np.tile([4, 8], 40)
    >>> grp = np.repeat(np.arange(40) % 2, 2); base = np.repeat(rng.normal(20, 4, 40), 2)
    >>> y = -2.0 * grp * (vis / 4) + 0.3 * base + rng.normal(0, 2, 80)
    >>> fit = mmrm(subj, vis, grp, base, y)
    >>> [v.visit for v in fit.per_visit], fit.converged, fit.per_visit[0].df
    ([4, 8], True, 74.0)
    >>> kr = mmrm(subj, vis, grp, base, y, df="kenward_roger")
    >>> bool(kr.per_visit[0].df < 74.0), kr.df_method
    (True, 'kenward_roger')
    """
    level = check_conf_level(conf_level)
    data = prepare(subject, visit, group, baseline, y, covariates=covariates)
    return fit_prepared(
        data, conf_level=level, covariance=covariance, df=df, information=information
    )


def fit_prepared(
    data: PreparedData,
    *,
    conf_level: float = 0.95,
    covariance: CovarianceName = "unstructured",
    df: DfMethod = "residual",
    information: Literal["observed", "expected"] = "observed",
) -> MMRMResult:
    """The MMRM of :func:`mmrm` from its per-pattern sufficient statistics (``prepare``'s
    output, or the same statistics combined across sites by :mod:`autoserum.stats.federated`).
    """
    level = check_conf_level(conf_level)
    if df not in DF_METHODS:
        raise ValidationError("df", df, Expected("one of %(values)s", values=", ".join(DF_METHODS)))
    if information not in ("observed", "expected"):
        raise ValidationError("information", information, Expected("observed or expected"))
    structure = make_structure(covariance, len(data.levels))
    _check_estimable(data)
    reml = Reml(data, structure)
    fit = fit_reml(reml)
    inf = inference(reml, fit, df, information=information)
    t, p = len(data.levels), data.n_beta

    def coefficient(l_vec: np.ndarray) -> tuple[float, float, float, float, float, float, float]:
        estimate = float(l_vec @ fit.beta)
        se, dfv = inf.contrast(l_vec)
        q = float(sps.t.ppf(1.0 - (1.0 - level) / 2.0, dfv))
        tstat = estimate / se
        pval = float(2.0 * sps.t.sf(abs(tstat), dfv))
        return estimate, se, estimate - q * se, estimate + q * se, tstat, dfv, pval

    per_visit = []
    for v, label in enumerate(data.levels):
        l_vec = np.zeros(p)
        l_vec[3 * v + 1] = 1.0
        per_visit.append(VisitEstimate(label, *coefficient(l_vec)))
    effects = []
    for j, name in enumerate(data.covariates):
        l_vec = np.zeros(p)
        l_vec[3 * t + j] = 1.0
        effects.append(Coefficient(name, *coefficient(l_vec)))
    n_obs = data.n_observations
    log_lik = -0.5 * (fit.minus2_reml + (n_obs - p) * math.log(2 * math.pi))
    return MMRMResult(
        per_visit=tuple(per_visit),
        converged=fit.converged,
        log_lik=log_lik,
        n_subjects=data.n_subjects,
        n_observations=n_obs,
        covariance=tuple(tuple(float(c) for c in row) for row in fit.sigma),
        covariance_structure=reml.structure.name if t > 1 else covariance,
        df_method=df,
        covariate_effects=tuple(effects),
    )
