"""Analytic sample size and power, as R's ``power.t.test`` and ``power.prop.test``.

t tests use the noncentral t exactly as R does: power = P(T' > t_{1−α/2, ν}) with
ν = (n − 1)·s (s = 1 one-sample/paired, 2 two-sample), noncentrality √(n/s)·δ/σ, plus the
lower tail when ``strict`` (R's default ``strict = FALSE`` omits it). Proportions use R's
normal approximation. The sample size solves power(n) = target for continuous n (as R's
``uniroot``); ``n_ceiling`` rounds it up.

Designs of the protocol library:

- ``paired``: single-arm, one-sample t on the change from baseline (SD of the change);
- ``two_sample``: two-arm parallel on the change (SD of the change), per-group n;
- ``ancova``: two-arm with baseline adjustment, SD deflated by √(1 − ρ²) (ρ: baseline–endpoint
  correlation; Borm GF et al. J Clin Epidemiol 2007;60:1234–8), per-group n;
- ``proportions``: responder proportions, per-group n.

Reference: R Core Team, ``stats::power.t.test``; Chow SC, Shao J, Wang H. Sample Size
Calculations in Clinical Research, 3rd ed., ch. 3–4.

>>> res = power_t_test("two_sample", delta=9.6, sd=10, n=15)
>>> round(res.power, 4)
0.7184
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from scipy import optimize, stats

from autoserum.design._json import json_ready
from autoserum.errors import Expected, Message, StatisticsError, ValidationError

__all__ = ["DESIGNS_ANALYTIC", "PowerResult", "power_prop_test", "power_t_test"]

DESIGNS_ANALYTIC = ("paired", "two_sample", "ancova", "proportions")
_N_MAX = 1e7


@dataclass(frozen=True)
class PowerResult:
    """Sample size per group (``n``; total ``n_total``) and power for one design."""

    design: str
    n: float
    n_ceiling: int
    n_total: int
    power: float
    sig_level: float
    parameters: dict[str, float]
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (a non-finite float is ``None``)."""
        return dict(json_ready(asdict(self)))


def _check_prob(field: str, value: float) -> None:
    if not (0 < value < 1):
        raise ValidationError(field, value, Expected("a number strictly between 0 and 1"))


def _t_tail(q: float, nu: float, ncp: float) -> float:
    """P(T' > q) for the noncentral t(ν, ncp), finite at any ν and ncp.

    SciPy's ``nct`` can return NaN far in a tail (large ν or |ncp|). Where it does, the
    probability is bounded by the normal one it tends to: P(T' > q) ≤ P(Z > −ncp) for q ≥ 0,
    and below 1e-300 a NaN is the underflow of a number that adds nothing to a power.
    """
    p = float(stats.nct.sf(q, nu, ncp))
    if math.isfinite(p):
        return min(max(p, 0.0), 1.0)
    bound = float(stats.norm.sf(-ncp))  # P(Z + ncp > 0) ≥ P(T' > q) when q ≥ 0
    if bound < 1e-300:
        return 0.0
    complement = float(stats.nct.cdf(q, nu, ncp))
    if math.isfinite(complement):
        return min(max(1.0 - complement, 0.0), 1.0)
    # the normal limit of T' as ν → ∞ (the only region left: ν beyond SciPy's series)
    return float(stats.norm.sf(q - ncp))


def _t_power(n: float, groups: int, delta: float, sd: float, alpha: float, strict: bool) -> float:
    nu = (n - 1) * groups
    ncp = math.sqrt(n / groups) * delta / sd
    q = float(stats.t.isf(alpha / 2, nu))
    p = _t_tail(q, nu, ncp)
    if strict:
        # lower tail P(T' < −q) = P(T'(−ncp) > q) by symmetry; SciPy's ``nct.cdf`` far in the
        # lower tail returns NaN at large ν (issue 16), its upper tail does not
        p += _t_tail(q, nu, -ncp)
    return min(p, 1.0)


def _solve_n(power_of_n: Callable[[float], float], target: float, lower: float) -> float:
    def f(n: float) -> float:
        return power_of_n(n) - target

    if f(lower) > 0:
        return lower
    if f(_N_MAX) < 0:
        raise StatisticsError(
            Message(
                "power %(power)s is not reached with n <= %(n)s per group",
                power=target,
                n=f"{_N_MAX:g}",
            )
        )
    try:
        return float(optimize.brentq(f, lower, _N_MAX, xtol=1e-12, rtol=1e-14))
    except (ValueError, RuntimeError) as err:  # NaN from a distribution, or no convergence
        raise StatisticsError(
            Message(
                "the sample size for power %(power)s was not found: %(error)s",
                power=target,
                error=err,
            )
        ) from None


def power_t_test(
    design: str,
    *,
    delta: float,
    sd: float,
    n: float | None = None,
    power: float | None = None,
    sig_level: float = 0.05,
    rho: float | None = None,
    strict: bool = False,
) -> PowerResult:
    """Power for ``n`` per group, or the n per group for ``power`` (two-sided t test).

    ``design``: ``paired``, ``two_sample`` or ``ancova`` (needs ``rho``). ``sd`` is the SD of
    the change (paired, two_sample) or of the outcome (ancova).
    """
    if design not in ("paired", "two_sample", "ancova"):
        raise ValidationError("design", design, Expected("one of paired, two_sample, ancova"))
    if (n is None) == (power is None):
        raise ValidationError("n", n, Expected("exactly one of n or power"))
    if not sd > 0:
        raise ValidationError("sd", sd, Expected("a standard deviation > 0"))
    if delta == 0:
        raise ValidationError("delta", delta, Expected("a non-zero difference to detect"))
    _check_prob("sig_level", sig_level)
    sd_eff = sd
    params: dict[str, float] = {"delta": delta, "sd": sd}
    if design == "ancova":
        if rho is None or not -1 < rho < 1:
            raise ValidationError(
                "rho", rho, Expected("a baseline-endpoint correlation in (-1, 1)")
            )
        sd_eff = sd * math.sqrt(1 - rho**2)
        params |= {"rho": rho, "sd_effective": sd_eff}
    groups = 1 if design == "paired" else 2
    delta = abs(delta)

    def pw(m: float) -> float:
        return _t_power(m, groups, delta, sd_eff, sig_level, strict)

    if n is not None:
        if not n >= 2:
            raise ValidationError("n", n, Expected("at least 2 per group"))
        size, pow_ = float(n), pw(float(n))
    elif power is not None:
        _check_prob("power", power)
        if power <= sig_level / 2:
            raise ValidationError(
                "power",
                power,
                Expected("a target above sig_level/2 = %(value)s", value=sig_level / 2),
            )
        size = _solve_n(pw, power, 2.0)
        pow_ = pw(size)
    ceiling = math.ceil(size - 1e-9)
    method = (
        f"{'one-sample (paired)' if groups == 1 else 'two-sample'} t test, noncentral t"
        f"{' (both tails)' if strict else ''}; as R power.t.test"
        + ("; SD x sqrt(1 - rho^2) for ANCOVA" if design == "ancova" else "")
    )
    return PowerResult(
        design=design,
        n=size,
        n_ceiling=ceiling,
        n_total=ceiling * groups,
        power=pow_,
        sig_level=sig_level,
        parameters=params,
        method=method,
    )


def power_prop_test(
    *,
    p1: float,
    p2: float,
    n: float | None = None,
    power: float | None = None,
    sig_level: float = 0.05,
    strict: bool = False,
) -> PowerResult:
    """Two-proportion power or per-group n, as R ``power.prop.test`` (normal approximation).

    >>> round(power_prop_test(p1=0.6, p2=0.25, power=0.8).n, 4)
    30.1089
    """
    if (n is None) == (power is None):
        raise ValidationError("n", n, Expected("exactly one of n or power"))
    _check_prob("p1", p1)
    _check_prob("p2", p2)
    _check_prob("sig_level", sig_level)
    if p1 == p2:
        raise ValidationError("p2", p2, Expected("a proportion different from p1 = %(p1)s", p1=p1))
    q = float(stats.norm.isf(sig_level / 2))
    pbar_term = (p1 + p2) * (1 - (p1 + p2) / 2)
    sd_alt = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))

    def pw(m: float) -> float:
        z = (math.sqrt(m * (p1 - p2) ** 2) - q * math.sqrt(pbar_term)) / sd_alt
        p = float(stats.norm.cdf(z))
        if strict:
            p += float(
                stats.norm.cdf((-math.sqrt(m * (p1 - p2) ** 2) - q * math.sqrt(pbar_term)) / sd_alt)
            )
        return p

    if n is not None:
        if not n >= 2:
            raise ValidationError("n", n, Expected("at least 2 per group"))
        size, pow_ = float(n), pw(float(n))
    elif power is not None:
        _check_prob("power", power)
        size = _solve_n(pw, power, 2.0)
        pow_ = pw(size)
    ceiling = math.ceil(size - 1e-9)
    return PowerResult(
        design="proportions",
        n=size,
        n_ceiling=ceiling,
        n_total=2 * ceiling,
        power=pow_,
        sig_level=sig_level,
        parameters={"p1": p1, "p2": p2},
        method="two-proportion z test (normal approximation); as R power.prop.test"
        + (" (both tails)" if strict else ""),
    )
