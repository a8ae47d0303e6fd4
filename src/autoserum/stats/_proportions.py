"""Proportions: Wilson score CI, Newcombe's hybrid score CI of a risk difference, Fisher's
exact test, each as R computes them."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from autoserum.errors import Expected, ValidationError
from autoserum.stats._results import Estimate
from autoserum.stats._validate import (
    Alternative,
    check_alternative,
    check_conf_level,
    check_count,
)

__all__ = ["fisher_exact", "newcombe_rd", "wilson_ci"]


def _counts(k: int, n: int, k_name: str, n_name: str) -> tuple[int, int]:
    n = check_count(n, n_name, minimum=1)
    k = check_count(k, k_name)
    if k > n:
        raise ValidationError(
            k_name, k, Expected("a count between 0 and %(n_name)s = %(n)s", n_name=n_name, n=n)
        )
    return k, n


def wilson_ci(k: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion k/n, as R ``prop.test(k, n, correct = FALSE)``.

    Reference: Wilson (1927) JASA 22:209; Newcombe (1998) Stat Med 17:857, method 3.

    >>> tuple(round(v, 6) for v in wilson_ci(7, 20))  # R: prop.test(7, 20, correct = FALSE)
    (0.181192, 0.567146)
    """
    level = check_conf_level(conf_level)
    k, n = _counts(k, n, "k", "n")
    p = k / n
    z = float(sps.norm.ppf((1 + level) / 2))
    z22n = z**2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z22n / (2 * n))
    high = 1.0 if p >= 1 else (p + z22n + spread) / (1 + 2 * z22n)
    low = 0.0 if p <= 0 else (p + z22n - spread) / (1 + 2 * z22n)
    return max(low, 0.0), min(high, 1.0)


def newcombe_rd(k1: int, n1: int, k2: int, n2: int, conf_level: float = 0.95) -> Estimate:
    """Risk difference p1 − p2 with Newcombe's hybrid score interval (method 10, no continuity
    correction), built from the two Wilson intervals.

    Reference: Newcombe (1998) Stat Med 17:873, method 10. R: computed from
    ``prop.test(k, n, correct = FALSE)$conf.int`` of each arm (see the reference script).

    >>> r = newcombe_rd(56, 70, 48, 80)
    >>> # Newcombe (1998) Table II, example (c), method 10: 0.0524 to 0.3339
    >>> (round(r.estimate, 4), round(r.ci_low, 4), round(r.ci_high, 4))
    (0.2, 0.0524, 0.3339)
    """
    k1, n1 = _counts(k1, n1, "k1", "n1")
    k2, n2 = _counts(k2, n2, "k2", "n2")
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_ci(k1, n1, conf_level)
    l2, u2 = wilson_ci(k2, n2, conf_level)
    rd = p1 - p2
    return Estimate(
        estimate=rd,
        se=None,
        ci_low=rd - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        ci_high=rd + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
        statistic=None,
        df=None,
        p_value=None,
    )


def fisher_exact(
    k1: int, n1: int, k2: int, n2: int, *, alternative: Alternative = "two-sided"
) -> float:
    """p-value of Fisher's exact test of the 2×2 table [[k1, n1−k1], [k2, n2−k2]], as R
    ``fisher.test``: two-sided, the sum of the probabilities of all tables (same margins) no
    more likely than the observed one, with R's relative tolerance 1e-7; ``less`` (odds ratio
    below 1, arm 1 responds less) P(X ≤ k1), ``greater`` P(X ≥ k1) under the hypergeometric
    distribution.

    Reference: Agresti (2002) *Categorical Data Analysis* §3.5; R ``fisher.test(matrix(...))``.

    >>> round(fisher_exact(3, 4, 1, 4), 6)  # R: fisher.test(matrix(c(3, 1, 1, 3), 2))
    0.485714
    >>> round(fisher_exact(3, 4, 1, 4, alternative="greater"), 6)  # R: ..., alternative = "g"
    0.242857
    """
    side = check_alternative(alternative)
    k1, n1 = _counts(k1, n1, "k1", "n1")
    k2, n2 = _counts(k2, n2, "k2", "n2")
    m = k1 + k2  # first column total
    n = (n1 - k1) + (n2 - k2)  # second column total
    k = n1  # first row total
    lo, hi = max(0, k - n), min(k, m)
    if side == "less":
        return float(sps.hypergeom.cdf(k1, m + n, m, k))
    if side == "greater":
        return float(sps.hypergeom.sf(k1 - 1, m + n, m, k))
    support = np.arange(lo, hi + 1)
    logdc = sps.hypergeom.logpmf(support, m + n, m, k)
    d = np.exp(logdc - logdc.max())
    d = d / d.sum()
    p = float(np.sum(d[d <= d[k1 - lo] * (1 + 1e-7)]))
    return max(0.0, min(1.0, p))
