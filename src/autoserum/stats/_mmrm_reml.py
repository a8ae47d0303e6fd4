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
from autoserum.stats._mmrm_data import Pattern, PreparedData

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


@dataclass(frozen=True)
class _Batch:
    """All patterns with the same number s of observed visits, stacked for batched algebra."""

    visits: npt.NDArray[np.intp]  # k x s
    n: FloatArray  # k
    s_zz: FloatArray  # k x 3 x 3
    s_yz: FloatArray  # k x s x 3
    s_yy: FloatArray  # k x s x s
    beta_flat: npt.NDArray[np.intp]  # k x 3s x 3s: flat index into M (p x p)
    beta_idx: npt.NDArray[np.intp]  # k x 3s: index into beta
    sigma_flat: npt.NDArray[np.intp]  # k x s x s: flat index into Σ (T x T)


class _Reml:
    def __init__(self, data: PreparedData) -> None:
        self.t = len(data.levels)
        self.p = _K * self.t
        self.rows = np.tril_indices(self.t)
        by_size: dict[int, list[Pattern]] = {}
        for pat in data.patterns:
            by_size.setdefault(pat.visits.size, []).append(pat)
        self.batches = []
        for pats in by_size.values():
            visits = np.stack([pat.visits for pat in pats])
            idx = (visits[:, :, None] * _K + np.arange(_K)[None, None, :]).reshape(len(pats), -1)
            self.batches.append(
                _Batch(
                    visits=visits,
                    n=np.array([float(pat.n) for pat in pats]),
                    s_zz=np.stack([pat.s_zz for pat in pats]),
                    s_yz=np.stack([pat.s_yz for pat in pats]),
                    s_yy=np.stack([pat.s_yy for pat in pats]),
                    beta_flat=idx[:, :, None] * self.p + idx[:, None, :],
                    beta_idx=idx,
                    sigma_flat=visits[:, :, None] * self.t + visits[:, None, :],
                )
            )

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
        """β̂ (T×3), M = XᵀV⁻¹X, the stacked W_P per batch and Σ n_P log|Σ_P| + log|M|."""
        size = self.p * self.p
        m = np.zeros(size)
        rhs = np.zeros(self.p)
        weights = []
        logdet = 0.0
        for b in self.batches:
            sub = sigma[b.visits[:, :, None], b.visits[:, None, :]]
            chol = np.linalg.cholesky(sub)
            logdet += float(
                np.sum(b.n * 2.0 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1))
            )
            w = np.asarray(np.linalg.inv(sub), dtype=np.float64)
            weights.append(w)
            k = w.shape[0]
            kron = np.einsum("pab,pcd->pacbd", w, b.s_zz).reshape(k, -1)
            m += np.bincount(b.beta_flat.ravel(), weights=kron.ravel(), minlength=size)
            rhs += np.bincount(b.beta_idx.ravel(), weights=(w @ b.s_yz).ravel(), minlength=self.p)
        mat = m.reshape(self.p, self.p)
        mat = (mat + mat.T) / 2
        m_chol = linalg.cho_factor(mat, lower=True)
        beta = linalg.cho_solve(m_chol, rhs).reshape(self.t, _K)
        logdet_m = 2.0 * float(np.sum(np.log(np.diag(m_chol[0]))))
        return beta, mat, weights, logdet + logdet_m

    def residuals(self, beta: FloatArray, b: _Batch) -> FloatArray:
        """R_P = Σ (y − B z)(y − B z)ᵀ per pattern of the batch."""
        coef = beta[b.visits]  # k x s x 3
        cross = b.s_yz @ np.swapaxes(coef, 1, 2)
        return np.asarray(
            b.s_yy - cross - np.swapaxes(cross, 1, 2) + coef @ b.s_zz @ np.swapaxes(coef, 1, 2),
            dtype=np.float64,
        )

    def objective(self, theta: FloatArray) -> tuple[float, FloatArray]:
        sigma, low = self.to_sigma(theta)
        try:
            beta, m, weights, logdets = self.gls(sigma)
            m_inv = np.linalg.inv(m).reshape(self.t, _K, self.t, _K)
        except (np.linalg.LinAlgError, linalg.LinAlgError):
            return math.inf, np.zeros_like(theta)
        value = logdets
        grad = np.zeros(self.t * self.t)
        for b, w in zip(self.batches, weights, strict=True):
            resid = self.residuals(beta, b)
            value += float(np.sum(w * resid))
            # c[p, v, w, k, l] = M⁻¹[(v, k), (w, l)] over the pattern's visits
            c = m_inv[b.visits[:, :, None], :, b.visits[:, None, :], :]
            h = np.einsum("pvwkl,plk->pvw", c, b.s_zz)
            sub = sigma[b.visits[:, :, None], b.visits[:, None, :]]
            inner = b.n[:, None, None] * sub - resid - h
            grad += np.bincount(
                b.sigma_flat.ravel(), weights=(w @ inner @ w).ravel(), minlength=self.t * self.t
            )
        grad_sigma = grad.reshape(self.t, self.t)
        grad_low = 2.0 * grad_sigma @ low
        diag = np.diag_indices(self.t)
        grad_low[diag] *= low[diag]
        return value, grad_low[self.rows]


def _start(reml: _Reml) -> FloatArray:
    """Σ₀: pooled per-pattern residual cross-products of a working-independence fit."""
    beta, _, _, _ = reml.gls(np.eye(reml.t))
    size = reml.t * reml.t
    total = np.zeros(size)
    count = np.zeros(size)
    for b in reml.batches:
        resid = reml.residuals(beta, b)
        total += np.bincount(b.sigma_flat.ravel(), weights=resid.ravel(), minlength=size)
        ones = np.broadcast_to(b.n[:, None, None], b.sigma_flat.shape)
        count += np.bincount(b.sigma_flat.ravel(), weights=ones.ravel(), minlength=size)
    sigma = (total / np.maximum(count, 1.0)).reshape(reml.t, reml.t)
    diag = np.diag(sigma)
    if not np.all(diag > 1e-12 * max(1.0, float(np.abs(diag).max()))):
        raise StatisticsError(
            "mmrm: the residual variance is zero at some visit (the model fits the data "
            "exactly); there is nothing to estimate a covariance from"
        )
    if np.linalg.eigvalsh(sigma).min() <= 1e-8 * np.abs(np.diag(sigma)).max():
        sigma = np.diag(np.diag(sigma))
    return reml.to_theta(sigma)


def _hessian(reml: _Reml, theta: FloatArray) -> FloatArray:
    """Central differences of the analytic gradient."""
    k = theta.size
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h[j]
        hess[:, j] = (reml.objective(theta + e)[1] - reml.objective(theta - e)[1]) / (2 * h[j])
    return np.asarray((hess + hess.T) / 2, dtype=np.float64)


def _newton(reml: _Reml, theta: FloatArray, steps: int = 12) -> tuple[FloatArray, bool]:
    """Newton polish: the Hessian is computed once (and again only if a step fails), so each
    further step costs one gradient. Converged when the step is below 1e-10 or the Newton
    decrement ``gᵀH⁻¹g`` (twice the predicted gain in -2ℓ) is at rounding level."""
    hess = _hessian(reml, theta)
    fresh = True
    for _ in range(steps):
        value, grad = reml.objective(theta)
        try:
            step = -linalg.solve(hess, grad, assume_a="pos")
        except (np.linalg.LinAlgError, linalg.LinAlgError):
            return theta, False
        decrement = float(-grad @ step)
        if decrement < 1e-13 * max(1.0, abs(value)):
            return theta + step, True
        candidate = theta + step
        new_value, _ = reml.objective(candidate)
        slack = 1e-12 * max(1.0, abs(value))
        shrink = 0
        while not new_value <= value + slack and shrink < 30:
            step /= 2
            candidate = theta + step
            new_value, _ = reml.objective(candidate)
            shrink += 1
        if shrink and not fresh:
            hess = _hessian(reml, theta)
            fresh = True
            continue
        theta = candidate
        fresh = False
        if float(np.max(np.abs(step))) < 1e-10:
            return theta, True
    return theta, False


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
