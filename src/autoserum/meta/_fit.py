"""Weighted least squares and the τ² estimators of the normal-normal model (metafor ``rma.uni``).

Internal: :func:`autoserum.meta.rma` and :func:`autoserum.meta.subgroup_analysis` build on it.

Model: y_i = x_i'β + u_i + e_i, u_i ~ N(0, τ²), e_i ~ N(0, v_i). Estimators of τ²:

- ``FE``: τ² = 0 (inverse-variance fixed effect).
- ``DL``: DerSimonian & Laird (1986), τ² = max(0, (Q − (k − p)) / tr(P)).
- ``REML``: the root of the restricted-likelihood score y'PPy − tr(P) = 0, truncated at 0
  (Viechtbauer 2005); metafor reaches the same root by Fisher scoring.
- ``PM``: Paule & Mandel (1982), the τ² where the generalised Q equals k − p, truncated at 0.
- ``ML``: maximum likelihood, the root of the likelihood score Σw²r² − Σw = 0 (r the WLS
  residuals at τ²), truncated at 0 (Viechtbauer 2005).
- ``EB``: empirical Bayes (Morris 1983; Berkey et al. 1995): metafor iterates
  τ² ← τ² + (k/(k − p)·Q(τ²) − k)/Σw, whose fixed point is Q(τ²) = k − p, the Paule–Mandel
  root; computed as that root, truncated at 0.
- ``SJ``: Sidik & Jonkman (2005): τ₀² = Σ(e − ē)²/k from the OLS residuals e, then
  τ² = τ₀²·Q(τ₀²)/(k − p) (never truncated).
- ``HE``: Hedges (1983), unweighted method of moments: τ² = (RSS_OLS − Σ v_i(1 − h_ii))/(k − p),
  h the OLS hat values, truncated at 0.

P(τ²) = W − W X (X'W X)⁻¹ X'W with W = diag(1/(v_i + τ²)). Roots are found with Brent's
method to machine precision.

Reference: Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the
random-effects model. J Educ Behav Stat 2005;30:261–93.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from autoserum.errors import Expected, Message, StatisticsError, ValidationError

__all__ = ["METHODS", "Fit", "check_inputs", "fit_model", "generalised_q"]

METHODS = ("FE", "DL", "REML", "PM", "ML", "EB", "SJ", "HE")

FloatArray = NDArray[np.float64]

_XTOL = 1e-15


@dataclass(frozen=True)
class Fit:
    """A fitted (meta-regression) model: coefficients, their covariance and heterogeneity."""

    beta: FloatArray
    vb: FloatArray
    tau2: float
    weights: FloatArray
    qe: float
    k: int
    p: int
    s2w: float
    vt: float


def check_inputs(yi: object, vi: object) -> tuple[FloatArray, FloatArray]:
    """Validate effect sizes and variances: finite numbers, same length, variances > 0."""
    y = np.asarray(yi, dtype=np.float64)
    v = np.asarray(vi, dtype=np.float64)
    if y.ndim != 1 or y.size == 0:
        raise ValidationError("yi", yi, Expected("a non-empty sequence of effect sizes"))
    if v.shape != y.shape:
        raise ValidationError(
            "vi", v.size, Expected("%(size)s sampling variances, one per yi", size=y.size)
        )
    for name, arr in (("yi", y), ("vi", v)):
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValidationError(f"{name}[{i}]", float(arr[i]), Expected("a finite number"))
    if (v <= 0).any():
        i = int(np.flatnonzero(v <= 0)[0])
        raise ValidationError(f"vi[{i}]", float(v[i]), Expected("a sampling variance > 0"))
    return y, v


@dataclass(frozen=True)
class _Parts:
    """Quantities of P(τ²) = W − W X (X'WX)⁻¹ X'W without forming the k × k matrix."""

    q: float  # y'Py = Σ w r², r the WLS residuals
    trace: float  # tr(P) = Σ w − tr((X'WX)⁻¹ X'W²X)
    ppy: float  # y'PPy = Σ (w r)², since Py = W r
    sum_w: float  # Σ w


def _parts(y: FloatArray, v: FloatArray, x: FloatArray, tau2: float) -> _Parts:
    w = 1.0 / (v + tau2)
    wx = x * w[:, None]
    inv = np.linalg.inv(x.T @ wx)
    r = y - x @ (inv @ (wx.T @ y))
    trace = float(w.sum() - np.trace(inv @ (wx.T @ wx)))
    return _Parts(
        q=float(np.sum(w * r**2)),
        trace=trace,
        ppy=float(np.sum((w * r) ** 2)),
        sum_w=float(w.sum()),
    )


def generalised_q(y: FloatArray, v: FloatArray, x: FloatArray, tau2: float) -> float:
    """Generalised Q(τ²) = y'P(τ²)y: the weighted residual sum of squares."""
    return _parts(y, v, x, tau2).q


def _upper_bracket(func: Callable[[float], float], start: float) -> float:
    """Double ``start`` until ``func`` changes sign (func(0) > 0 is the caller's premise)."""
    upper = max(start, 1e-8)
    for _ in range(200):
        if func(upper) < 0:
            return upper
        upper *= 2.0
    raise StatisticsError(Message("could not bracket the τ² estimate (variances badly scaled?)"))


def _tau2(method: str, y: FloatArray, v: FloatArray, x: FloatArray) -> float:
    k, p = int(x.shape[0]), int(x.shape[1])
    if method == "FE" or k <= p:
        return 0.0
    p0 = _parts(y, v, x, 0.0)
    if method == "DL":
        return max(0.0, (p0.q - (k - p)) / p0.trace)
    if method in ("SJ", "HE"):
        hat = x @ np.linalg.solve(x.T @ x, x.T)
        resid = y - hat @ y
        if method == "HE":
            rss = float(resid @ resid)
            return max(0.0, (rss - float(np.sum(v * (1.0 - np.diag(hat))))) / (k - p))
        tau0 = float(np.sum((resid - resid.mean()) ** 2)) / k
        return tau0 * generalised_q(y, v, x, tau0) / (k - p)
    start = 10.0 * float(np.var(y)) + float(np.mean(v))
    if method in ("PM", "EB"):

        def pm(t: float) -> float:
            return generalised_q(y, v, x, t) - (k - p)

        if pm(0.0) <= 0:
            return 0.0
        return float(optimize.brentq(pm, 0.0, _upper_bracket(pm, start), xtol=_XTOL, rtol=_XTOL))

    def score(t: float) -> float:
        parts = _parts(y, v, x, t)
        return parts.ppy - (parts.sum_w if method == "ML" else parts.trace)

    if score(0.0) <= 0:
        return 0.0
    return float(optimize.brentq(score, 0.0, _upper_bracket(score, start), xtol=_XTOL, rtol=_XTOL))


def fit_model(y: FloatArray, v: FloatArray, x: FloatArray, method: str, hk: bool) -> Fit:
    """Fit the model with design matrix ``x``; ``hk`` scales the covariance by s²_w (HKSJ)."""
    if method not in METHODS:
        raise ValidationError(
            "method", method, Expected("one of %(values)s", values=", ".join(METHODS))
        )
    k, p = int(x.shape[0]), int(x.shape[1])
    if np.linalg.matrix_rank(x) < p:
        raise StatisticsError(Message("the model matrix is not of full rank (an empty subgroup?)"))
    if hk and k <= p:
        raise StatisticsError(
            Message("the Hartung-Knapp adjustment needs k > %(p)s studies; got k = %(k)s", p=p, k=k)
        )
    tau2 = _tau2(method, y, v, x)
    w = 1.0 / (v + tau2)
    wx = x * w[:, None]
    vb: FloatArray = np.asarray(np.linalg.inv(x.T @ wx), dtype=np.float64)
    beta = vb @ (wx.T @ y)
    s2w = 1.0
    if hk:
        rss = float(np.sum(w * (y - x @ beta) ** 2))
        s2w = rss / (k - p) if rss > np.finfo(float).eps else 0.0
        vb = np.asarray(vb * s2w, dtype=np.float64)
    if k > p:
        p0 = _parts(y, v, x, 0.0)
        qe = max(0.0, p0.q)
        vt = (k - p) / p0.trace
    else:
        qe, vt = 0.0, 0.0
    return Fit(beta=beta, vb=vb, tau2=tau2, weights=w, qe=qe, k=k, p=p, s2w=s2w, vt=vt)
