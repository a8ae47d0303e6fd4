"""The fast rank statistics equal a direct transliteration of R's ``W(d)`` bit for bit."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from autoserum.stats._ranks import rank_sum_z, signed_rank_z


def _ties(ranks: np.ndarray) -> float:
    _, counts = np.unique(ranks, return_counts=True)
    t = counts.astype(np.float64)
    return float(np.sum(t**3 - t))


def _z(num: float, sigma: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(num) / np.float64(sigma))


def r_signed_w(x: np.ndarray, d: float, correct: bool) -> float:
    """R 4.2 wilcox.test.default, one-sample W(d), line by line."""
    xd = x - d
    xd = xd[xd != 0]
    nx = float(xd.size)
    dr = sps.rankdata(np.abs(xd))
    zd = float(np.sum(dr[xd > 0])) - nx * (nx + 1) / 4
    var = nx * (nx + 1) * (2 * nx + 1) / 24 - _ties(dr) / 48
    correction = (math.copysign(0.5, zd) if zd != 0 else 0.0) if correct else 0.0
    return _z(zd - correction, math.sqrt(var) if var > 0 else 0.0)


def r_rank_sum_w(x: np.ndarray, y: np.ndarray, d: float, correct: bool) -> float:
    """R 4.2 wilcox.test.default, two-sample W(d), line by line."""
    nx, ny = float(x.size), float(y.size)
    dr = sps.rankdata(np.concatenate([x - d, y]))
    dz = float(np.sum(dr[: x.size])) - nx * (nx + 1) / 2 - nx * ny / 2
    correction = (math.copysign(0.5, dz) if dz != 0 else 0.0) if correct else 0.0
    var = (nx * ny / 12) * ((nx + ny + 1) - _ties(dr) / ((nx + ny) * (nx + ny - 1)))
    return _z(dz - correction, math.sqrt(var) if var > 0 else 0.0)


values = st.one_of(
    st.integers(-20, 20).map(lambda k: k / 2),
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)
samples = st.lists(values, min_size=1, max_size=40).map(np.array)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@given(samples, st.floats(-1e3, 1e3, allow_nan=False), st.booleans(), st.integers(0, 3))
def test_signed_rank_z_is_r_bit_for_bit(x: np.ndarray, d: float, correct: bool, where: int) -> None:
    # probe at data points and midpoints too, where ties across signs occur
    if where == 1:
        d = float(x[0])
    elif where == 2 and x.size > 1:
        d = float((x[0] + x[1]) / 2)
    assert _same(signed_rank_z(np.sort(x), d, correct), r_signed_w(x, d, correct))


@given(samples, samples, st.floats(-1e3, 1e3, allow_nan=False), st.booleans(), st.booleans())
def test_rank_sum_z_is_r_bit_for_bit(
    x: np.ndarray, y: np.ndarray, d: float, correct: bool, at_data: bool
) -> None:
    if at_data:
        d = float(x[0] - y[0])
    got = rank_sum_z(np.sort(x), np.sort(y), d, correct)
    assert _same(got, r_rank_sum_w(x, y, d, correct))
