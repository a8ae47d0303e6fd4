"""REML for the MMRM on per-pattern sufficient statistics, for any covariance structure.

Model: a subject's outcomes y (over its observed visits) ~ N(X β, Σ_P), X's row at visit v
being ``(e_v ⊗ u, w)`` (see ``_mmrm_data``) and Σ_P the rows/columns of the T × T Σ(θ) at the
observed visits. β is profiled out by GLS and the restricted log-likelihood is

    -2 ℓ_R(Σ) = (N − p) log 2π + Σ_P [n_P log|Σ_P| + tr(Σ_P⁻¹ R_P)] + log|Xᵀ V⁻¹ X|

(R_P: residual cross-products of pattern P at the GLS β̂). Its gradient with respect to the
entries of Σ is Σ_P E_P W_P (n_P Σ_P − R_P − H_P) W_P E_Pᵀ, W_P = Σ_P⁻¹, H_P the derivative
of log|M| (M = XᵀV⁻¹X) with respect to W_P; the chain rule through ∂Σ/∂θ gives the gradient in
the structure's parameters. Every quantity of the form ``Xᵀ A X`` (M, and the P, Q, R of
Kenward–Roger) is built from per-pattern s × s matrices A by :meth:`Reml.xtax`.

BFGS on the analytic gradient is followed by Newton steps with a finite-difference Hessian of
that gradient to converge tightly.

Reference: Harville (1977) JASA 72:320; Pinheiro & Bates (2000) *Mixed-Effects Models in S and
S-PLUS*, §2.2, §5.1; Pinheiro & Bates (1996) Stat Comput 6:289 (log-Cholesky).

>>> import numpy as np
>>> from autoserum.stats._mmrm_cov import make_structure
>>> from autoserum.stats._mmrm_data import prepare
>>> rng = np.random.default_rng(2)
>>> subj = np.repeat(np.arange(30), 2); vis = np.tile([1, 2], 30)
>>> grp = np.repeat(np.arange(30) % 2, 2); base = np.repeat(rng.normal(20, 4, 30), 2)
>>> y = -2.0 * grp * vis + 0.3 * base + rng.normal(0, 2, 60)
>>> data = prepare(subj, vis, grp, base, y)
>>> fit = fit_reml(Reml(data, make_structure("compound_symmetry", 2)))
>>> fit.converged, fit.beta.shape, bool(fit.sigma[0, 0] == fit.sigma[1, 1])
(True, (6,), True)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import linalg, optimize

from autoserum.errors import Message, StatisticalWarning, StatisticsError
from autoserum.stats._mmrm_cov import Structure
from autoserum.stats._mmrm_data import Pattern, PreparedData

__all__ = ["Reml", "RemlFit", "fit_reml", "hessian"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class RemlFit:
    beta: FloatArray  # p: per-visit (intercept, group, baseline) then covariates
    cov_beta: FloatArray  # p x p, (Xᵀ V⁻¹ X)⁻¹
    sigma: FloatArray  # T x T
    theta: FloatArray  # optimiser parameters
    minus2_reml: float  # without the (N - p) log 2π constant
    converged: bool


@dataclass(frozen=True)
class _Batch:
    """All patterns with the same number s of observed visits, stacked for batched algebra."""

    visits: IntArray  # k x s
    n: FloatArray  # k
    s_zz: FloatArray  # k x K x K
    s_yz: FloatArray  # k x s x K
    s_yy: FloatArray  # k x s x s
    uu_flat: IntArray  # k x s·K_u x s·K_u: flat index into M (p x p)
    u_idx: IntArray  # k x s·K_u: index into β
    sigma_flat: IntArray  # k x s x s: flat index into Σ (T x T)


class Reml:
    """The profiled restricted likelihood of a prepared data set under a structure."""

    def __init__(self, data: PreparedData, structure: Structure) -> None:
        self.structure = structure
        self.n_obs = data.n_observations
        self.t = len(data.levels)
        self.k_u = data.k_u
        self.k_w = len(data.covariates)
        self.p = self.t * self.k_u + self.k_w
        self.w_idx = np.arange(self.t * self.k_u, self.p)
        by_size: dict[int, list[Pattern]] = {}
        for pat in data.patterns:
            by_size.setdefault(pat.visits.size, []).append(pat)
        self.batches = []
        for pats in by_size.values():
            visits = np.stack([pat.visits for pat in pats])
            idx = (visits[:, :, None] * self.k_u + np.arange(self.k_u)).reshape(len(pats), -1)
            self.batches.append(
                _Batch(
                    visits=visits,
                    n=np.array([float(pat.n) for pat in pats]),
                    s_zz=np.stack([pat.s_zz for pat in pats]),
                    s_yz=np.stack([pat.s_yz for pat in pats]),
                    s_yy=np.stack([pat.s_yy for pat in pats]),
                    uu_flat=idx[:, :, None] * self.p + idx[:, None, :],
                    u_idx=idx,
                    sigma_flat=visits[:, :, None] * self.t + visits[:, None, :],
                )
            )

    # -- Xᵀ A X and its adjoint -------------------------------------------------------------
    def xtax(self, mats: list[FloatArray]) -> FloatArray:
        """Σ_P Σ_i X_iᵀ A_P X_i for per-batch stacks A (k × s × s)."""
        ku, size = self.k_u, self.p * self.p
        out = np.zeros(size)
        ww = np.zeros((self.k_w, self.k_w))
        for b, a in zip(self.batches, mats, strict=True):
            k = a.shape[0]
            s_uu = b.s_zz[:, :ku, :ku]
            kron = np.einsum("pab,pcd->pacbd", a, s_uu).reshape(k, -1)
            out += np.bincount(b.uu_flat.ravel(), weights=kron.ravel(), minlength=size)
            if self.k_w:
                s_uw = b.s_zz[:, :ku, ku:]
                rows = np.einsum("pa,pkl->pakl", a.sum(axis=2), s_uw).reshape(k, -1, self.k_w)
                cols = np.einsum("pb,pkl->pbkl", a.sum(axis=1), s_uw).reshape(k, -1, self.k_w)
                flat_r = b.u_idx[:, :, None] * self.p + self.w_idx
                flat_c = self.w_idx[None, None, :] * self.p + b.u_idx[:, :, None]
                out += np.bincount(flat_r.ravel(), weights=rows.ravel(), minlength=size)
                out += np.bincount(flat_c.ravel(), weights=cols.ravel(), minlength=size)
                ww += np.einsum("p,pkl->kl", a.sum(axis=(1, 2)), b.s_zz[:, ku:, ku:])
        mat = out.reshape(self.p, self.p)
        mat[np.ix_(self.w_idx, self.w_idx)] += ww
        return mat

    def xtax_dual(self, mat: FloatArray) -> list[FloatArray]:
        """Per batch, ⟨mat, Σ_i x_ia x_ibᵀ⟩ for every pair of observed visits (a, b)."""
        ku, t = self.k_u, self.t
        uu = mat[: t * ku, : t * ku].reshape(t, ku, t, ku)
        out = []
        for b in self.batches:
            blk = uu[b.visits[:, :, None], :, b.visits[:, None, :], :]  # k x s x s x K_u x K_u
            val = np.einsum("pabkl,plk->pab", blk, b.s_zz[:, :ku, :ku])
            if self.k_w:
                uw = mat[: t * ku, self.w_idx].reshape(t, ku, self.k_w)[b.visits]  # k s K_u K_w
                cross = np.einsum("pakl,pkl->pa", uw, b.s_zz[:, :ku, ku:])
                val = val + cross[:, :, None] + cross[:, None, :]
                ww = mat[np.ix_(self.w_idx, self.w_idx)]
                val = val + np.einsum("kl,plk->p", ww, b.s_zz[:, ku:, ku:])[:, None, None]
            out.append(val)
        return out

    def xtay(self, mats: list[FloatArray]) -> FloatArray:
        """Σ_P Σ_i X_iᵀ A_P y_i."""
        ku = self.k_u
        out = np.zeros(self.p)
        for b, a in zip(self.batches, mats, strict=True):
            ay = a @ b.s_yz  # k x s x K
            out += np.bincount(b.u_idx.ravel(), weights=ay[:, :, :ku].ravel(), minlength=self.p)
            if self.k_w:
                out[self.w_idx] += ay[:, :, ku:].sum(axis=(0, 1))
        return out

    # -- the profiled objective --------------------------------------------------------------
    def weights(self, sigma: FloatArray) -> tuple[list[FloatArray], float]:
        """W_P = Σ_P⁻¹ per batch and Σ_P n_P log|Σ_P|."""
        weights = []
        logdet = 0.0
        for b in self.batches:
            sub = sigma[b.visits[:, :, None], b.visits[:, None, :]]
            chol = np.linalg.cholesky(sub)
            logdet += float(
                np.sum(b.n * 2.0 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1))
            )
            weights.append(np.asarray(np.linalg.inv(sub), dtype=np.float64))
        return weights, logdet

    def gls(self, sigma: FloatArray) -> tuple[FloatArray, FloatArray, list[FloatArray], float]:
        """β̂, M = XᵀV⁻¹X, the stacked W_P per batch and Σ n_P log|Σ_P| + log|M|."""
        weights, logdet = self.weights(sigma)
        mat = self.xtax(weights)
        mat = (mat + mat.T) / 2
        m_chol = linalg.cho_factor(mat, lower=True)
        beta = linalg.cho_solve(m_chol, self.xtay(weights))
        logdet_m = 2.0 * float(np.sum(np.log(np.diag(m_chol[0]))))
        return beta, mat, weights, logdet + logdet_m

    def residuals(self, beta: FloatArray, b: _Batch) -> FloatArray:
        """R_P = Σ (y − X β)(y − X β)ᵀ per pattern of the batch."""
        per_visit = beta[: self.t * self.k_u].reshape(self.t, self.k_u)[b.visits]
        shared = np.broadcast_to(beta[self.w_idx], (*b.visits.shape, self.k_w))
        coef = np.concatenate([per_visit, shared], axis=2)  # k x s x K
        cross = b.s_yz @ np.swapaxes(coef, 1, 2)
        return np.asarray(
            b.s_yy - cross - np.swapaxes(cross, 1, 2) + coef @ b.s_zz @ np.swapaxes(coef, 1, 2),
            dtype=np.float64,
        )

    def value_grad(self, sigma: FloatArray) -> tuple[float, FloatArray]:
        """-2 ℓ_R (without the constant) and its gradient with respect to Σ's entries."""
        beta, m, weights, value = self.gls(sigma)
        m_inv = np.asarray(np.linalg.inv(m), dtype=np.float64)
        grad = np.zeros(self.t * self.t)
        for b, w, h in zip(self.batches, weights, self.xtax_dual(m_inv), strict=True):
            resid = self.residuals(beta, b)
            value += float(np.sum(w * resid))
            sub = sigma[b.visits[:, :, None], b.visits[:, None, :]]
            inner = b.n[:, None, None] * sub - resid - h
            grad += np.bincount(
                b.sigma_flat.ravel(), weights=(w @ inner @ w).ravel(), minlength=self.t * self.t
            )
        return value, grad.reshape(self.t, self.t)

    def objective(self, theta: FloatArray) -> tuple[float, FloatArray]:
        sigma, jac = self.structure.jacobian(theta)
        try:
            value, grad = self.value_grad(sigma)
        except (np.linalg.LinAlgError, linalg.LinAlgError):
            return math.inf, np.zeros_like(theta)
        if not math.isfinite(value):
            return math.inf, np.zeros_like(theta)
        return value, np.einsum("kab,ab->k", jac, grad)


def _start(reml: Reml) -> FloatArray:
    """θ₀ from the pooled per-pattern residual cross-products of a working-independence fit."""
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
            Message(
                "mmrm: the residual variance is zero at some visit (the model fits the data "
                "exactly); there is nothing to estimate a covariance from"
            )
        )
    if np.linalg.eigvalsh(sigma).min() <= 1e-8 * np.abs(np.diag(sigma)).max():
        sigma = np.diag(np.diag(sigma))
    return reml.structure.start(sigma)


def hessian(reml: Reml, theta: FloatArray) -> FloatArray:
    """Central differences of the analytic gradient."""
    k = theta.size
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h[j]
        hess[:, j] = (reml.objective(theta + e)[1] - reml.objective(theta - e)[1]) / (2 * h[j])
    return np.asarray((hess + hess.T) / 2, dtype=np.float64)


def _newton(reml: Reml, theta: FloatArray, steps: int = 12) -> tuple[FloatArray, bool]:
    """Newton polish: the Hessian is computed once (and again only if a step fails), so each
    further step costs one gradient. Converged when the step is below 1e-10 or the Newton
    decrement ``gᵀH⁻¹g`` (twice the predicted gain in -2ℓ) is at rounding level."""
    hess = hessian(reml, theta)
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
            hess = hessian(reml, theta)
            fresh = True
            continue
        theta = candidate
        fresh = False
        if float(np.max(np.abs(step))) < 1e-10:
            return theta, True
    return theta, False


def fit_reml(reml: Reml) -> RemlFit:
    """Maximise the restricted likelihood; raises :class:`StatisticsError` if impossible."""
    theta0 = _start(reml)
    scale = max(1.0, float(reml.n_obs))
    result = optimize.minimize(
        lambda th: tuple(np.divide(part, scale) for part in reml.objective(th)),
        theta0,
        jac=True,
        method="BFGS",
        options={"gtol": 1e-9, "maxiter": 2000},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    if not math.isfinite(reml.objective(theta)[0]):
        raise StatisticsError(
            Message("mmrm: the REML optimisation left the valid covariance region")
        )
    theta, converged = _newton(reml, theta)
    sigma, _ = reml.structure.jacobian(theta)
    beta, m, _, _ = reml.gls(sigma)
    value, _ = reml.objective(theta)
    if not converged:
        warnings.warn(
            StatisticalWarning(
                Message(
                    "mmrm: the REML optimisation did not converge tightly; estimates may be "
                    "inaccurate"
                )
            ),
            stacklevel=3,
        )
    return RemlFit(
        beta=beta,
        cov_beta=np.asarray(np.linalg.inv(m), dtype=np.float64),
        sigma=sigma,
        theta=theta,
        minus2_reml=value,
        converged=converged,
    )
