"""Result types of :mod:`autoserum.stats`: frozen dataclasses with stable snake_case names.

Every result has ``to_dict()`` returning plain Python values (``float``, ``int``, ``str``,
``bool``, ``None``, lists and dicts) ready for JSON; a non-finite float (``nan``) becomes
``None`` there, never a rounded or invented number.

>>> Estimate(1.5, 0.5, 0.5, 2.5, 3.0, 10.0, 0.01).to_dict()["ci_high"]
2.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np

__all__ = [
    "Coefficient",
    "Describe",
    "Estimate",
    "MIResult",
    "MMRMResult",
    "Pooled",
    "RankTest",
    "TTest",
    "TippingPoint",
    "TippingRow",
    "VisitEstimate",
]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, _Result):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    return value


class _Result:
    """Mixin: ``to_dict()`` over the dataclass fields, in declaration order."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Describe(_Result):
    """Descriptive statistics of one sample (missing values removed).

    ``q1``/``q3`` are R's ``quantile(x, c(.25, .75), type = 7)``; the CI is the t-based
    ``mean ± qt(1 - α/2, n - 1) · se``. ``sd``, ``se`` and the CI are ``nan`` when ``n < 2``.
    """

    n: int
    mean: float
    sd: float
    se: float
    ci_low: float
    ci_high: float
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class TTest(_Result):
    """A t-test as R ``t.test``: estimate (mean or difference in means), its standard error,
    the confidence interval, ``t`` statistic, degrees of freedom and two-sided p-value."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    df: float
    p_value: float


@dataclass(frozen=True)
class RankTest(_Result):
    """A Wilcoxon test as R ``wilcox.test(..., conf.int = TRUE)``: ``statistic`` is R's V
    (signed rank) or W (rank sum), ``estimate`` the Hodges–Lehmann estimate, ``method``
    ``"exact"`` or ``"normal"`` (normal approximation, with continuity correction when
    ``correct``)."""

    statistic: float
    p_value: float
    estimate: float
    ci_low: float
    ci_high: float
    method: Literal["exact", "normal"]


@dataclass(frozen=True)
class Estimate(_Result):
    """An estimate with standard error, confidence interval, test statistic, degrees of freedom
    and two-sided p-value; a field a method does not produce is ``None``."""

    estimate: float
    se: float | None
    ci_low: float
    ci_high: float
    statistic: float | None
    df: float | None
    p_value: float | None


@dataclass(frozen=True)
class Coefficient(_Result):
    """One named model coefficient (e.g. an MMRM covariate) with SE, CI, t, df and p."""

    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    df: float
    p_value: float


@dataclass(frozen=True)
class VisitEstimate(_Result):
    """The MMRM treatment − control difference in least-squares means at one visit: estimate,
    SE, CI, t statistic, denominator df (by the fit's ``df_method``) and two-sided p-value."""

    visit: Any
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    df: float
    p_value: float


@dataclass(frozen=True)
class MMRMResult(_Result):
    """An MMRM fit: per-visit differences (visits in sorted order), whether the REML optimiser
    converged, the REML log-likelihood as ``logLik(nlme::gls(...))`` reports it, counts, the
    estimated within-subject covariance (T × T), its structure, the df method and the
    covariates' coefficients (name → estimate, SE, CI, t, df, p)."""

    per_visit: tuple[VisitEstimate, ...]
    converged: bool
    log_lik: float
    n_subjects: int
    n_observations: int
    covariance: tuple[tuple[float, ...], ...]
    covariance_structure: str = "unstructured"
    df_method: str = "residual"
    covariate_effects: tuple[Coefficient, ...] = ()


@dataclass(frozen=True)
class Pooled(_Result):
    """A multiply imputed estimate pooled by Rubin's rules (R ``mice::pool``): estimate (Q̄),
    SE (√T), CI, t, Barnard–Rubin df and p; the number of imputations, within (Ū), between (B)
    and total (T) variance, relative increase in variance, λ, fraction of missing information
    and the complete-data df used (``inf`` for none)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    df: float
    p_value: float
    m: int
    within: float
    between: float
    total: float
    riv: float
    lambda_: float
    fmi: float
    df_complete: float


@dataclass(frozen=True)
class MIResult(_Result):
    """A multiple-imputation estimate of the treatment effect at one visit: the strategy
    (``MAR``, ``J2R``, ``CR``, ``CIR``), parameter draws, seed, δ shift, subjects analysed,
    outcomes imputed at that visit and the Rubin-pooled ANCOVA estimate."""

    visit: Any
    strategy: str
    method: str
    seed: int
    delta: float
    n_subjects: int
    n_imputed: int
    pooled: Pooled


@dataclass(frozen=True)
class TippingRow(_Result):
    """The pooled estimate, SE and p-value with δ added to imputed treated outcomes."""

    delta: float
    estimate: float
    se: float
    p_value: float


@dataclass(frozen=True)
class TippingPoint(_Result):
    """A δ-adjusted tipping-point analysis: ``delta`` is where the p-value reaches ``alpha``
    (``nan`` when not significant at δ = 0); ``rows`` the grid of δ."""

    visit: Any
    strategy: str
    method: str
    seed: int
    m: int
    alpha: float
    delta: float
    rows: tuple[TippingRow, ...]
