"""Bayesian random-effects meta-analysis for few studies, by numerical integration.

Model: y_i ~ N(θ_i, v_i), θ_i ~ N(μ, τ²), μ ~ N(m₀, s₀²) (weakly informative, default N(0, 10²)),
τ ~ half-normal(scale) (weakly informative; Friede T et al. Biom J 2017;59:658-71 and Röver C
et al. Res Synth Methods 2021;12:448-74 recommend half-normal priors with scale 0.5 for log
odds ratios or SMDs when k is 2-3). μ is integrated out analytically given τ; τ on a fine grid
(trapezoid rule), so the posterior of μ, of τ and the predictive distribution of a new study's
θ are mixtures of normals over the τ grid. :func:`bayes_rma_mcmc` is an independent check
(Metropolis-within-Gibbs on the full model, seeded).

>>> res = bayes_rma([-1.3, -1.2], [0.16, 0.22], tau_scale=0.5)
>>> round(res.mu_mean, 3), res.k
(-1.253, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from autoserum.errors import Expected, ValidationError
from autoserum.meta._fit import check_inputs

__all__ = ["BayesMetaResult", "McmcCheck", "bayes_rma", "bayes_rma_mcmc"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class BayesMetaResult:
    """Posterior summaries (mean, SD, 95% credible interval) of μ, τ and a new study's θ."""

    k: int
    tau_scale: float
    mu_prior_mean: float
    mu_prior_sd: float
    mu_mean: float
    mu_sd: float
    mu_median: float
    mu_ci_low: float
    mu_ci_high: float
    p_mu_below_0: float
    tau_median: float
    tau_ci_low: float
    tau_ci_high: float
    pred_mean: float
    pred_sd: float
    pred_ci_low: float
    pred_ci_high: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _mixture_quantile(q: float, weights: FloatArray, means: FloatArray, sds: FloatArray) -> float:
    def cdf(x: float) -> float:
        return float(np.sum(weights * stats.norm.cdf((x - means) / sds))) - q

    lo = float(np.min(means - 12 * sds))
    hi = float(np.max(means + 12 * sds))
    return float(optimize.brentq(cdf, lo, hi, xtol=1e-12))


def _grid_quantile(q: float, grid: FloatArray, dens: FloatArray) -> float:
    cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(grid))])
    cdf /= cdf[-1]
    return float(np.interp(q, cdf, grid))


def bayes_rma(
    yi: Sequence[float] | FloatArray,
    vi: Sequence[float] | FloatArray,
    *,
    tau_scale: float = 0.5,
    mu_prior_mean: float = 0.0,
    mu_prior_sd: float = 10.0,
    grid_size: int = 4001,
) -> BayesMetaResult:
    """Posterior of the normal-normal random-effects model with a half-normal prior on τ."""
    y, v = check_inputs(yi, vi)
    if not tau_scale > 0:
        raise ValidationError("tau_scale", tau_scale, Expected("a half-normal scale > 0"))
    if not mu_prior_sd > 0:
        raise ValidationError("mu_prior_sd", mu_prior_sd, Expected("a prior SD > 0"))
    grid = np.linspace(0.0, 6.0 * tau_scale, grid_size)
    t2 = grid[:, None] ** 2
    w = 1.0 / (v[None, :] + t2)
    prec = w.sum(axis=1) + 1.0 / mu_prior_sd**2
    mu_hat = (np.sum(w * y[None, :], axis=1) + mu_prior_mean / mu_prior_sd**2) / prec
    quad = np.sum(w * y[None, :] ** 2, axis=1) + mu_prior_mean**2 / mu_prior_sd**2
    log_ml = 0.5 * np.sum(np.log(w), axis=1) - 0.5 * np.log(prec) - 0.5 * (quad - prec * mu_hat**2)
    log_post = log_ml + stats.halfnorm.logpdf(grid, scale=tau_scale)
    dens = np.exp(log_post - log_post.max())
    trap = np.full(grid_size, grid[1] - grid[0])
    trap[[0, -1]] /= 2
    wts = dens * trap
    wts /= wts.sum()
    mu_sd_t = 1.0 / np.sqrt(prec)
    mu_mean = float(np.sum(wts * mu_hat))
    mu_var = float(np.sum(wts * (mu_sd_t**2 + mu_hat**2))) - mu_mean**2
    pred_sd_t = np.sqrt(mu_sd_t**2 + grid**2)
    pred_var = float(np.sum(wts * (pred_sd_t**2 + mu_hat**2))) - mu_mean**2
    return BayesMetaResult(
        k=int(y.size),
        tau_scale=tau_scale,
        mu_prior_mean=mu_prior_mean,
        mu_prior_sd=mu_prior_sd,
        mu_mean=mu_mean,
        mu_sd=math.sqrt(mu_var),
        mu_median=_mixture_quantile(0.5, wts, mu_hat, mu_sd_t),
        mu_ci_low=_mixture_quantile(0.025, wts, mu_hat, mu_sd_t),
        mu_ci_high=_mixture_quantile(0.975, wts, mu_hat, mu_sd_t),
        p_mu_below_0=float(np.sum(wts * stats.norm.cdf(-mu_hat / mu_sd_t))),
        tau_median=_grid_quantile(0.5, grid, dens),
        tau_ci_low=_grid_quantile(0.025, grid, dens),
        tau_ci_high=_grid_quantile(0.975, grid, dens),
        pred_mean=mu_mean,
        pred_sd=math.sqrt(pred_var),
        pred_ci_low=_mixture_quantile(0.025, wts, mu_hat, pred_sd_t),
        pred_ci_high=_mixture_quantile(0.975, wts, mu_hat, pred_sd_t),
        method=(
            f"normal-normal random effects; tau ~ half-normal({tau_scale:g}); mu ~ "
            f"N({mu_prior_mean:g}, {mu_prior_sd:g}^2); mu integrated analytically, tau on a "
            f"{grid_size}-point grid over [0, {6 * tau_scale:g}] (trapezoid)"
        ),
    )


@dataclass(frozen=True)
class McmcCheck:
    """MCMC summaries of μ and τ with Monte-Carlo standard errors (batch means)."""

    mu_mean: float
    mu_mean_mcse: float
    mu_ci_low: float
    mu_ci_high: float
    tau_median: float
    p_mu_below_0: float
    p_mu_below_0_mcse: float
    draws: int
    seed: int


def _batch_mcse(x: FloatArray, batches: int = 50) -> float:
    m = x.size // batches
    means = x[: m * batches].reshape(batches, m).mean(axis=1)
    return float(means.std(ddof=1) / math.sqrt(batches))


def _log_tau(t: float, ss: float, k: int, scale: float) -> float:
    """log p(τ | θ, μ) up to a constant: normal likelihood of the θ_i times half-normal prior."""
    return -k * math.log(t) - ss / (2 * t * t) - t * t / (2 * scale**2)


def bayes_rma_mcmc(
    yi: Sequence[float] | FloatArray,
    vi: Sequence[float] | FloatArray,
    *,
    tau_scale: float = 0.5,
    mu_prior_mean: float = 0.0,
    mu_prior_sd: float = 10.0,
    draws: int = 40000,
    burn: int = 2000,
    seed: int = 1,
) -> McmcCheck:
    """The same model by Metropolis-within-Gibbs (θ_i and μ by Gibbs, τ by a random walk)."""
    y, v = check_inputs(yi, vi)
    rng = np.random.default_rng(seed)
    k = y.size
    mu, tau = float(np.mean(y)), tau_scale / 2
    theta = y.copy()
    mus = np.empty(draws)
    taus = np.empty(draws)
    step = tau_scale
    for it in range(draws + burn):
        # theta_i | mu, tau, y
        prec_t = 1.0 / v + 1.0 / tau**2
        theta = rng.normal((y / v + mu / tau**2) / prec_t, 1.0 / np.sqrt(prec_t))
        # mu | theta, tau
        prec_m = k / tau**2 + 1.0 / mu_prior_sd**2
        mu = rng.normal(
            (theta.sum() / tau**2 + mu_prior_mean / mu_prior_sd**2) / prec_m, prec_m**-0.5
        )
        # tau | theta, mu: random walk, reflected at 0
        prop = abs(tau + step * rng.normal())
        ss = float(np.sum((theta - mu) ** 2))

        if prop > 0 and math.log(rng.uniform()) < _log_tau(prop, ss, k, tau_scale) - _log_tau(
            tau, ss, k, tau_scale
        ):
            tau = prop
        if it >= burn:
            mus[it - burn], taus[it - burn] = mu, tau
    return McmcCheck(
        mu_mean=float(mus.mean()),
        mu_mean_mcse=_batch_mcse(mus),
        mu_ci_low=float(np.quantile(mus, 0.025)),
        mu_ci_high=float(np.quantile(mus, 0.975)),
        tau_median=float(np.median(taus)),
        p_mu_below_0=float(np.mean(mus < 0)),
        p_mu_below_0_mcse=_batch_mcse((mus < 0).astype(np.float64)),
        draws=draws,
        seed=seed,
    )
