"""Result types of the time-to-event methods (frozen dataclasses, ``to_dict()`` as in
``_results``).

>>> KMRow(1.0, 10, 1, 0, 0.9, 0.09, 0.74, 1.0).to_dict()["n_risk"]
10
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autoserum.stats._results import _Result

__all__ = ["CoxResult", "CoxTerm", "KMCurve", "KMRow", "KaplanMeier", "LogRank", "PHTest"]


@dataclass(frozen=True)
class KMRow(_Result):
    """One distinct time of a Kaplan–Meier curve, as a row of ``summary(survfit(...),
    censored = TRUE)``: at risk, events, censored, S(t), its Greenwood SE and CI."""

    time: float
    n_risk: int
    n_event: int
    n_censor: int
    survival: float
    se: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class KMCurve(_Result):
    """The curve of one group: counts, the median survival time with its CI (``nan`` when not
    reached, as R's ``NA``) and the rows."""

    group: Any
    n: int
    events: int
    median: float
    median_ci_low: float
    median_ci_high: float
    rows: tuple[KMRow, ...]


@dataclass(frozen=True)
class KaplanMeier(_Result):
    """Kaplan–Meier curves, one per group (sorted), with the CI type and level."""

    curves: tuple[KMCurve, ...]
    conf_type: str
    conf_level: float


@dataclass(frozen=True)
class LogRank(_Result):
    """The log-rank test as ``survival::survdiff``: groups (sorted), observed and expected
    events per group, chi-square, its df (groups − 1) and p-value."""

    groups: tuple[Any, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class CoxTerm(_Result):
    """One Cox coefficient: log hazard ratio, SE, hazard ratio with CI, Wald z and p."""

    name: str
    coef: float
    se: float
    hazard_ratio: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float


@dataclass(frozen=True)
class PHTest(_Result):
    """A proportional-hazards test of ``survival::cox.zph`` for one term (or ``GLOBAL``)."""

    term: str
    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class CoxResult(_Result):
    """A Cox model as ``survival::coxph`` (Efron ties): terms, the likelihood-ratio, Wald and
    score (log-rank) tests with df, counts, convergence and the ``cox.zph`` checks."""

    terms: tuple[CoxTerm, ...]
    log_lik: float
    log_lik_null: float
    lr_statistic: float
    wald_statistic: float
    score_statistic: float
    df: int
    lr_p_value: float
    wald_p_value: float
    score_p_value: float
    n: int
    events: int
    converged: bool
    ph_transform: str
    ph_tests: tuple[PHTest, ...]
