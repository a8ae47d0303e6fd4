"""Multiple imputation of MMRM outcomes: under MAR and reference-based (jump to reference,
copy reference, copy increments in reference), with an optional δ shift of imputed values.

Each imputation draws the MMRM parameters, then each subject's missing outcomes from their
normal distribution given the observed ones: y_mis | y_obs ~ N(m_mis + Σ_mo Σ_oo⁻¹ (y_obs −
m_obs), Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om), with the mean profile m of the strategy (Carpenter, Roger &
Kenward 2013) for a treated subject whose last observed visit is L (control subjects: MAR):

=========  =========================================================================
``MAR``    m = μ_own at every visit
``J2R``    m = μ_own up to L, μ_ref after (jump to reference)
``CR``     m = μ_ref at every visit (copy reference)
``CIR``    m = μ_own up to L, μ_own(L) + μ_ref(v) − μ_ref(L) after (copy increments)
=========  =========================================================================

μ_own and μ_ref are the subject's fitted means (same baseline and covariates) with its own
group and with group = 0 (control, the reference). Visits missing before L are intermittent
and imputed with μ_own under every strategy.

Parameter draws (``method``): ``"posterior"`` — the large-sample approximation of the posterior,
θ* ~ N(θ̂, 2 H⁻¹) for the covariance parameters on the optimiser's scale (H the Hessian of
−2ℓ_R at θ̂), then β* ~ N(β̂(θ*), (XᵀV*⁻¹X)⁻¹); ``"bootstrap"`` — the approximate Bayesian
bootstrap: the MMRM refitted on subjects resampled with replacement within arm (as R ``rbmi``'s
``method_approxbayes``). Seeded: the same ``seed`` gives the same imputations.

Reference: Carpenter, Roger & Kenward (2013) J Biopharm Stat 23:1352; Little & Rubin (2019)
*Statistical Analysis with Missing Data*, 3rd ed., §10.2; Gower-Page et al. (2022) JOSS 7:4251
(rbmi).

>>> import numpy as np
>>> from autoserum.stats._mmrm import fit_mmrm
>>> rng = np.random.default_rng(2)
>>> subj = np.repeat(np.arange(30), 2); vis = np.tile([1, 2], 30)
>>> grp = np.repeat(np.arange(30) % 2, 2); base = np.repeat(rng.normal(20, 4, 30), 2)
>>> y = -2.0 * grp * vis + 0.3 * base + rng.normal(0, 2, 60)
>>> y[(vis == 2) & (subj % 3 == 0)] = np.nan
>>> imp = impute(fit_mmrm(subj, vis, grp, base, y), m=5, strategy="J2R", method="posterior",
...              seed=1)
>>> imp.y.shape, int(imp.imputed.sum()), bool(np.isnan(imp.y).any())
((5, 30, 2), 10, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from autoserum.errors import Expected, Message, StatisticsError, ValidationError
from autoserum.stats._mmrm import FittedMMRM
from autoserum.stats._mmrm_data import PreparedData, resample
from autoserum.stats._mmrm_reml import Reml, fit_reml, hessian

__all__ = [
    "METHODS",
    "STRATEGIES",
    "Imputed",
    "Method",
    "Strategy",
    "complete",
    "impute",
    "profiles",
]

FloatArray = npt.NDArray[np.float64]
Strategy = Literal["MAR", "J2R", "CR", "CIR"]
Method = Literal["posterior", "bootstrap"]
STRATEGIES: tuple[Strategy, ...] = ("MAR", "J2R", "CR", "CIR")
METHODS: tuple[Method, ...] = ("posterior", "bootstrap")


@dataclass(frozen=True)
class Imputed:
    """m completed data sets: ``y`` is m × subjects × visits; ``imputed`` marks the filled
    cells; subjects in ``labels`` order with their ``group`` and ``baseline``."""

    labels: tuple[Any, ...]
    levels: tuple[Any, ...]
    group: FloatArray
    baseline: FloatArray
    z: FloatArray
    y: FloatArray
    imputed: npt.NDArray[np.bool_]
    strategy: Strategy
    method: Method
    seed: int


def _means(data: PreparedData, beta: FloatArray, z: FloatArray) -> FloatArray:
    """Subjects' mean outcome at every visit (n × T) in the original scale."""
    t, ku = len(data.levels), data.k_u
    per_visit = beta[: t * ku].reshape(t, ku)
    mu = z[:, :ku] @ per_visit.T + (z[:, ku:] @ beta[t * ku :])[:, None]
    center = data.y_center if data.y_center is not None else np.zeros(t)
    return np.asarray(mu + center, dtype=np.float64)


def profiles(
    data: PreparedData, beta: FloatArray, strategy: Strategy, z: FloatArray, observed: Any
) -> FloatArray:
    """The mean profile m (n × T) each subject is imputed from under ``strategy``."""
    own = _means(data, beta, z)
    ref_z = z.copy()
    ref_z[:, 1] = 0.0
    ref = _means(data, beta, ref_z)
    obs = np.asarray(observed, dtype=bool)
    t = obs.shape[1]
    last = np.where(obs.any(axis=1), t - 1 - np.argmax(obs[:, ::-1], axis=1), -1)
    after = np.arange(t)[None, :] > last[:, None]
    treated = z[:, 1] == 1.0
    if strategy == "MAR":
        return own
    if strategy == "CR":
        return np.where(treated[:, None], ref, own)
    if strategy == "J2R":
        return np.where(treated[:, None] & after, ref, own)
    rows = np.arange(z.shape[0])
    anchor = np.maximum(last, 0)
    base_own = np.where(last >= 0, own[rows, anchor], ref[rows, 0])
    base_ref = np.where(last >= 0, ref[rows, anchor], ref[rows, 0])
    cir = base_own[:, None] + ref - base_ref[:, None]
    return np.where(treated[:, None] & after, cir, own)


def _draw_parameters(
    fitted: FittedMMRM, method: Method, rng: np.random.Generator, chol_theta: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    data, reml, fit = fitted.data, fitted.reml, fitted.fit
    if method == "bootstrap":
        assert data.subjects is not None  # prepare() always keeps them
        arm = data.subjects.group
        rows = np.concatenate(
            [rng.choice(np.flatnonzero(arm == g), size=int(np.sum(arm == g))) for g in (0.0, 1.0)]
        )
        boot = Reml(resample(data, rows), reml.structure)
        refit = fit_reml(boot)
        return refit.beta, refit.sigma
    assert chol_theta is not None
    for _ in range(100):
        theta = fit.theta + chol_theta @ rng.standard_normal(fit.theta.size)
        sigma, _ = reml.structure.jacobian(theta)
        try:
            beta_hat, m, _, _ = reml.gls(sigma)
            chol_m = np.linalg.cholesky(np.linalg.inv(m))
        except np.linalg.LinAlgError:
            continue
        return beta_hat + chol_m @ rng.standard_normal(beta_hat.size), sigma
    raise StatisticsError(
        Message("mi: no positive definite covariance among %(draws)s posterior draws", draws=100)
    )


def complete(
    prof: FloatArray,
    sigma: FloatArray,
    y: FloatArray,
    observed: npt.NDArray[np.bool_],
    rng: np.random.Generator | None,
) -> FloatArray:
    """``y`` with each subject's missing cells drawn from N(m_mis + Σ_mo Σ_oo⁻¹ (y_obs −
    m_obs), Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om) (m = ``prof``), or set to that mean when ``rng`` is
    None; subjects are handled per missingness pattern."""
    out = y.copy()
    t = observed.shape[1]
    codes = observed @ (1 << np.arange(t, dtype=np.int64))
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        seen = observed[rows[0]]
        mis = np.flatnonzero(~seen)
        if mis.size == 0:
            continue
        o = np.flatnonzero(seen)
        mean = prof[np.ix_(rows, mis)]
        cov = sigma[np.ix_(mis, mis)]
        if o.size:
            gain = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, mis)]).T
            mean = mean + (y[np.ix_(rows, o)] - prof[np.ix_(rows, o)]) @ gain.T
            cov = cov - gain @ sigma[np.ix_(o, mis)]
        if rng is not None:
            chol = np.linalg.cholesky((cov + cov.T) / 2)
            mean = mean + rng.standard_normal((rows.size, mis.size)) @ chol.T
        out[np.ix_(rows, mis)] = mean
    return out


def impute(
    fitted: FittedMMRM,
    *,
    m: int,
    strategy: Strategy,
    method: Method,
    seed: int,
    delta: float = 0.0,
) -> Imputed:
    """``m`` completed data sets of ``fitted``'s subjects (module docstring)."""
    if strategy not in STRATEGIES:
        raise ValidationError(
            "strategy", strategy, Expected("one of %(values)s", values=", ".join(STRATEGIES))
        )
    if method not in METHODS:
        raise ValidationError(
            "method", method, Expected("one of %(values)s", values=", ".join(METHODS))
        )
    if isinstance(m, bool) or not isinstance(m, int) or m < 2:
        raise ValidationError("m", m, Expected("a whole number of imputations >= 2"))
    data = fitted.data
    subj = data.subjects
    assert subj is not None  # prepare() always keeps them
    rng = np.random.default_rng(seed)
    chol_theta = None
    if method == "posterior":
        hess = hessian(fitted.reml, fitted.fit.theta)
        try:
            chol_theta = np.linalg.cholesky(2.0 * np.linalg.inv(hess))
        except np.linalg.LinAlgError as exc:
            raise StatisticsError(
                Message(
                    "mi: the REML information matrix is not positive definite; use "
                    "method='bootstrap'"
                )
            ) from exc
    obs = subj.observed
    out = np.repeat(subj.y[None], m, axis=0)
    treated_missing = ~obs & (subj.group == 1.0)[:, None]
    for k in range(m):
        beta, sigma = _draw_parameters(fitted, method, rng, chol_theta)
        prof = profiles(data, beta, strategy, subj.z, obs)
        out[k] = complete(prof, sigma, subj.y, obs, rng)
        if delta:
            out[k][treated_missing] += delta
    return Imputed(
        labels=subj.labels,
        levels=data.levels,
        group=subj.group,
        baseline=subj.baseline,
        z=subj.z,
        y=out,
        imputed=~obs,
        strategy=strategy,
        method=method,
        seed=seed,
    )
