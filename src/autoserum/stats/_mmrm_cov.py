"""Within-subject covariance structures of the MMRM over T visits.

Each structure has two parametrisations:

* an unconstrained one for the optimiser (``sigma(theta)``), covering exactly the positive
  definite matrices of the structure;
* the *natural* one of SAS PROC MIXED (``natural``/``from_natural``/``derivatives``), in which
  the Kenward–Roger adjustment is computed (it depends on the parametrisation through the
  second derivatives of Σ; Satterthwaite df do not):

=====================  ============================  ===========================================
structure              optimiser θ                   natural θ (SAS ``TYPE=``)
=====================  ============================  ===========================================
``unstructured``       log-Cholesky factor           σ_ab, a ≥ b (``UN``), linear
``toeplitz``           log σ², atanh of the partial  σ_0 … σ_{T−1}, the band covariances
                       autocorrelations              (``TOEP``), linear
``ar1``                log σ², atanh ρ               σ², ρ with Σ_ab = σ² ρ^|a−b| (``AR(1)``)
``compound_symmetry``  log σ², logit of ρ on         σ₁ (common covariance), σ_e² (residual):
                       (−1/(T−1), 1)                 Σ = σ_e² I + σ₁ J (``CS``), linear
=====================  ============================  ===========================================

Visits are equally spaced positions 1 … T for ``ar1`` and ``toeplitz`` (R ``nlme``:
``corAR1(form = ~ visit_index | subject)``; ``corARMA(p = T − 1, ...)`` spans every Toeplitz
correlation through its partial autocorrelations, Barndorff-Nielsen & Schou (1973)).

Derivatives of Σ with respect to the optimiser θ are taken by complex step (exact to rounding).

Reference: SAS/STAT User's Guide, PROC MIXED, Table "Covariance Structure Examples";
Pinheiro & Bates (2000) §5.3; Brockwell & Davis (1991) §5.2 (Durbin–Levinson).

>>> s = make_structure("ar1", 3)
>>> s.from_natural(np.array([2.0, 0.5]))[0][0].tolist()
[2.0, 1.0, 0.5]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal

import numpy as np
import numpy.typing as npt

from autoserum.errors import Expected, ValidationError

__all__ = ["STRUCTURES", "CovarianceName", "Structure", "make_structure"]

FloatArray = npt.NDArray[np.float64]
CovarianceName = Literal["unstructured", "toeplitz", "ar1", "compound_symmetry"]
STRUCTURES: tuple[CovarianceName, ...] = (
    "unstructured",
    "toeplitz",
    "ar1",
    "compound_symmetry",
)
_STEP = 1e-30


def _lag(t: int) -> npt.NDArray[np.intp]:
    idx = np.arange(t)
    return np.asarray(np.abs(idx[:, None] - idx[None, :]), dtype=np.intp)


class Structure(ABC):
    """Base: a covariance structure over ``t`` visits."""

    name: CovarianceName
    linear: bool = True  # natural parametrisation linear in Σ (zero second derivatives)

    def __init__(self, t: int) -> None:
        self.t = t

    @property
    @abstractmethod
    def n_natural(self) -> int:
        """Number of covariance parameters."""

    @abstractmethod
    def sigma(self, theta: npt.NDArray[np.complex128] | FloatArray) -> npt.NDArray[np.complex128]:
        """Σ at the optimiser's θ (complex-safe, for the complex-step derivatives)."""

    @abstractmethod
    def start(self, sigma0: FloatArray) -> FloatArray:
        """Optimiser θ near the unstructured estimate ``sigma0``."""

    @abstractmethod
    def natural(self, sigma: FloatArray) -> FloatArray:
        """The natural parameters of a Σ of this structure."""

    @abstractmethod
    def from_natural(self, nat: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Σ, ∂Σ/∂θ_h (k × T × T) and ∂²Σ/∂θ_h∂θ_j (k × k × T × T) at natural ``nat``."""

    def jacobian(self, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Σ(θ) and ∂Σ/∂θ (k × T × T) for the optimiser parametrisation, by complex step."""
        k = theta.size
        sig = np.real(self.sigma(theta.astype(np.complex128)))
        jac = np.empty((k, self.t, self.t))
        for j in range(k):
            shifted = theta.astype(np.complex128)
            shifted[j] += 1j * _STEP
            jac[j] = np.imag(self.sigma(shifted)) / _STEP
        return np.asarray(sig, dtype=np.float64), jac


class Unstructured(Structure):
    name: CovarianceName = "unstructured"

    def __init__(self, t: int) -> None:
        super().__init__(t)
        self.rows = np.tril_indices(t)

    @property
    def n_natural(self) -> int:
        return self.t * (self.t + 1) // 2

    def sigma(self, theta: npt.NDArray[np.complex128] | FloatArray) -> npt.NDArray[np.complex128]:
        low = np.zeros((self.t, self.t), dtype=np.complex128)
        low[self.rows] = theta
        diag = np.diag_indices(self.t)
        low[diag] = np.exp(low[diag])
        return np.asarray(low @ low.T, dtype=np.complex128)

    def start(self, sigma0: FloatArray) -> FloatArray:
        low = np.linalg.cholesky(sigma0)
        low[np.diag_indices(self.t)] = np.log(np.diag(low))
        return np.asarray(low[self.rows], dtype=np.float64)

    def natural(self, sigma: FloatArray) -> FloatArray:
        return np.asarray(sigma[self.rows], dtype=np.float64)

    def from_natural(self, nat: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        k = self.n_natural
        d1 = np.zeros((k, self.t, self.t))
        for h, (a, b) in enumerate(zip(*self.rows, strict=True)):
            d1[h, a, b] = d1[h, b, a] = 1.0
        sig = np.einsum("h,hab->ab", nat, d1)
        return sig, d1, np.zeros((k, k, self.t, self.t))


def _acf_from_pacf(pacf: npt.NDArray[np.complex128]) -> npt.NDArray[np.complex128]:
    """Autocorrelations r_0 … r_p from partial autocorrelations φ_1 … φ_p (Durbin–Levinson)."""
    p = pacf.size
    r = np.ones(p + 1, dtype=np.complex128)
    a = np.zeros(0, dtype=np.complex128)
    for k in range(1, p + 1):
        phi = pacf[k - 1]
        r[k] = phi * (1 - np.sum(a * r[1:k])) + np.sum(a * r[k - 1 : 0 : -1])
        a = np.concatenate([a - phi * a[::-1], [phi]])
    return r


def _pacf_from_acf(r: FloatArray) -> FloatArray | None:
    """Inverse of :func:`_acf_from_pacf`; ``None`` when r is not positive definite."""
    p = r.size - 1
    a = np.zeros(0)
    out = np.empty(p)
    for k in range(1, p + 1):
        denom = 1 - float(np.sum(a * r[1:k]))
        if denom <= 0:
            return None
        phi = (r[k] - float(np.sum(a * r[k - 1 : 0 : -1]))) / denom
        if not abs(phi) < 1:
            return None
        out[k - 1] = phi
        a = np.concatenate([a - phi * a[::-1], [phi]])
    return out


class Toeplitz(Structure):
    name: CovarianceName = "toeplitz"

    @property
    def n_natural(self) -> int:
        return self.t

    def sigma(self, theta: npt.NDArray[np.complex128] | FloatArray) -> npt.NDArray[np.complex128]:
        r = _acf_from_pacf(np.tanh(np.asarray(theta[1:], dtype=np.complex128)))
        return np.asarray(np.exp(theta[0]) * r[_lag(self.t)], dtype=np.complex128)

    def start(self, sigma0: FloatArray) -> FloatArray:
        lag = _lag(self.t)
        var = float(np.mean(np.diag(sigma0)))
        acf = np.array([np.mean(sigma0[lag == k]) for k in range(self.t)]) / var
        acf[0] = 1.0
        pacf = _pacf_from_acf(acf)
        if pacf is None:
            pacf = np.zeros(self.t - 1)
        return np.concatenate([[np.log(var)], np.arctanh(np.clip(pacf, -0.95, 0.95))])

    def natural(self, sigma: FloatArray) -> FloatArray:
        return np.asarray(sigma[0, :], dtype=np.float64)

    def from_natural(self, nat: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        lag = _lag(self.t)
        d1 = np.stack([(lag == k).astype(np.float64) for k in range(self.t)])
        sig = nat[lag]
        return sig, d1, np.zeros((self.t, self.t, self.t, self.t))


class AR1(Structure):
    name: CovarianceName = "ar1"
    linear = False

    @property
    def n_natural(self) -> int:
        return 2

    def sigma(self, theta: npt.NDArray[np.complex128] | FloatArray) -> npt.NDArray[np.complex128]:
        rho = np.tanh(theta[1])
        return np.asarray(np.exp(theta[0]) * rho ** _lag(self.t), dtype=np.complex128)

    def start(self, sigma0: FloatArray) -> FloatArray:
        var = float(np.mean(np.diag(sigma0)))
        lag1 = float(np.mean(np.diagonal(sigma0, offset=1))) / var
        return np.array([np.log(var), np.arctanh(np.clip(lag1, -0.9, 0.9))])

    def natural(self, sigma: FloatArray) -> FloatArray:
        var = float(sigma[0, 0])
        return np.array([var, float(sigma[0, 1]) / var])

    def from_natural(self, nat: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        var, rho = float(nat[0]), float(nat[1])
        lag = _lag(self.t).astype(np.float64)
        r = rho**lag
        dr = np.where(lag >= 1, lag * rho ** np.maximum(lag - 1, 0), 0.0)
        d2r = np.where(lag >= 2, lag * (lag - 1) * rho ** np.maximum(lag - 2, 0), 0.0)
        d1 = np.stack([r, var * dr])
        d2 = np.zeros((2, 2, self.t, self.t))
        d2[0, 1] = d2[1, 0] = dr
        d2[1, 1] = var * d2r
        return var * r, d1, d2


class CompoundSymmetry(Structure):
    name: CovarianceName = "compound_symmetry"

    @property
    def n_natural(self) -> int:
        return 2

    def _low(self) -> float:
        return -1.0 / (self.t - 1)

    def sigma(self, theta: npt.NDArray[np.complex128] | FloatArray) -> npt.NDArray[np.complex128]:
        low = self._low()
        rho = low + (1 - low) / (1 + np.exp(-theta[1]))
        eye = np.eye(self.t)
        return np.asarray(np.exp(theta[0]) * ((1 - rho) * eye + rho), dtype=np.complex128)

    def start(self, sigma0: FloatArray) -> FloatArray:
        var = float(np.mean(np.diag(sigma0)))
        off = float(np.mean(sigma0[~np.eye(self.t, dtype=bool)])) / var
        low = self._low()
        frac = np.clip((off - low) / (1 - low), 0.05, 0.95)
        return np.array([np.log(var), np.log(frac / (1 - frac))])

    def natural(self, sigma: FloatArray) -> FloatArray:
        cov = float(sigma[0, 1])
        return np.array([cov, float(sigma[0, 0]) - cov])

    def from_natural(self, nat: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        eye = np.eye(self.t)
        d1 = np.stack([np.ones((self.t, self.t)), eye])
        return nat[0] + nat[1] * eye, d1, np.zeros((2, 2, self.t, self.t))


_CLASSES: dict[str, type[Structure]] = {
    "unstructured": Unstructured,
    "toeplitz": Toeplitz,
    "ar1": AR1,
    "compound_symmetry": CompoundSymmetry,
}


def make_structure(name: str, t: int) -> Structure:
    """The structure ``name`` over ``t`` visits (with one visit every structure is one
    variance, fitted as ``unstructured``)."""
    if name not in _CLASSES:
        raise ValidationError(
            "covariance", name, Expected("one of %(values)s", values=", ".join(STRUCTURES))
        )
    if t == 1:
        return Unstructured(1)
    return _CLASSES[name](t)
