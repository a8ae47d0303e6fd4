"""Exact null distributions of the Wilcoxon statistics, computed as R's ``nmath`` does.

``psignrank``/``qsignrank`` (signed rank V) and ``pwilcox``/``qwilcox`` (rank sum W) follow
R's ``src/nmath/signrank.c`` and ``wilcox.c``: frequencies are exact integers here (R keeps
them in doubles, exact for the sizes where R uses the exact branch, n < 50), and the quantile
search accumulates probabilities term by term with R's ``10 * DBL_EPSILON`` fuzz.
"""

from __future__ import annotations

import math
from functools import lru_cache

__all__ = ["psignrank", "psignrank_upper", "pwilcox", "pwilcox_upper", "qsignrank", "qwilcox"]

_EPS = 2.220446049250313e-16


@lru_cache(maxsize=64)
def _signrank_counts(n: int) -> tuple[int, ...]:
    """Number of subsets of {1..n} with each sum 0..n(n+1)/2 (R: ``csignrank``)."""
    total = n * (n + 1) // 2
    counts = [0] * (total + 1)
    counts[0] = 1
    top = 0
    for i in range(1, n + 1):
        top += i
        for k in range(top, i - 1, -1):
            counts[k] += counts[k - i]
    return tuple(counts)


@lru_cache(maxsize=64)
def _wilcox_counts(m: int, n: int) -> tuple[int, ...]:
    """Frequencies of W = 0..m·n for sample sizes m, n (R: ``cwilcox``): the coefficients of
    the Gaussian binomial ``prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)``."""
    size = m * n
    coef = [0] * (size + 1)
    coef[0] = 1
    for i in range(1, m + 1):
        shift = n + i
        for k in range(size, shift - 1, -1):  # times (1 - q^(n+i))
            coef[k] -= coef[k - shift]
        for k in range(i, size + 1):  # divided by (1 - q^i)
            coef[k] += coef[k - i]
    return tuple(coef)


def psignrank(q: float, n: int) -> float:
    """P(V <= q) for the signed rank statistic of n observations."""
    counts = _signrank_counts(n)
    k = math.floor(q + 1e-7)
    if k < 0:
        return 0.0
    if k >= len(counts) - 1:
        return 1.0
    return sum(counts[: k + 1]) / float(1 << n)


def psignrank_upper(q: float, n: int) -> float:
    """P(V > q), summed over the upper tail (R: ``psignrank(q, n, lower.tail = FALSE)``)."""
    counts = _signrank_counts(n)
    k = math.floor(q + 1e-7)
    if k < 0:
        return 1.0
    if k >= len(counts) - 1:
        return 0.0
    return sum(counts[k + 1 :]) / float(1 << n)


def qsignrank(p: float, n: int) -> int:
    """Smallest q with P(V <= q) >= p, for p <= 0.5 (R: ``qsignrank``)."""
    counts = _signrank_counts(n)
    f = math.exp(-n * math.log(2.0))
    return _quantile([c * f for c in counts], p, len(counts) - 1)


def pwilcox(q: float, m: int, n: int) -> float:
    """P(W <= q) for the rank sum statistic with sample sizes m, n."""
    counts = _wilcox_counts(m, n)
    k = math.floor(q + 1e-7)
    if k < 0:
        return 0.0
    if k >= m * n:
        return 1.0
    return sum(counts[: k + 1]) / math.comb(m + n, n)


def pwilcox_upper(q: float, m: int, n: int) -> float:
    """P(W > q) (R: ``pwilcox(q, m, n, lower.tail = FALSE)``)."""
    counts = _wilcox_counts(m, n)
    k = math.floor(q + 1e-7)
    if k < 0:
        return 1.0
    if k >= m * n:
        return 0.0
    return sum(counts[k + 1 :]) / math.comb(m + n, n)


def qwilcox(p: float, m: int, n: int) -> int:
    """Smallest q with P(W <= q) >= p, for p <= 0.5 (R: ``qwilcox``)."""
    counts = _wilcox_counts(m, n)
    c = float(math.comb(m + n, n))
    return _quantile([float(k) / c for k in counts], p, m * n)


def _quantile(probs: list[float], p: float, top: int) -> int:
    """R's quantile search: accumulate until the sum reaches ``p`` (with fuzz)."""
    if p <= 0.5:
        target = p - 10 * _EPS
        acc = 0.0
        q = 0
        while True:
            acc += probs[q]
            if acc >= target:
                return q
            q += 1
    target = 1 - p + 10 * _EPS
    acc = 0.0
    q = 0
    while True:
        acc += probs[q]
        if acc > target:
            return top - q
        q += 1
