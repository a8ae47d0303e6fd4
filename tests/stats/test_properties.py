"""Invariants of the statistical methods (Hypothesis, derandomized by the root conftest)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autoserum.errors import StatisticalWarning
from autoserum.stats import (
    ancova,
    describe,
    fisher_exact,
    mann_whitney,
    mmrm,
    newcombe_rd,
    p_adjust,
    paired_t,
    welch_t,
    wilcoxon_signed_rank,
    wilson_ci,
)

# Scores on a 0.5 grid (ties and zeros likely) or continuous values.
grid = st.integers(-40, 40).map(lambda k: k / 2)
continuous = st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 3))
values = st.one_of(grid, continuous)
samples = st.lists(values, min_size=2, max_size=60)


T = TypeVar("T")


def _quiet(fn: Callable[..., T], *args: Any) -> T:
    """Run fn, tolerating only StatisticalWarning (unachievable levels on tiny samples)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return fn(*args)


def _warns(fn, *args) -> bool:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticalWarning)
        fn(*args)
    return any(issubclass(w.category, StatisticalWarning) for w in caught)


@given(samples)
def test_signed_rank_p_in_unit_interval_and_estimate_inside_ci(x: list[float]) -> None:
    assume(any(v != 0 for v in x))
    r = _quiet(wilcoxon_signed_rank, x)
    assert 0.0 <= r.p_value <= 1.0
    # When the level is not achievable R (and we) fall back to median(x) as the CI, which
    # need not contain the estimate (R: wilcox.test(c(0.5, 0.5, 1), conf.int = TRUE)).
    if not math.isnan(r.ci_low) and not _warns(wilcoxon_signed_rank, x):
        assert r.ci_low <= r.ci_high
        assert r.ci_low - 1e-4 <= r.estimate <= r.ci_high + 1e-4  # uniroot tol = 1e-4


@given(samples)
def test_signed_rank_sign_symmetry(x: list[float]) -> None:
    assume(any(v != 0 for v in x))
    a = _quiet(wilcoxon_signed_rank, x)
    b = _quiet(wilcoxon_signed_rank, [-v for v in x])
    assert math.isclose(a.p_value, b.p_value, rel_tol=1e-9, abs_tol=1e-12)
    assert a.method == b.method
    if a.method == "exact":
        assert a.estimate == -b.estimate
        assert (a.ci_low, a.ci_high) == (-b.ci_high, -b.ci_low)


@given(samples, samples)
def test_rank_sum_symmetry_and_bounds(x: list[float], y: list[float]) -> None:
    assume(len(set(x + y)) > 1)
    a = _quiet(mann_whitney, x, y)
    b = _quiet(mann_whitney, y, x)
    assert 0.0 <= a.p_value <= 1.0
    assert math.isclose(a.p_value, b.p_value, rel_tol=1e-9, abs_tol=1e-12)
    assert a.statistic + b.statistic == len(x) * len(y)
    assert a.ci_low <= a.ci_high
    if not _warns(mann_whitney, x, y):
        assert a.ci_low - 1e-4 <= a.estimate <= a.ci_high + 1e-4
    if a.method == "exact":
        assert a.estimate == -b.estimate


@given(samples, samples)
def test_welch_antisymmetry(x: list[float], y: list[float]) -> None:
    assume(np.std(x) > 0 and np.std(y) > 0)
    a, b = welch_t(x, y), welch_t(y, x)
    assert 0.0 <= a.p_value <= 1.0
    assert math.isclose(a.estimate, -b.estimate, abs_tol=1e-9)
    assert math.isclose(a.p_value, b.p_value, rel_tol=1e-9, abs_tol=1e-15)
    assert a.ci_low <= a.estimate <= a.ci_high


@given(samples)
def test_describe_order_and_ci(x: list[float]) -> None:
    d = describe(x)
    assert d.minimum <= d.q1 <= d.median <= d.q3 <= d.maximum
    assert d.ci_low <= d.mean <= d.ci_high
    if np.std(x) > 0:
        assert math.isclose(paired_t(x).ci_low, d.ci_low, rel_tol=1e-9, abs_tol=1e-9)


counts = st.integers(1, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(counts, counts)
def test_proportion_intervals(a: tuple[int, int], b: tuple[int, int]) -> None:
    (k1, n1), (k2, n2) = a, b
    low, high = wilson_ci(k1, n1)
    assert 0.0 <= low <= k1 / n1 <= high <= 1.0
    rd = newcombe_rd(k1, n1, k2, n2)
    assert -1.0 <= rd.ci_low <= rd.estimate <= rd.ci_high <= 1.0
    p = fisher_exact(k1, n1, k2, n2)
    assert 0.0 <= p <= 1.0
    assert math.isclose(p, fisher_exact(k2, n2, k1, n1), rel_tol=1e-9)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_p_adjust_bounds_and_order(p: list[float]) -> None:
    raw = np.array(p)
    holm, bh = p_adjust(raw, "holm"), p_adjust(raw, "BH")
    assert np.all(holm >= raw - 1e-15)
    assert np.all(bh >= raw - 1e-15)
    assert np.all(holm <= 1.0)
    assert np.all(bh <= holm + 1e-15)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(holm[order]) >= -1e-15)
    assert np.all(np.diff(bh[order]) >= -1e-15)


def _study(seed: int, n: int = 60, visits: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n), visits)
    visit = np.tile(np.arange(1, visits + 1) * 4, n)
    group = (subject % 2).astype(float)
    baseline = np.repeat(rng.normal(25, 5, n), visits)
    shared = np.repeat(rng.normal(0, 2, n), visits)
    y = -1.5 * group * visit / 4 + 0.2 * (baseline - 25) + shared + rng.normal(0, 2, n * visits)
    drop = rng.uniform(size=n * visits) < 0.1 * (visit > 4)
    y[drop] = np.nan
    return {"subject": subject, "visit": visit, "group": group, "baseline": baseline, "y": y}


def test_mmrm_with_one_visit_is_ancova() -> None:
    # With one visit the unstructured covariance is one variance: REML GLS = OLS, so the MMRM
    # difference, SE, df and p equal lm(y ~ group + baseline) (see test_reference for R).
    d = _study(5, n=40, visits=1)
    fit = mmrm(d["subject"], d["visit"], d["group"], d["baseline"], d["y"])
    ols = ancova(d["y"], d["group"], d["baseline"])
    (only,) = fit.per_visit
    assert math.isclose(only.estimate, ols.estimate, rel_tol=1e-9)
    assert ols.se is not None
    assert math.isclose(only.se, ols.se, rel_tol=1e-7)
    assert only.df == ols.df
    assert ols.p_value is not None
    assert math.isclose(only.p_value, ols.p_value, rel_tol=1e-6)


@settings(max_examples=10)
@given(st.integers(0, 2**31 - 1))
def test_mmrm_invariant_to_row_order_and_labels(seed: int) -> None:
    d = _study(7)
    base = mmrm(d["subject"], d["visit"], d["group"], d["baseline"], d["y"])
    perm = np.random.default_rng(seed).permutation(d["y"].size)
    labels = np.array([f"S{s:03d}" for s in d["subject"]])
    shuffled = mmrm(
        labels[perm], d["visit"][perm], d["group"][perm], d["baseline"][perm], d["y"][perm]
    )
    assert shuffled.converged
    for a, b in zip(base.per_visit, shuffled.per_visit, strict=True):
        assert a.visit == b.visit
        assert math.isclose(a.estimate, b.estimate, rel_tol=1e-7, abs_tol=1e-9)
        assert math.isclose(a.se, b.se, rel_tol=1e-7)
    assert math.isclose(base.log_lik, shuffled.log_lik, rel_tol=1e-10)


def test_mmrm_shift_of_outcome_changes_nothing_but_intercepts() -> None:
    d = _study(9)
    a = mmrm(d["subject"], d["visit"], d["group"], d["baseline"], d["y"])
    b = mmrm(d["subject"], d["visit"], d["group"], d["baseline"], d["y"] + 1e6)
    for u, v in zip(a.per_visit, b.per_visit, strict=True):
        assert math.isclose(u.estimate, v.estimate, rel_tol=1e-7, abs_tol=1e-9)
        assert math.isclose(u.se, v.se, rel_tol=1e-7)
