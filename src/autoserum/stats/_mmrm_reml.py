"""REML for the unstructured-covariance MMRM, on per-pattern sufficient statistics.

Model (cell-means coding, equivalent to R's ``y ~ group * visit + baseline * visit``): at visit v,
``y = a_v + d_v · group + c_v · baseline + e`` with ``e`` ~ N(0, Σ) over a subject's visits,
Σ unstructured (T × T). β = (a_v, d_v, c_v)_v is profiled out by GLS, Σ = L Lᵀ is
parametrised by its log-Cholesky factor (log of the diagonal), and the restricted
log-likelihood is

    -2 ℓ_R(Σ) = (N − p) log 2π + Σ_P [n_P log|Σ_P| + tr(Σ_P⁻¹ R_P)] + log|Xᵀ V⁻¹ X|

(R_P: residual cross-products of pattern P at the GLS β̂). Its analytic gradient with respect
to Σ is Σ_P E_P W_P (n_P Σ_P − R_P − H_P) W_P E_Pᵀ, W_P = Σ_P⁻¹, where H_P comes from the
log-determinant term (see ``_objective``). BFGS on the analytic gradient is followed by Newton
steps with a finite-difference Hessian of that gradient to converge tightly.

Reference: Harville (1977) JASA 72:320; Pinheiro & Bates (2000) *Mixed-Effects Models in S and
S-PLUS*, §2.2, §5.1; Pinheiro & Bates (1996) Stat Comput 6:289 (log-Cholesky).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import linalg, optimize

from autoserum.errors import StatisticalWarning, StatisticsError
from autoserum.stats._mmrm_data import PreparedData

__all__ = ["RemlFit", "fit_reml"]

FloatArray = npt.NDArray[np.float64]
_K = 3  # coefficients per visit: intercept, group, baseline


@dataclass(frozen=True)
class RemlFit:
    beta: FloatArray  # T x 3: (intercept, group, baseline) per visit
    cov_beta: FloatArray  # 3T x 3T, index 3 v + k
    sigma: FloatArray  # T x T
    minus2_reml: float  # without the (N - p) log 2π constant
    converged: bool


class _Reml:
    def __init__(self, data: PreparedData) -> None:
        self.t = len(data.levels)
        self.p = _K * self.t
        self.patterns = data.patterns
        self.rows = np.tril_indices(self.t)
        # Embedding of each pattern's coefficients in beta's 3T index space.
        self.index = [
            (pat.visits[:, None] * _K + np.arange(_K)[None, :]).ravel() for pat in self.patterns
        ]

    # -- parametrisation -------------------------------------------------------------------
    def to_sigma(self, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        low = np.zeros((self.t, self.t))
        low[self.rows] = theta
        diag = np.diag_indices(self.t)
        low[diag] = np.exp(low[diag])
        return low @ low.T, low

    def to_theta(self, sigma: FloatArray) -> FloatArray:
        low = np.linalg.cholesky(sigma)
        low[np.diag_indices(self.t)] = np.log(np.diag(low))
        return np.asarray(low[self.rows], dtype=np.float64)

    # -- the profiled objective --------------------------------------------------------------
    def gls(self, sigma: FloatArray) -> tuple[FloatArray, FloatArray, list[FloatArray], float]:
        """β̂ (T×3), M = XᵀV⁻¹X, the W_P and Σ_P n_P log|Σ_P|."""
        m = np.zeros((self.p, self.p))
        rhs = np.zeros(self.p)
        weights = []
        logdet = 0.0
        for pat, idx in zip(self.patterns, self.index, strict=True):
            sub = sigma[np.ix_(pat.visits, pat.visits)]
            chol = linalg.cho_factor(sub, lower=True)
            w = linalg.cho_solve(chol, np.eye(pat.visits.size))
            weights.append(w)
            logdet += pat.n * 2.0 * float(np.sum(np.log(np.diag(chol[0]))))
            m[np.ix_(idx, idx)] += np.kron(w, pat.s_zz)
            rhs[idx] += (w @ pat.s_yz).ravel()
        m_chol = linalg.cho_factor(m, lower=True)
        beta = linalg.cho_solve(m_chol, rhs).reshape(self.t, _K)
        logdet_m = 2.0 * float(np.sum(np.log(np.diag(m_chol[0]))))
        return beta, m, weights, logdet + logdet_m

    def objective(self, theta: FloatArray) -> tuple[float, FloatArray]:
        sigma, low = self.to_sigma(theta)
        try:
            beta, m, weights, logdets = self.gls(sigma)
        except (np.linalg.LinAlgError, linalg.LinAlgError):
            return math.inf, np.zeros_like(theta)
        m_inv = np.linalg.inv(m).reshape(self.t, _K, self.t, _K)
        value = logdets
        grad_sigma = np.zeros((self.t, self.t))
        for pat, w in zip(self.patterns, weights, strict=True):
            v = pat.visits
            b = beta[v]
            cross = pat.s_yz @ b.T
            resid = pat.s_yy - cross - cross.T + b @ pat.s_zz @ b.T
            value += float(np.sum(w * resid))
            c = m_inv[np.ix_(v, np.arange(_K), v, np.arange(_K))]
            h = np.einsum("vkwl,lk->vw", c, pat.s_zz)
            inner = pat.n * sigma[np.ix_(v, v)] - resid - h
            grad_sigma[np.ix_(v, v)] += w @ inner @ w
        grad_low = 2.0 * grad_sigma @ low
        diag = np.diag_indices(self.t)
        grad_low[diag] *= low[diag]
        return value, grad_low[self.rows]


def _start(reml: _Reml) -> FloatArray:
    """Σ₀: pooled per-pattern residual cross-products of a working-independence fit."""
    beta, _, _, _ = reml.gls(np.eye(reml.t))
    total = np.zeros((reml.t, reml.t))
    count = np.zeros((reml.t, reml.t))
    for pat in reml.patterns:
        v = pat.visits
        b = beta[v]
        cross = pat.s_yz @ b.T
        total[np.ix_(v, v)] += pat.s_yy - cross - cross.T + b @ pat.s_zz @ b.T
        count[np.ix_(v, v)] += pat.n
    sigma = total / np.maximum(count, 1.0)
    if np.linalg.eigvalsh(sigma).min() <= 1e-8 * np.abs(np.diag(sigma)).max():
        sigma = np.diag(np.diag(sigma))
    return reml.to_theta(sigma)


def _newton(reml: _Reml, theta: FloatArray, steps: int = 8) -> tuple[FloatArray, bool]:
    """Newton polish with a central-difference Hessian of the analytic gradient."""
    k = theta.size
    for _ in range(steps):
        value, grad = reml.objective(theta)
        h = 1e-5 * np.maximum(1.0, np.abs(theta))
        hess = np.empty((k, k))
        for j in range(k):
            e = np.zeros(k)
            e[j] = h[j]
            hess[:, j] = (reml.objective(theta + e)[1] - reml.objective(theta - e)[1]) / (2 * h[j])
        hess = (hess + hess.T) / 2
        try:
            step = -linalg.solve(hess, grad, assume_a="pos")
        except (np.linalg.LinAlgError, linalg.LinAlgError):
            return theta, False
        candidate = theta + step
        new_value, _ = reml.objective(candidate)
        shrink = 0
        while not new_value <= value + 1e-12 * abs(value) and shrink < 30:
            step /= 2
            candidate = theta + step
            new_value, _ = reml.objective(candidate)
            shrink += 1
        theta = candidate
        if float(np.max(np.abs(step))) < 1e-10:
            return theta, True
    return theta, float(np.max(np.abs(step))) < 1e-7


def fit_reml(data: PreparedData) -> RemlFit:
    """Maximise the restricted likelihood; raises :class:`StatisticsError` if impossible."""
    reml = _Reml(data)
    theta0 = _start(reml)
    scale = max(1.0, float(data.n_observations))
    result = optimize.minimize(
        lambda th: tuple(np.divide(part, scale) for part in reml.objective(th)),
        theta0,
        jac=True,
        method="BFGS",
        options={"gtol": 1e-9, "maxiter": 2000},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    if not math.isfinite(reml.objective(theta)[0]):
        raise StatisticsError("mmrm: the REML optimisation left the valid covariance region")
    theta, converged = _newton(reml, theta)
    sigma, _ = reml.to_sigma(theta)
    beta, m, _, _ = reml.gls(sigma)
    value, _ = reml.objective(theta)
    if not converged:
        warnings.warn(
            "mmrm: the REML optimisation did not converge tightly; estimates may be inaccurate",
            StatisticalWarning,
            stacklevel=3,
        )
    return RemlFit(
        beta=beta,
        cov_beta=np.asarray(np.linalg.inv(m), dtype=np.float64),
        sigma=sigma,
        minus2_reml=value,
        converged=converged,
    )
