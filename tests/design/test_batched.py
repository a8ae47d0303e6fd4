"""Batched simulation gives what the one-trial-at-a-time path gives, for the same seeds
(issue 18, item 2). No timing here: the speed is measured by benchmarks/design.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from autoserum.design import simulate_mmrm_power
from autoserum.design._mmrm_power import _mvn_factor
from autoserum.design._protocol_power import (
    _mmrm_p_values,
    _p_value,
    count_protocol_rejections,
)
from autoserum.errors import StatisticsError
from autoserum.simulate import get_scenario, simulate_endpoint, simulate_scenario
from autoserum.stats import mmrm, mmrm_batch, mmrm_complete_batch


def test_the_mvn_factor_reproduces_numpy_multivariate_normal_bit_for_bit() -> None:
    sd, rho, v = 10.0, 0.5, 3
    cov = sd**2 * (rho * np.ones((v + 1, v + 1)) + (1 - rho) * np.eye(v + 1))
    reference = np.random.default_rng(11).multivariate_normal(np.zeros(v + 1), cov, size=60)
    ours = np.random.default_rng(11).standard_normal((60, v + 1)) @ _mvn_factor(sd, rho, v)
    assert np.array_equal(reference, ours)


def test_closed_form_batch_equals_the_reml_fit_trial_by_trial() -> None:
    rng = np.random.default_rng(5)
    reps, n, t = 6, 24, 3
    group = np.r_[np.ones(n // 2), np.zeros(n // 2)]
    base = rng.normal(30, 6, (reps, n))
    y = rng.normal(0, 5, (reps, n, t)) + 0.4 * base[:, :, None] - 3.0 * group[None, :, None]
    y[:, :, 1:] += 0.6 * y[:, :, :1]  # correlated visits
    for visit in range(t):
        batch = mmrm_complete_batch(group, base, y, visit=visit)
        for r in range(reps):
            subj = np.repeat(np.arange(n), t)
            vis = np.tile(np.arange(t), n)
            fit = mmrm(subj, vis, np.repeat(group, t), np.repeat(base[r], t), y[r].ravel())
            est = fit.per_visit[visit]
            # iterative REML (tolerance ~1e-9) against the closed form
            assert batch.estimate[r] == pytest.approx(est.estimate, rel=1e-7, abs=1e-9)
            assert batch.se[r] == pytest.approx(est.se, rel=1e-6)
            assert batch.df == est.df
            assert batch.p_value[r] == pytest.approx(est.p_value, rel=1e-5, abs=1e-12)


def test_batch_refuses_missing_values() -> None:
    y = np.zeros((2, 10, 2))
    y[0, 0, 0] = np.nan
    with pytest.raises(Exception, match="complete data"):
        mmrm_complete_batch(np.r_[np.ones(5), np.zeros(5)], np.zeros((2, 10)), y)


@pytest.mark.parametrize("dropout", [0.0, 0.25])
def test_mmrm_power_batched_equals_per_trial(dropout: float) -> None:
    kwargs: dict[str, Any] = {
        "n": 12,
        "delta": 6.0,
        "sd": 10.0,
        "rho": 0.5,
        "dropout": dropout,
        "seed": 7,
    }
    serial = simulate_mmrm_power(**kwargs, reps=40, batched=False)
    batched = simulate_mmrm_power(**kwargs, reps=40, batched=True)
    assert batched.power == serial.power
    assert batched.parameters == serial.parameters
    assert 0 < batched.power < 1  # a comparison that can fail


def test_progress_counts_every_replicate() -> None:
    seen: list[int] = []
    simulate_mmrm_power(n=10, delta=5, sd=10, rho=0.5, reps=30, seed=1, progress=seen.append)
    assert sum(seen) == 30


@pytest.mark.parametrize(
    ("protocol", "endpoint"),
    [("ast-nahm2023", "scorad"), ("ast-nahm2023", "oscorad"), ("aigt-nahm2020", "easi")],
)
def test_the_endpoint_only_simulation_equals_the_full_study(protocol: str, endpoint: str) -> None:
    """simulate_endpoint draws everything but scores only the endpoint: same values."""
    scenario = get_scenario(protocol)
    for seed in (1, 2):
        full = simulate_scenario(scenario, 30, seed).visits
        lean = simulate_endpoint(scenario, 30, seed, endpoint)
        expected = full.with_columns(pl.col("subject_id").rank("dense").cast(pl.Int64) - 1).select(
            "subject_id", "arm", "week", "treated", endpoint
        )
        assert lean.equals(expected)
        assert lean[endpoint].drop_nulls().len() > 30  # the endpoint is there to compare


@pytest.mark.parametrize("test", ["welch_t", "ancova", "mmrm"])
def test_protocol_power_p_values_equal_the_full_study_path(test: str) -> None:
    """The design path (endpoint only) gives each trial the p-value the full study gives."""
    for seed in (4, 5):
        full = simulate_scenario(get_scenario("ast-nahm2023"), 40, seed).visits
        lean = simulate_endpoint(get_scenario("ast-nahm2023"), 40, seed, "scorad")
        p_full = _p_value(test, full.filter(pl.col("treated")), "scorad", 8.0, "placebo")
        p_lean = _p_value(test, lean.filter(pl.col("treated")), "scorad", 8.0, "placebo")
        assert p_lean == p_full


def _long_of(
    y: np.ndarray, group: np.ndarray, base: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    observed = np.isfinite(y)
    subj, vis = np.nonzero(observed)
    return subj, vis, group[subj], base[subj], y[observed]


def test_batched_reml_equals_the_per_trial_fit_with_missing_outcomes() -> None:
    """mmrm_batch (all trials' REML together) against mmrm trial by trial: dropout and
    intermittent missing values, so every trial has its own missingness patterns."""
    rng = np.random.default_rng(9)
    reps, n, t = 8, 30, 3
    group = np.r_[np.ones(n // 2), np.zeros(n // 2)]
    base = rng.normal(30, 6, (reps, n))
    y = rng.normal(0, 5, (reps, n, t)) + 0.4 * base[:, :, None] - 2.0 * group[None, :, None]
    y[:, :, 1:] += 0.6 * y[:, :, :1]
    drop = rng.integers(0, 6, (reps, n))
    for v in range(t):
        y[:, :, v] = np.where(drop <= v, np.nan, y[:, :, v])
    y[rng.random((reps, n, t)) < 0.08] = np.nan
    y[0, :3] = np.nan  # three subjects without any outcome
    for visit in (0, t - 1):
        batch = mmrm_batch(group, base, y, visit=visit)
        assert batch.converged is not None
        assert batch.converged.all()
        for r in range(reps):
            fit = mmrm(*_long_of(y[r], group, base[r]))
            est = fit.per_visit[visit]
            # both converge to the REML optimum (Newton decrement < 1e-13 |-2l|)
            assert batch.estimate[r] == pytest.approx(est.estimate, rel=1e-8, abs=1e-10)
            assert batch.se[r] == pytest.approx(est.se, rel=1e-7)
            assert batch.p_value[r] == pytest.approx(est.p_value, rel=1e-6, abs=1e-14)
            assert np.asarray(batch.df)[r] == est.df


def test_batched_reml_leaves_what_it_cannot_fit_to_the_per_trial_path() -> None:
    rng = np.random.default_rng(3)
    group = np.r_[np.ones(10), np.zeros(10)]
    y = rng.normal(0, 2, (3, 20, 2))
    y[1, group == 1, 1] = np.nan  # trial 1: the last visit has controls only
    y[2, :, 0] = np.nan  # trial 2: the first visit is never observed
    batch = mmrm_batch(group, rng.normal(20, 4, (3, 20)), y)
    assert batch.converged is not None
    assert batch.converged.tolist() == [True, False, False]
    assert np.isnan(batch.p_value[1:]).all()
    with pytest.raises(StatisticsError, match="only one group"):
        mmrm(*_long_of(y[1], group, np.zeros(20) + rng.normal(20, 4, 20)))


def test_protocol_mmrm_batched_equals_the_per_trial_p_values() -> None:
    """power protocol --test mmrm fits the trials together; each trial's p-value is the one
    the per-trial analysis gives (so the rejections are the same)."""
    scenario = get_scenario("ast-nahm2023")
    frames = [
        simulate_endpoint(scenario, 30, seed, "scorad").filter(pl.col("treated"))
        for seed in range(20, 32)
    ]
    batched = _mmrm_p_values(frames, "scorad", 8.0, "placebo")
    serial = [_p_value("mmrm", frame, "scorad", 8.0, "placebo") for frame in frames]
    assert batched == pytest.approx(serial, rel=1e-6, abs=1e-14)
    assert [p < 0.05 for p in batched] == [p < 0.05 for p in serial]
    assert 0 < sum(p < 0.05 for p in serial) < len(serial)  # a comparison that can fail
    counts = count_protocol_rejections(
        "ast-nahm2023", n_subjects=30, endpoint="scorad", week=8, test="mmrm", seed=20, reps=12
    )
    assert (counts.rejections, counts.failures) == (sum(p < 0.05 for p in serial), 0)
