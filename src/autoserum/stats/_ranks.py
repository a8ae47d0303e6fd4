"""The standardised Wilcoxon statistics of shifted samples, fast and bit-identical to R.

R's ``wilcox.test`` finds Hodges–Lehmann estimates and CIs in the normal branch by root finding
on ``W(d)``, which re-ranks ``x - d`` at every step (``rank`` + ``table``: O(n log n) with a
large constant). Here the samples are sorted once; for each ``d`` the signed values
``x - d`` split into two runs that are already sorted (``d - x`` for x < d, reversed, and
``x - d`` for x > d), so every rank sum and tie count follows from binary searches.

The results are identical to R's, not merely close: the floating-point values compared are
the same (``|x - d|`` equals ``d - x`` exactly for x < d because rounding is sign-symmetric,
and rounding is monotone so the runs are sorted), and rank sums and tie terms are sums of
multiples of 1/2 that double precision represents exactly, so the order of summation does not
matter. ``tests/stats/test_ranks.py`` checks this against the direct re-ranking.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["continuity", "rank_sum_z", "signed_rank_z", "tie_term"]

FloatArray = npt.NDArray[np.float64]


def _runs(a: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Distinct values of a sorted array and their multiplicities."""
    if a.size == 0:
        return a, np.zeros(0)
    starts = np.flatnonzero(np.concatenate(([True], a[1:] != a[:-1])))
    counts = np.diff(np.append(starts, a.size)).astype(np.float64)
    return a[starts], counts


def _count_equal(sorted_values: FloatArray, probes: FloatArray) -> FloatArray:
    left = np.searchsorted(sorted_values, probes, side="left")
    right = np.searchsorted(sorted_values, probes, side="right")
    return (right - left).astype(np.float64)


def _merge_terms(a: FloatArray, b: FloatArray) -> tuple[float, float]:
    """For sorted arrays a and b: Σ over a of (#b < v) + (#b == v)/2 (the part of a's rank sum
    in the union that comes from b) and R's ``sum(NTIES^3 - NTIES)`` over the union.

    Works on the distinct values of each array (binary searches per distinct value, weighted by
    multiplicity), so heavily tied clinical scores cost little.
    """
    va, ca = _runs(a)
    vb, cb = _runs(b)
    left = np.searchsorted(b, va, side="left")
    equal = (np.searchsorted(b, va, side="right") - left).astype(np.float64)
    below = float(np.sum(ca * left) + np.sum(ca * equal) / 2)
    t = ca + equal
    only_b = cb[_count_equal(a, vb) == 0]
    ties = float(np.sum(t**3 - t) + np.sum(only_b**3 - only_b))
    return below, ties


def tie_term(a: FloatArray, b: FloatArray) -> float:
    """R's ``sum(NTIES^3 - NTIES)`` over the union of two sorted arrays."""
    return _merge_terms(a, b)[1]


def signed_rank_z(xs: FloatArray, d: float, correct: bool, alternative: str = "two-sided") -> float:
    """R's signed-rank ``W(d)``: standardised V of ``x - d`` (zeros dropped); ``xs`` sorted.

    The continuity correction is R's for ``alternative`` (see :func:`continuity`)."""
    j = int(np.searchsorted(xs, d, side="left"))
    k = int(np.searchsorted(xs, d, side="right"))
    neg = (d - xs[:j])[::-1]
    pos = xs[k:] - d
    n_pos = float(pos.size)
    nx = float(neg.size + pos.size)
    below, ties = _merge_terms(pos, neg)
    rank_sum = n_pos * (n_pos + 1) / 2 + below
    zd = rank_sum - nx * (nx + 1) / 4
    var = nx * (nx + 1) * (2 * nx + 1) / 24 - ties / 48
    sigma = math.sqrt(var) if var > 0 else 0.0
    correction = continuity(zd, correct, alternative)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(zd - correction) / np.float64(sigma))


def continuity(z: float, correct: bool, alternative: str = "two-sided") -> float:
    """R's continuity correction of a centred rank statistic ``z`` for ``alternative``."""
    if not correct:
        return 0.0
    if alternative == "greater":
        return 0.5
    if alternative == "less":
        return -0.5
    return math.copysign(0.5, z) if z != 0 else 0.0


def rank_sum_z(
    xs: FloatArray, ys: FloatArray, d: float, correct: bool, alternative: str = "two-sided"
) -> float:
    """R's rank-sum ``W(d)``: standardised W of ``(x - d, y)``; ``xs`` and ``ys`` sorted.

    The continuity correction is R's: ``sign(dz) / 2`` two-sided, ``+1/2`` for ``greater``,
    ``-1/2`` for ``less``."""
    nx, ny = float(xs.size), float(ys.size)
    shifted = xs - d
    below, ties = _merge_terms(shifted, ys)
    rank_sum = nx * (nx + 1) / 2 + below
    dz = rank_sum - nx * (nx + 1) / 2 - nx * ny / 2
    correction = continuity(dz, correct, alternative)
    var = (nx * ny / 12) * ((nx + ny + 1) - ties / ((nx + ny) * (nx + ny - 1)))
    sigma = math.sqrt(var) if var > 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(dz - correction) / np.float64(sigma))
