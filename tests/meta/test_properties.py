"""Invariants of the meta-analysis (Hypothesis, derandomized by the root conftest)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoserum.meta import rma, tau2_confint

studies = st.integers(2, 12).flatmap(
    lambda k: st.tuples(
        st.lists(st.floats(-3, 3), min_size=k, max_size=k),
        st.lists(st.floats(0.01, 2), min_size=k, max_size=k),
    )
)
methods = st.sampled_from(["FE", "DL", "REML", "PM"])


@settings(max_examples=60)
@given(data=studies, method=methods, hk=st.booleans())
def test_pooled_estimate_is_a_weighted_mean(
    data: tuple[list[float], list[float]], method: str, hk: bool
) -> None:
    yi, vi = data
    res = rma(yi, vi, method=method, hk=hk)
    assert min(yi) - 1e-9 <= res.estimate <= max(yi) + 1e-9
    assert res.tau2 >= 0
    assert 0 <= res.i2 <= 100
    if method != "FE":  # for FE, H² = Q/(k - 1) may be below 1 (metafor likewise)
        assert res.h2 >= 1 - 1e-12
    assert res.ci_low <= res.estimate <= res.ci_high
    assert res.pi_low <= res.ci_low + 1e-12
    assert res.pi_high >= res.ci_high - 1e-12
    assert sum(res.weights) == pytest.approx(100)


@settings(max_examples=40)
@given(data=studies, method=methods)
def test_order_of_studies_does_not_matter(
    data: tuple[list[float], list[float]], method: str
) -> None:
    yi, vi = data
    a = rma(yi, vi, method=method)
    b = rma(yi[::-1], vi[::-1], method=method)
    assert a.estimate == pytest.approx(b.estimate, rel=1e-9, abs=1e-12)
    assert a.tau2 == pytest.approx(b.tau2, rel=1e-7, abs=1e-10)


@settings(max_examples=40)
@given(data=studies, shift=st.floats(-5, 5), method=methods)
def test_shifting_every_effect_shifts_the_estimate(
    data: tuple[list[float], list[float]], shift: float, method: str
) -> None:
    yi, vi = data
    a = rma(yi, vi, method=method)
    b = rma([y + shift for y in yi], vi, method=method)
    assert b.estimate == pytest.approx(a.estimate + shift, abs=1e-8)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-6, abs=1e-9)


@settings(max_examples=40)
@given(data=studies)
def test_tau2_ci_brackets_the_paule_mandel_estimate(data: tuple[list[float], list[float]]) -> None:
    # the PM estimate solves Q(tau2) = k - 1, which lies between the Q-profile quantiles
    yi, vi = data
    low, high = tau2_confint(yi, vi)
    pm = rma(yi, vi, method="PM").tau2
    assert low <= pm + 1e-8
    assert pm <= high + 1e-8


def test_identical_effects_give_no_heterogeneity() -> None:
    # arithmetic: Q = 0 when all yi are equal; tau2 = 0 for every estimator
    for method in ("FE", "DL", "REML", "PM"):
        res = rma([0.4] * 5, list(np.linspace(0.1, 0.5, 5)), method=method)
        assert res.q == pytest.approx(0, abs=1e-20)
        assert res.tau2 == 0
        assert res.estimate == pytest.approx(0.4)
