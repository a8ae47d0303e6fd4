"""The MMRM of many complete-data trials at once, in closed form.

With every subject observed at every visit, the MMRM of :func:`autoserum.stats.mmrm` (saturated
mean ``group * visit + baseline * visit``, unstructured covariance, REML) is a multivariate
linear regression with the same regressors z = (1, group, baseline) at every visit. Its GLS
estimate is then ordinary least squares visit by visit, and the REML estimate of the
unstructured covariance is the residual cross-product over n − 3 (Anderson 2003, §8.2; the
REML of a multivariate regression is its unbiased estimator). So the treatment difference at
visit v, its SE and the t test are

    d̂_v = [(ZᵀZ)⁻¹ Zᵀ y_v]_group,   SE² = RSS_v / (n − 3) · [(ZᵀZ)⁻¹]_group,group,

with N − 3T degrees of freedom (N = nT observations), as ``summary.gls`` and
:func:`~autoserum.stats.mmrm` use. One array pass fits thousands of trials; the iterative REML
of :func:`~autoserum.stats.mmrm` converges to the same values (to its optimisation tolerance),
which the tests check replicate by replicate.

Reference: Anderson TW. An Introduction to Multivariate Statistical Analysis, 3rd ed. Wiley
2003; Pinheiro & Bates (2000) §5.1.

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> group = np.r_[np.ones(20), np.zeros(20)]
>>> base = rng.normal(20, 4, (3, 40))
>>> y = rng.normal(0, 2, (3, 40, 2)) - 2.0 * group[None, :, None]
>>> est = mmrm_complete_batch(group, base, y)
>>> est.estimate.shape, float(est.df)
((3,), 74.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from autoserum.errors import Expected, ValidationError

__all__ = ["BatchEstimate", "mmrm_batch", "mmrm_complete_batch"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BatchEstimate:
    """Per trial: the treatment − control difference at one visit, its SE, t and p (arrays of
    one value per trial) and the common degrees of freedom."""

    estimate: FloatArray
    se: FloatArray
    t: FloatArray
    p_value: FloatArray
    df: float | FloatArray
    #: per trial, False where the batch gave no answer (:func:`mmrm_batch`: fit the trial alone)
    converged: BoolArray | None = None


def mmrm_complete_batch(group: Any, baseline: Any, y: Any, *, visit: int = -1) -> BatchEstimate:
    """The MMRM's treatment difference at ``visit`` (an index into the last axis of ``y``) for
    a batch of complete-data trials.

    ``y`` is trials × subjects × visits (no missing values), ``baseline`` trials × subjects,
    ``group`` (1 treatment, 0 control) subjects or trials × subjects. Equal, trial by trial, to
    :func:`autoserum.stats.mmrm` on the long format of the same data.
    """
    yv = np.asarray(y, dtype=np.float64)
    if yv.ndim != 3 or yv.shape[1] < 4 or yv.shape[2] < 1:
        raise ValidationError(
            "y", f"shape {yv.shape}", Expected("trials x subjects (>= 4) x visits")
        )
    if not np.isfinite(yv).all():
        raise ValidationError("y", "missing values", Expected("complete data (use mmrm per trial)"))
    reps, n, t = yv.shape
    base = np.broadcast_to(np.asarray(baseline, dtype=np.float64), (reps, n))
    grp = np.broadcast_to(np.asarray(group, dtype=np.float64), (reps, n))
    z = np.stack([np.ones((reps, n)), grp, base], axis=2)  # reps x n x 3
    ztz_inv = np.linalg.inv(np.swapaxes(z, 1, 2) @ z)  # reps x 3 x 3
    target = yv[:, :, visit]  # reps x n
    coef = np.einsum("rij,rnj,rn->ri", ztz_inv, z, target)
    resid = target - np.einsum("rnj,rj->rn", z, coef)
    sigma = np.einsum("rn,rn->r", resid, resid) / (n - 3)
    se = np.sqrt(sigma * ztz_inv[:, 1, 1])
    df = float(n * t - 3 * t)
    tstat = coef[:, 1] / se
    p = np.asarray(2.0 * sps.t.sf(np.abs(tstat), df), dtype=np.float64)
    return BatchEstimate(estimate=coef[:, 1], se=se, t=tstat, p_value=p, df=df)


# -- many trials with missing values: REML, batched ------------------------------------------
#
# The model and the objective are those of ``_mmrm_reml`` (unstructured Σ, regressors
# z = (1, group, baseline) at every visit), with every possible missingness pattern P embedded
# in the full T × T space: W_P = (Σ_PP)⁻¹ padded with zeros, so that all trials and patterns are
# one array and every step is an einsum over trials × patterns. Σ = L Lᵀ with L lower
# triangular and log-diagonal (the log-Cholesky parameters of the per-trial fit); Newton steps
# on a central-difference Hessian of the analytic gradient (negative curvature mirrored, steps
# halved until -2ℓ falls), converged on the per-trial fit's criteria (Newton decrement below
# 1e-13 × max(1, |-2ℓ|) or a step below 1e-10).


class _Stats:
    """Per trial and pattern: n_P, Σ z zᵀ, Σ y zᵀ, Σ y yᵀ (zeros outside the pattern)."""

    def __init__(self, z: FloatArray, y: FloatArray, observed: BoolArray) -> None:
        reps, _, t = y.shape
        codes = observed.astype(np.int64) @ (1 << np.arange(t))  # reps x n, 0: no outcome
        used = np.unique(codes[codes > 0])
        self.mask = ((used[:, None] >> np.arange(t)) & 1).astype(np.float64)  # P x T
        self.mask2 = self.mask[:, :, None] * self.mask[:, None, :]  # P x T x T
        self.eye_rest = np.einsum("pv,vu->pvu", 1.0 - self.mask, np.eye(t))
        onehot = (codes[:, :, None] == used[None, None, :]).astype(np.float64)  # reps x n x P
        y0 = np.where(observed, y, 0.0)
        self.n = onehot.sum(axis=1)  # reps x P
        self.s_zz = np.einsum("rip,ria,rib->rpab", onehot, z, z)
        self.s_yz = np.einsum("rip,riv,ria->rpva", onehot, y0, z)
        self.s_yy = np.einsum("rip,riv,riu->rpvu", onehot, y0, y0)
        self.t = t
        self.reps = reps

    def evaluate(
        self, sigma: FloatArray, *, gradient: bool = True
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """-2ℓ_R (no constant), its gradient in Σ's entries, β (reps x T x 3), (XᵀV⁻¹X)⁻¹.

        Trials where Σ or XᵀV⁻¹X is not positive definite get -2ℓ = inf."""
        t = self.t
        full = sigma[:, None] * self.mask2 + self.eye_rest  # reps x P x T x T
        ok = np.ones(self.reps, dtype=bool)
        with np.errstate(all="ignore"):
            sign, logdet = np.linalg.slogdet(full)
            ok &= np.all(sign > 0, axis=1)
            weights = np.linalg.inv(np.where(ok[:, None, None, None], full, np.eye(t)))
            weights *= self.mask2
            reps, n_pat = self.reps, self.n.shape[1]
            # M[(v,a),(u,b)] = Σ_P W_P[v,u] S_zz,P[a,b]
            m = np.matmul(
                np.swapaxes(weights.reshape(reps, n_pat, t * t), 1, 2),
                self.s_zz.reshape(reps, n_pat, 9),
            )
            m = m.reshape(reps, t, t, 3, 3).transpose(0, 1, 3, 2, 4).reshape(reps, 3 * t, 3 * t)
            m = (m + np.swapaxes(m, 1, 2)) / 2
            sign_m, logdet_m = np.linalg.slogdet(m)
            ok &= sign_m > 0
            m = np.where(ok[:, None, None], m, np.eye(3 * t))
            m_inv = np.linalg.inv(m)
            xwy = np.matmul(weights, self.s_yz).sum(axis=1).reshape(reps, 3 * t)
            beta = np.matmul(m_inv, xwy[:, :, None])[:, :, 0].reshape(reps, t, 3)
            beta_t = np.swapaxes(beta, 1, 2)[:, None]  # reps x 1 x 3 x T
            cross = np.matmul(self.s_yz, beta_t)
            quad = np.matmul(np.matmul(beta[:, None], self.s_zz), beta_t) * self.mask2
            resid = self.s_yy - cross - np.swapaxes(cross, 2, 3) + quad
            value = (
                np.sum(self.n * logdet, axis=1) + logdet_m + np.sum(weights * resid, axis=(1, 2, 3))
            )
            grad = np.zeros_like(sigma)
            if gradient:
                # H_P[v,u] = Σ_{k,l} M⁻¹[(v,k),(u,l)] S_zz,P[l,k]
                m5 = m_inv.reshape(reps, t, 3, t, 3).transpose(0, 1, 3, 2, 4)
                h = np.matmul(
                    m5.reshape(reps, t * t, 9),
                    np.swapaxes(np.swapaxes(self.s_zz, 2, 3).reshape(reps, n_pat, 9), 1, 2),
                )
                h = np.swapaxes(h, 1, 2).reshape(reps, n_pat, t, t) * self.mask2
                inner = self.n[:, :, None, None] * sigma[:, None] * self.mask2 - resid - h
                grad = np.matmul(np.matmul(weights, inner), weights).sum(axis=1)
        value = np.where(ok & np.isfinite(value), value, np.inf)
        return value, grad, beta, m_inv


def _theta_to_l(theta: FloatArray, t: int) -> FloatArray:
    rows, cols = np.tril_indices(t)
    chol = np.zeros((theta.shape[0], t, t))
    chol[:, rows, cols] = theta
    diag = np.arange(t)
    chol[:, diag, diag] = np.exp(chol[:, diag, diag])
    return chol


def _objective(stats: _Stats, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """-2ℓ_R and its gradient in θ (log-Cholesky), per trial."""
    t = stats.t
    chol = _theta_to_l(theta, t)
    value, grad_sigma, _, _ = stats.evaluate(chol @ np.swapaxes(chol, 1, 2))
    grad_l = (grad_sigma + np.swapaxes(grad_sigma, 1, 2)) @ chol
    diag = np.arange(t)
    grad_l[:, diag, diag] *= chol[:, diag, diag]
    rows, cols = np.tril_indices(t)
    return value, grad_l[:, rows, cols]


def _start(stats: _Stats) -> tuple[FloatArray, BoolArray]:
    """θ₀ per trial from a working-independence fit, as the per-trial fit starts."""
    t = stats.t
    eye = np.broadcast_to(np.eye(t), (stats.reps, t, t))
    _, _, beta, _ = stats.evaluate(np.array(eye), gradient=False)
    cross = np.einsum("rpva,rua->rpvu", stats.s_yz, beta)
    quad = np.einsum("rva,rpab,rub->rpvu", beta, stats.s_zz, beta) * stats.mask2
    resid = (stats.s_yy - cross - np.swapaxes(cross, 2, 3) + quad).sum(axis=1)
    count = np.einsum("rp,pvu->rvu", stats.n, stats.mask2)
    sigma = resid / np.maximum(count, 1.0)
    diag = np.diagonal(sigma, axis1=1, axis2=2)
    ok = np.all(diag > 1e-12 * np.maximum(1.0, np.abs(diag).max(axis=1, keepdims=True)), axis=1)
    low = np.linalg.eigvalsh(sigma).min(axis=1) <= 1e-8 * np.abs(diag).max(axis=1)
    sigma = np.where(low[:, None, None], np.eye(t) * diag[:, None, :], sigma)
    sigma = np.where(ok[:, None, None], sigma, np.eye(t))
    chol = np.linalg.cholesky(sigma)
    d = np.arange(t)
    chol[:, d, d] = np.log(chol[:, d, d])
    rows, cols = np.tril_indices(t)
    return chol[:, rows, cols], ok


def _newton(stats: _Stats, theta: FloatArray, active: BoolArray) -> tuple[FloatArray, BoolArray]:
    k = theta.shape[1]
    done = ~active
    converged = np.zeros(theta.shape[0], dtype=bool)
    for _ in range(60):
        if done.all():
            break
        idx = np.flatnonzero(~done)
        sub = _subset(stats, idx)
        th = theta[idx]
        value, grad = _objective(sub, th)
        h = 1e-5 * np.maximum(1.0, np.abs(th))
        hess = np.empty((idx.size, k, k))
        for j in range(k):
            e = np.zeros_like(th)
            e[:, j] = h[:, j]
            hess[:, :, j] = (_objective(sub, th + e)[1] - _objective(sub, th - e)[1]) / (
                2 * h[:, j : j + 1]
            )
        hess = (hess + np.swapaxes(hess, 1, 2)) / 2
        lam, vec = np.linalg.eigh(np.where(np.isfinite(hess), hess, 0.0))
        lam = np.abs(lam)
        lam = np.maximum(lam, 1e-8 * np.maximum(lam.max(axis=1, keepdims=True), 1e-300))
        step = -np.einsum("rij,rj,rkj,rk->ri", vec, 1.0 / lam, vec, grad)
        decrement = -np.einsum("ri,ri->r", grad, step)
        bad = ~np.isfinite(value) | ~np.all(np.isfinite(step), axis=1)
        finished = ~bad & (decrement < 1e-13 * np.maximum(1.0, np.abs(value)))
        slack = 1e-12 * np.maximum(1.0, np.abs(value))
        scale = np.ones(idx.size)
        pending = ~bad & ~finished
        for _ in range(31):
            if not pending.any():
                break
            new_value, _ = _objective(sub, th + scale[:, None] * step)
            accepted = new_value <= value + slack
            pending &= ~accepted
            scale = np.where(pending, scale / 2, scale)
        moved = ~bad & ~pending
        th = np.where(moved[:, None], th + scale[:, None] * step, th)
        small = np.max(np.abs(scale[:, None] * step), axis=1) < 1e-10
        theta[idx] = th
        converged[idx] = moved & (finished | small)
        done[idx] = bad | pending | converged[idx]
    return theta, converged


def _subset(stats: _Stats, idx: npt.NDArray[np.intp]) -> _Stats:
    if idx.size == stats.reps:
        return stats
    sub = object.__new__(_Stats)
    sub.__dict__.update(stats.__dict__)
    sub.n, sub.s_zz = stats.n[idx], stats.s_zz[idx]
    sub.s_yz, sub.s_yy = stats.s_yz[idx], stats.s_yy[idx]
    sub.reps = idx.size
    return sub


def _estimable(stats: _Stats) -> BoolArray:
    """Per trial, the per-trial fit's estimability checks (``_check_estimable``) pass and
    every visit is observed (else the trial has other visit levels)."""
    together = np.einsum("rp,pvu->rvu", stats.n, stats.mask2)
    per_visit = np.einsum("pv,rpab->rvab", stats.mask, stats.s_zz)
    ok = np.all(together > 0, axis=(1, 2))
    n_v, n_treated = per_visit[:, :, 0, 0], per_visit[:, :, 0, 1]
    ok &= np.all((n_treated > 0) & (n_treated < n_v), axis=1)
    scale = np.sqrt(np.maximum(np.diagonal(per_visit, axis1=2, axis2=3), 0.0))
    ok &= np.all(scale[:, :, 2] > 0, axis=1)
    with np.errstate(all="ignore"):
        norm = per_visit / (scale[:, :, :, None] * scale[:, :, None, :])
        cond = np.linalg.cond(np.where(np.isfinite(norm), norm, np.eye(3)))
    ok &= np.all(cond <= 1e10, axis=1)
    return np.asarray(ok, dtype=bool)


def mmrm_batch(group: Any, baseline: Any, y: Any, *, visit: int = -1) -> BatchEstimate:
    """:func:`autoserum.stats.mmrm`'s treatment difference at ``visit`` for a batch of trials
    with missing outcomes (unstructured covariance, REML, residual df), fitted together.

    ``y`` is trials × subjects × visits with NaN where an outcome is missing (a subject with
    no outcome, or a NaN baseline, is left out); ``baseline`` trials × subjects; ``group``
    subjects or trials × subjects. ``converged`` is False for the trials the batch does not
    answer (one of the per-trial fit's estimability checks fails, a visit has no outcome, or
    the optimisation does not converge): fit those alone with :func:`~autoserum.stats.mmrm`,
    which gives them their answer or their error. The others equal :func:`mmrm` trial by
    trial to its optimisation tolerance (``tests/design/test_batched.py``).

    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> group = np.r_[np.ones(20), np.zeros(20)]
    >>> y = rng.normal(0, 2, (4, 40, 2)) - 2.0 * group[None, :, None]
    >>> y[:, :5, 1] = np.nan  # five dropouts per trial
    >>> est = mmrm_batch(group, rng.normal(20, 4, (4, 40)), y)
    >>> est.df.tolist(), bool(est.converged.all())
    ([69.0, 69.0, 69.0, 69.0], True)
    """
    yv = np.asarray(y, dtype=np.float64)
    if yv.ndim != 3 or yv.shape[1] < 4 or yv.shape[2] < 1:
        raise ValidationError(
            "y", f"shape {yv.shape}", Expected("trials x subjects (>= 4) x visits")
        )
    reps, n, t = yv.shape
    if t > 6:
        raise ValidationError("y", f"{t} visits", Expected("at most 6 visits (fit more per trial)"))
    base = np.broadcast_to(np.asarray(baseline, dtype=np.float64), (reps, n))
    grp = np.broadcast_to(np.asarray(group, dtype=np.float64), (reps, n))
    observed = np.isfinite(yv) & np.isfinite(base)[:, :, None] & np.isfinite(grp)[:, :, None]
    z = np.stack([np.ones((reps, n)), grp, base], axis=2)
    z = np.where(np.isfinite(z), z, 0.0)
    stats = _Stats(z, yv, observed)
    ok = _estimable(stats)
    theta, started = _start(stats)
    ok &= started
    theta, converged = _newton(stats, theta, ok)
    ok &= converged
    chol = _theta_to_l(theta, t)
    _, _, beta, m_inv = stats.evaluate(chol @ np.swapaxes(chol, 1, 2), gradient=False)
    v = range(t)[visit]
    estimate = beta[:, v, 1]
    with np.errstate(all="ignore"):
        se = np.sqrt(m_inv[:, 3 * v + 1, 3 * v + 1])
        df = observed.sum(axis=(1, 2)).astype(np.float64) - 3 * t
        tstat = estimate / se
        p = np.asarray(2.0 * sps.t.sf(np.abs(tstat), df), dtype=np.float64)
    nan = np.full(reps, np.nan)
    return BatchEstimate(
        estimate=np.where(ok, estimate, nan),
        se=np.where(ok, se, nan),
        t=np.where(ok, tstat, nan),
        p_value=np.where(ok, p, nan),
        df=df,
        converged=ok,
    )
