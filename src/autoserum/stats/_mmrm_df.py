"""Denominator degrees of freedom for MMRM contrasts: residual, Satterthwaite, Kenward–Roger.

For a contrast l (so that the estimate is lᵀβ̂ with variance v = lᵀΦl, Φ = (XᵀV⁻¹X)⁻¹):

* ``residual``: N − p, as ``summary(nlme::gls(...))``.
* ``satterthwaite``: df = 2 v² / (gᵀ W g), g_h = ∂v/∂θ_h = −lᵀΦ P_h Φ l, with
  P_h = Xᵀ ∂V⁻¹/∂θ_h X and W the asymptotic covariance of the REML estimate θ̂, the inverse of
  the observed information (Hessian of −ℓ_R at θ̂), as SAS ``DDFM=SATTERTHWAITE``, R
  ``lmerTest`` and ``mmrm``. Invariant to how θ is parametrised.
* ``kenward_roger``: the SE from the adjusted covariance (Kenward & Roger 1997)

      Φ_A = Φ + 2 Φ {Σ_hj W_hj (Q_hj − P_h Φ P_j − ¼ R_hj)} Φ,
      Q_hj = Xᵀ ∂V⁻¹/∂θ_h V ∂V⁻¹/∂θ_j X,   R_hj = Xᵀ V⁻¹ ∂²V/∂θ_h∂θ_j V⁻¹ X,

  computed in SAS's natural parametrisation of each structure (``_mmrm_cov``: R = 0 for
  unstructured, Toeplitz and compound symmetry) and the df of the KR F approximation, which
  for a single contrast is 2 v² / (gᵀ W g) with the unadjusted Φ.

``information`` chooses W: ``"observed"`` (default: SAS, ``mmrm``, ``lmerTest``) or
``"expected"`` (W = 2 [tr(P V_h P V_j)]⁻¹ with P = V⁻¹ − V⁻¹XΦXᵀV⁻¹, as R ``pbkrtest``).

Reference: Kenward & Roger (1997) Biometrics 53:983; Satterthwaite (1946) Biometrics Bull
2:110; Kuznetsova, Brockhoff & Christensen (2017) J Stat Softw 82(13) (lmerTest);
Halekoh & Højsgaard (2014) J Stat Softw 59(9) (pbkrtest).

>>> import numpy as np
>>> from autoserum.stats._mmrm import fit_mmrm
>>> rng = np.random.default_rng(2)
>>> subj = np.repeat(np.arange(30), 3); vis = np.tile([1, 2, 3], 30)
>>> grp = np.repeat(np.arange(30) % 2, 3); base = np.repeat(rng.normal(20, 4, 30), 3)
>>> y = -grp * vis + 0.3 * base + rng.normal(0, 2, 90)
>>> y[(vis == 3) & (subj % 4 == 0)] = np.nan
>>> f = fit_mmrm(subj, vis, grp, base, y, covariance="ar1")
>>> contrast = np.zeros(9); contrast[7] = 1.0  # group effect at visit 3
>>> se_kr, df_kr = inference(f.reml, f.fit, "kenward_roger").contrast(contrast)
>>> se_res, df_res = inference(f.reml, f.fit, "residual").contrast(contrast)
>>> bool(se_kr > se_res), df_res, bool(df_kr < df_res)
(True, 73.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from autoserum.errors import Message, StatisticsError
from autoserum.stats._mmrm_reml import Reml, RemlFit

__all__ = ["DfMethod", "Inference", "inference"]

FloatArray = npt.NDArray[np.float64]
DfMethod = Literal["residual", "satterthwaite", "kenward_roger"]
DF_METHODS: tuple[DfMethod, ...] = ("residual", "satterthwaite", "kenward_roger")


@dataclass(frozen=True)
class Inference:
    """What a contrast needs: the covariance of β̂ to report (Φ, or Φ_A for KR) and, for the
    approximate methods, Φ, the P_h and the covariance W of θ̂."""

    method: DfMethod
    cov_beta: FloatArray
    phi: FloatArray
    residual_df: float
    p_mats: FloatArray | None = None  # k x p x p
    w_theta: FloatArray | None = None  # k x k

    def contrast(self, l_vec: FloatArray) -> tuple[float, float]:
        """(standard error, denominator df) of lᵀβ̂."""
        se = float(np.sqrt(l_vec @ self.cov_beta @ l_vec))
        if self.p_mats is None or self.w_theta is None:
            return se, self.residual_df
        phi_l = self.phi @ l_vec
        v = float(l_vec @ phi_l)
        g = -np.einsum("a,hab,b->h", phi_l, self.p_mats, phi_l)
        denom = float(g @ self.w_theta @ g)
        if not denom > 0:
            return se, float("inf")
        return se, 2.0 * v * v / denom


def _pattern_blocks(reml: Reml, full: FloatArray) -> list[FloatArray]:
    """The per-pattern sub-matrices of a stack of T × T matrices (… × T × T)."""
    return [full[..., b.visits[:, :, None], b.visits[:, None, :]] for b in reml.batches]


def _natural_grad(reml: Reml, nat: FloatArray) -> FloatArray:
    sigma, d1, _ = reml.structure.from_natural(nat)
    _, grad = reml.value_grad(sigma)
    return np.asarray(np.einsum("kab,ab->k", d1, grad), dtype=np.float64)


def _observed_hessian(reml: Reml, nat: FloatArray) -> FloatArray:
    """Hessian of −2ℓ_R in the natural parameters: central differences of the analytic
    gradient with one Richardson extrapolation (error O(h⁴))."""
    k = nat.size
    scale = np.maximum(np.abs(nat), 1e-3 * float(np.max(np.abs(nat))))
    hess = np.empty((k, k))
    for j in range(k):
        h = 1e-3 * scale[j]
        e = np.zeros(k)
        e[j] = 1.0

        def diff(step: float, e: FloatArray = e) -> FloatArray:
            up = _natural_grad(reml, nat + step * e)
            down = _natural_grad(reml, nat - step * e)
            return (up - down) / (2 * step)

        hess[:, j] = (4 * diff(h / 2) - diff(h)) / 3
    return (hess + hess.T) / 2


def inference(
    reml: Reml,
    fit: RemlFit,
    method: DfMethod,
    *,
    information: Literal["observed", "expected"] = "observed",
) -> Inference:
    """The :class:`Inference` of ``fit`` under ``method``."""
    phi = fit.cov_beta
    residual_df = float(reml.n_obs - reml.p)
    if method == "residual":
        return Inference(method=method, cov_beta=phi, phi=phi, residual_df=residual_df)
    structure = reml.structure
    nat = structure.natural(fit.sigma)
    sigma, d1, d2 = structure.from_natural(nat)
    weights, _ = reml.weights(sigma)
    d1_p = _pattern_blocks(reml, d1)  # per batch: k x n_pat x s x s
    a_mats = [np.einsum("pab,hpbc,pcd->hpad", w, d, w) for w, d in zip(weights, d1_p, strict=True)]
    k = nat.size
    p_mats = np.stack([-reml.xtax([a[h] for a in a_mats]) for h in range(k)])
    subs = _subs(reml, sigma)
    if information == "observed":
        hess = _observed_hessian(reml, nat)
    else:
        hess = np.zeros((k, k))
        for b, w, d in zip(reml.batches, weights, d1_p, strict=True):
            wd = np.einsum("pab,hpbc->hpac", w, d)
            hess += np.einsum("p,hpab,jpba->hj", b.n, wd, wd)
        for h in range(k):
            for j in range(h, k):
                q = reml.xtax([a[h] @ s_p @ a[j] for a, s_p in zip(a_mats, subs, strict=True)])
                val = -2 * np.sum(phi * q.T) + np.sum((phi @ p_mats[h]) * (p_mats[j] @ phi))
                hess[h, j] += val
                hess[j, h] = hess[h, j]
    try:
        w_theta = np.asarray(2.0 * np.linalg.inv(hess), dtype=np.float64)
    except np.linalg.LinAlgError as exc:
        raise StatisticsError(
            Message(
                "mmrm: the information matrix of the covariance parameters is singular; "
                "%(method)s degrees of freedom cannot be computed",
                method=method,
            )
        ) from exc
    cov_beta = phi
    if method == "kenward_roger":
        per_batch = []
        for a, s_p, w, blocks in zip(a_mats, subs, weights, _pattern_blocks(reml, d2), strict=True):
            acc = np.einsum("hj,hpab,pbc,jpcd->pad", w_theta, a, s_p, a)
            if not structure.linear:
                acc = acc - 0.25 * np.einsum("hj,pab,hjpbc,pcd->pad", w_theta, w, blocks, w)
            per_batch.append(acc)
        inner = reml.xtax(per_batch) - np.einsum("hj,hab,bc,jcd->ad", w_theta, p_mats, phi, p_mats)
        cov_beta = phi + 2.0 * phi @ inner @ phi
        cov_beta = (cov_beta + cov_beta.T) / 2
    return Inference(
        method=method,
        cov_beta=cov_beta,
        phi=phi,
        residual_df=residual_df,
        p_mats=p_mats,
        w_theta=w_theta,
    )


def _subs(reml: Reml, sigma: FloatArray) -> list[FloatArray]:
    return [sigma[b.visits[:, :, None], b.visits[:, None, :]] for b in reml.batches]
