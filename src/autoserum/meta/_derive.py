"""Effect sizes from what trials report, each recording how it was derived.

Methods (Cochrane Handbook for Systematic Reviews of Interventions v6.4):

- SE from a confidence interval: (upper − lower) / (2 q), q the normal quantile, or for small
  samples the t quantile with the trial's df (6.5.2.3); on the log scale for ratios (6.3.1).
- SE from an exact p-value: |estimate| / q(1 − p/2), z or t (6.3.2, 6.5.2.3).
- Hedges' g from a t statistic: d = t √(1/n1 + 1/n2), g = J(n1 + n2 − 2)·d,
  v = 1/n1 + 1/n2 + g²/(2(n1 + n2)) (as ``metafor::escalc("SMD", ti =)``); from an exact p,
  t = q_t(1 − p/2, n1 + n2 − 2) with the direction stated.
- SD of a change from baseline: √(SD_b² + SD_e² − 2 r SD_b SD_e), r assumed (6.5.2.8).
- Counts from a percentage and an arm size: round(p·n), kept only when it reproduces the
  printed percentage at its printed precision; always flagged as derived.
- log OR to SMD: SMD = ln(OR)·√3/π, v = v_lnOR·3/π² (Chinn 2000; 10.6).

>>> eff = effect_from_ci("MD", -13.5, -20.4, -6.6, df=28)
>>> eff.derived, eff.method, round(eff.se, 4)
(True, 'se_from_ci_t', 3.3685)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scipy import stats

from autoserum.errors import Expected, ValidationError
from autoserum.meta._escalc import escalc_counts, escalc_means, hedges_correction

__all__ = [
    "DerivedEffect",
    "binary_effect",
    "count_from_percent",
    "effect_from_ci",
    "effect_from_means",
    "effect_from_p",
    "log_or_to_smd",
    "sd_of_change",
    "se_from_ci",
    "se_from_p",
    "smd_from_p",
    "smd_from_t",
    "smd_residual_to_raw",
]


@dataclass(frozen=True)
class DerivedEffect:
    """One study's effect size (log scale for RR/OR) with its provenance.

    ``derived`` is True when anything beyond reported arm summaries or counts was computed
    (an SE from a CI or p, counts from percentages, a conversion); ``method`` is a stable code
    and ``description`` the formula with its numbers.
    """

    measure: str
    yi: float
    vi: float
    method: str
    description: str
    derived: bool
    inputs: Mapping[str, float] = field(default_factory=dict)

    @property
    def se(self) -> float:
        """Standard error, √vi."""
        return math.sqrt(self.vi)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "measure": self.measure,
            "yi": self.yi,
            "vi": self.vi,
            "se": self.se,
            "method": self.method,
            "description": self.description,
            "derived": self.derived,
            "inputs": dict(self.inputs),
        }


def _quantile(prob: float, df: float | None) -> float:
    if df is None:
        return float(stats.norm.ppf(prob))
    if not df > 0:
        raise ValidationError("df", df, Expected("degrees of freedom > 0"))
    return float(stats.t.ppf(prob, df))


def se_from_ci(
    low: float, high: float, *, level: float = 0.95, df: float | None = None, log: bool = False
) -> float:
    """SE from a CI: (high − low)/(2 q_{1−α/2}); ``log=True`` for ratio measures.

    >>> round(se_from_ci(4.2, 14.9), 4)
    2.7296
    """
    if not 0 < level < 1:
        raise ValidationError("level", level, Expected("a confidence level between 0 and 1"))
    if not high > low:
        raise ValidationError(
            "ci_high", high, Expected("an upper limit above the lower limit %(low)s", low=low)
        )
    if log:
        if not low > 0:
            raise ValidationError("ci_low", low, Expected("a ratio CI limit > 0"))
        low, high = math.log(low), math.log(high)
    return (high - low) / (2 * _quantile(1 - (1 - level) / 2, df))


def se_from_p(estimate: float, p_value: float, *, df: float | None = None) -> float:
    """SE from an exact two-sided p-value: |estimate| / q(1 − p/2).

    >>> round(se_from_p(9.6, 0.001, df=28), 4)
    2.613
    """
    if not 0 < p_value < 1:
        raise ValidationError(
            "p_value", p_value, Expected("an exact p-value strictly between 0 and 1")
        )
    if estimate == 0:
        raise ValidationError(
            "estimate", estimate, Expected("a non-zero estimate to derive an SE from p")
        )
    return abs(estimate) / _quantile(1 - p_value / 2, df)


def effect_from_ci(
    measure: str,
    estimate: float,
    low: float,
    high: float,
    *,
    level: float = 0.95,
    df: float | None = None,
) -> DerivedEffect:
    """An effect (e.g. an ANCOVA-adjusted MD) reported with its CI; ratios given unlogged."""
    ratio = measure in ("RR", "OR")
    se = se_from_ci(low, high, level=level, df=df, log=ratio)
    yi = math.log(estimate) if ratio else estimate
    how = "t" if df is not None else "z"
    q = f"t({df:g})" if df is not None else "z"
    return DerivedEffect(
        measure=measure,
        yi=yi,
        vi=se**2,
        method=f"se_from_ci_{how}",
        description=(
            f"SE = ({'ln ' if ratio else ''}{high:g} − {'ln ' if ratio else ''}{low:g})"
            f" / (2 × {q} quantile) = {se:.4g} (Cochrane 6.5.2.3)"
        ),
        derived=True,
        inputs={"estimate": estimate, "ci_low": low, "ci_high": high, "level": level}
        | ({"df": df} if df is not None else {}),
    )


def effect_from_p(
    measure: str, estimate: float, p_value: float, *, df: float | None = None
) -> DerivedEffect:
    """An effect reported with an exact p-value only: SE = |estimate| / q(1 − p/2)."""
    se = se_from_p(estimate, p_value, df=df)
    how = "t" if df is not None else "z"
    return DerivedEffect(
        measure=measure,
        yi=estimate,
        vi=se**2,
        method=f"se_from_p_{how}",
        description=f"SE = |{estimate:g}| / {how}(1 − {p_value:g}/2) = {se:.4g} (Cochrane 6.3.2)",
        derived=True,
        inputs={"estimate": estimate, "p_value": p_value} | ({"df": df} if df else {}),
    )


def smd_from_t(t: float, n1: float, n2: float) -> DerivedEffect:
    """Hedges' g from a two-sample t statistic (as ``metafor::escalc("SMD", ti=)``)."""
    for name, n in (("n1", n1), ("n2", n2)):
        if not n >= 2:
            raise ValidationError(name, n, Expected("an arm size >= 2"))
    d = t * math.sqrt(1 / n1 + 1 / n2)
    g = hedges_correction(n1 + n2 - 2) * d
    vi = 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))
    return DerivedEffect(
        measure="SMD",
        yi=g,
        vi=vi,
        method="smd_from_t",
        description=f"g = J × t √(1/n1 + 1/n2) with t = {t:.4g}, n = {n1:g}/{n2:g}",
        derived=True,
        inputs={"t": t, "n1": n1, "n2": n2},
    )


def smd_from_p(p_value: float, n1: float, n2: float, *, favours_arm1: bool) -> DerivedEffect:
    """Hedges' g from an exact two-sided p of a two-sample t test; the sign from the report.

    ``favours_arm1=True`` gives g < 0 (arm 1 lower: less severe on a severity scale).
    """
    if not 0 < p_value < 1:
        raise ValidationError(
            "p_value", p_value, Expected("an exact p-value strictly between 0 and 1")
        )
    t = float(stats.t.ppf(1 - p_value / 2, n1 + n2 - 2))
    eff = smd_from_t(-t if favours_arm1 else t, n1, n2)
    return DerivedEffect(
        measure="SMD",
        yi=eff.yi,
        vi=eff.vi,
        method="smd_from_p_t",
        description=(
            f"t = q_t(1 − {p_value:g}/2, {n1 + n2 - 2:g}) = {t:.4g}; g = J × t √(1/n1 + 1/n2)"
            " (Cochrane 6.5.2.3; assumes the p is from a two-sample t test)"
        ),
        derived=True,
        inputs={"p_value": p_value, "n1": n1, "n2": n2},
    )


def effect_from_means(
    measure: str, m1: float, sd1: float, n1: float, m2: float, sd2: float, n2: float
) -> DerivedEffect:
    """MD or SMD from reported arm means/SDs (endpoint or change scores): not derived."""
    es = escalc_means(measure, [m1], [sd1], [n1], [m2], [sd2], [n2])
    return DerivedEffect(
        measure=measure,
        yi=float(es.yi[0]),
        vi=float(es.vi[0]),
        method=f"escalc_{measure.lower()}",
        description=f"escalc('{measure}') from arm means/SDs {m1:g}±{sd1:g} (n={n1:g}) vs "
        f"{m2:g}±{sd2:g} (n={n2:g})",
        derived=False,
        inputs={"m1": m1, "sd1": sd1, "n1": n1, "m2": m2, "sd2": sd2, "n2": n2},
    )


def sd_of_change(sd_baseline: float, sd_endpoint: float, correlation: float) -> float:
    """SD of the change from baseline given an assumed correlation r (Cochrane 6.5.2.8).

    >>> round(sd_of_change(4, 5, 0.5), 6)
    4.582576
    """
    if not -1 <= correlation <= 1:
        raise ValidationError(
            "correlation", correlation, Expected("a correlation between -1 and 1")
        )
    for name, sd in (("sd_baseline", sd_baseline), ("sd_endpoint", sd_endpoint)):
        if not sd >= 0:
            raise ValidationError(name, sd, Expected("an SD >= 0"))
    var = sd_baseline**2 + sd_endpoint**2 - 2 * correlation * sd_baseline * sd_endpoint
    return math.sqrt(max(var, 0.0))


def count_from_percent(percent: float, n: int, *, decimals: int = 0) -> int:
    """Events from a printed percentage of ``n``; refuses a count that does not reproduce it.

    >>> count_from_percent(11.5, 26, decimals=1)
    3
    """
    if not 0 <= percent <= 100:
        raise ValidationError("percent", percent, Expected("a percentage between 0 and 100"))
    if n < 1:
        raise ValidationError("n", n, Expected("an arm size >= 1"))
    count = round(percent / 100 * n)
    if round(100 * count / n, decimals) != round(percent, decimals):
        raise ValidationError(
            "percent",
            percent,
            Expected(
                "a percentage of n = %(n)s printed to %(decimals)s decimals "
                "(%(count)s/%(n)s = %(percent)s%%)",
                n=n,
                decimals=decimals,
                count=count,
                percent=f"{100 * count / n:.{decimals + 2}f}",
            ),
        )
    return count


def binary_effect(
    measure: str, e1: float, n1: float, e2: float, n2: float, *, counts_derived: bool
) -> DerivedEffect:
    """log RR, log OR or RD from events/arm sizes (metafor ``escalc``, 1/2 added to zero cells)."""
    es = escalc_counts(measure, [e1], [n1 - e1], [e2], [n2 - e2])
    return DerivedEffect(
        measure=measure,
        yi=float(es.yi[0]),
        vi=float(es.vi[0]),
        method=f"escalc_{measure.lower()}" + ("_from_percent" if counts_derived else ""),
        description=f"escalc('{measure}') from {e1:g}/{n1:g} vs {e2:g}/{n2:g}"
        + (" (counts derived from printed percentages)" if counts_derived else ""),
        derived=counts_derived,
        inputs={"e1": e1, "n1": n1, "e2": e2, "n2": n2},
    )


def log_or_to_smd(effect: DerivedEffect) -> DerivedEffect:
    """Re-express a log odds ratio as an SMD: ×√3/π (Chinn 2000; ``escalc("OR2DL")``)."""
    if effect.measure != "OR":
        raise ValidationError("measure", effect.measure, Expected("an OR effect (log scale)"))
    factor = math.sqrt(3) / math.pi
    return DerivedEffect(
        measure="SMD",
        yi=effect.yi * factor,
        vi=effect.vi * factor**2,
        method=effect.method + "+or_to_smd",
        description=effect.description + "; SMD = ln(OR) × √3/π (Chinn 2000, Cochrane 10.6)",
        derived=True,
        inputs=effect.inputs,
    )


def smd_residual_to_raw(effect: DerivedEffect, r: float, n1: float, n2: float) -> DerivedEffect:
    """Re-express an SMD standardised by an ANCOVA residual SD on the raw-SD scale.

    An ANCOVA t gives d = MD/σ_res with σ_res = σ√(1 − r²) (r the baseline-endpoint correlation),
    so d_raw = d·√(1 − r²); v = (1 − r²)(1/n1 + 1/n2) + d_raw²/(2(n1 + n2)) (Cochrane 6.5.2.8,
    10.5.2; Borenstein et al. 2009 ch. 4). r is rarely reported: show r = 0.5, 0.7, 0.8.

    >>> from autoserum.meta import smd_from_t
    >>> raw = smd_residual_to_raw(smd_from_t(-4.0, 15, 15), 0.7, 15, 15)
    >>> round(raw.yi, 4)
    -1.0148
    """
    if not -1 < r < 1:
        raise ValidationError("r", r, Expected("a correlation between -1 and 1"))
    factor = math.sqrt(1 - r * r)
    yi = effect.yi * factor
    vi = (1 - r * r) * (1 / n1 + 1 / n2) + yi**2 / (2 * (n1 + n2))
    return DerivedEffect(
        measure="SMD",
        yi=yi,
        vi=vi,
        method=effect.method + "+residual_to_raw_sd",
        description=f"{effect.description}; x sqrt(1 - r^2) with assumed r = {r:g}",
        derived=True,
        inputs=dict(effect.inputs) | {"r": r},
    )
