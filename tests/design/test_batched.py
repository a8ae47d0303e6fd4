"""Batched simulation gives what the one-trial-at-a-time path gives, for the same seeds
(issue 18, item 2). No timing here: the speed is measured by benchmarks/design.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from autoserum.design import simulate_mmrm_power
from autoserum.design._mmrm_power import _mvn_factor
from autoserum.design._protocol_power import count_protocol_rejections
from autoserum.design._trial_tests import trial_p_values
from autoserum.errors import StatisticsError
from autoserum.simulate import (
    get_scenario,
    scenario_codes,
    simulate_endpoint,
    simulate_endpoints,
    simulate_scenario,
)
from autoserum.stats import (
    ancova,
    mmrm,
    mmrm_batch,
    mmrm_complete_batch,
    welch_t,
)


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


def _reference_p_value(test: str, visits: pl.DataFrame, week: float) -> float:
    """The analysis of one trial from its long-format visits (as a statistician would write
    it, independently of the design code): change of SCORAD from week 0, treated subjects,
    serum against placebo."""
    visits = visits.filter(pl.col("treated"))
    base = visits.filter(pl.col("week") == 0).select("subject_id", pl.col("scorad").alias("b"))
    post = visits.filter((pl.col("week") > 0) & (pl.col("week") <= week))
    post = post.join(base, on="subject_id").filter(
        pl.col("scorad").is_not_null() & pl.col("b").is_not_null()
    )
    post = post.with_columns(
        (pl.col("scorad") - pl.col("b")).alias("change"),
        (pl.col("arm") != "placebo").cast(pl.Float64).alias("group"),
    )
    if test == "mmrm":
        subject = post["subject_id"].rank("dense").cast(pl.Int64).to_numpy()
        fit = mmrm(
            subject, post["week"].to_numpy(), post["group"].to_numpy(),
            post["b"].to_numpy(), post["change"].to_numpy(),
        )  # fmt: skip
        at_week = next(e.p_value for e in fit.per_visit if e.visit == week)
        assert at_week is not None
        return at_week
    end = post.filter(pl.col("week") == week)
    p: float | None
    if test == "welch_t":
        treated = end.filter(pl.col("group") == 1)["change"].to_numpy()
        p = welch_t(treated, end.filter(pl.col("group") == 0)["change"].to_numpy()).p_value
    else:
        p = ancova(end["scorad"].to_numpy(), end["group"].to_numpy(), end["b"].to_numpy()).p_value
    assert p is not None
    return p


@pytest.mark.parametrize("test", ["welch_t", "ancova", "mmrm"])
def test_protocol_power_p_values_equal_the_full_study_path(test: str) -> None:
    """The design path (endpoint only, a batch of trials, arrays) gives each trial the p-value
    the full study's long format gives."""
    seeds = [4, 5, 6]
    batch = simulate_endpoints(get_scenario("ast-nahm2023"), 40, seeds, "scorad")
    p_batch = trial_p_values(test, batch, week=8.0, control="placebo")
    for r, seed in enumerate(seeds):
        full = simulate_scenario(get_scenario("ast-nahm2023"), 40, seed).visits
        expected = _reference_p_value(test, full, 8.0)
        # the MMRM: the batched REML against the per-trial fit (optimisation tolerance)
        assert p_batch[r] == pytest.approx(expected, rel=1e-6 if test == "mmrm" else 1e-12)


@pytest.mark.parametrize(
    ("code", "endpoint"), [("ast-nahm2023", "scorad"), ("asim-choi2024", "easi")]
)
def test_a_batch_of_trials_draws_what_each_trial_draws_alone(code: str, endpoint: str) -> None:
    """One simulator: each trial of a batch gets, bit for bit, the data it gets alone (its own
    random streams; the batch only puts the trials side by side)."""
    scenario = get_scenario(code)
    seeds = [31, 7, 8, 1000]
    batch = simulate_endpoints(scenario, 25, seeds, endpoint)
    assert batch.values.shape[:2] == (4, 25)
    for r, seed in enumerate(seeds):
        alone = simulate_endpoints(scenario, 25, [seed], endpoint)
        assert np.array_equal(batch.values[r], alone.values[0], equal_nan=True)
        assert np.array_equal(batch.present[r], alone.present[0])
        assert np.array_equal(batch.arm_index[r], alone.arm_index[0])
        assert np.array_equal(batch.treated[r], alone.treated[0])
        assert batch.frame(r).equals(simulate_endpoint(scenario, 25, seed, endpoint))
    assert not np.array_equal(batch.values[0], batch.values[1], equal_nan=True)


def test_every_scenario_draws_the_same_in_a_batch() -> None:
    """Every shipped scenario (run-in, labs, single-arm, case reports): batch = alone."""
    for code in scenario_codes():
        scenario = get_scenario(code)
        batch = simulate_endpoints(scenario, 6, [3, 4], "scorad")
        for r, seed in enumerate((3, 4)):
            alone = simulate_endpoints(scenario, 6, [seed], "scorad")
            assert np.array_equal(batch.values[r], alone.values[0], equal_nan=True), code
            assert np.array_equal(batch.present[r], alone.present[0]), code


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


@pytest.mark.parametrize("test", ["mmrm", "welch_t"])
def test_power_is_the_same_trial_by_trial_and_batched(test: str) -> None:
    """Acceptance (issue 18, item 2): the trials of seeds 20..31 simulated and analysed one at
    a time (batches of one: the per-trial path) and all together give the same rejections,
    and each trial's p-value is the one it gets alone (MMRM: to the REML's tolerance)."""
    kwargs: dict[str, Any] = {"n_subjects": 30, "endpoint": "scorad", "week": 8, "test": test}
    serial = [
        count_protocol_rejections("ast-nahm2023", seed=seed, reps=1, **kwargs)
        for seed in range(20, 32)
    ]
    batched = count_protocol_rejections("ast-nahm2023", seed=20, reps=12, **kwargs)
    assert batched.rejections == sum(c.rejections for c in serial)
    assert batched.failures == sum(c.failures for c in serial) == 0
    assert 0 < batched.rejections < 12  # a comparison that can fail
    scenario = get_scenario("ast-nahm2023")
    together = trial_p_values(
        test, simulate_endpoints(scenario, 30, range(20, 32), "scorad"), week=8, control="placebo"
    )
    alone = [
        trial_p_values(
            test, simulate_endpoints(scenario, 30, [seed], "scorad"), week=8, control="placebo"
        )[0]
        for seed in range(20, 32)
    ]
    assert together == pytest.approx(alone, rel=1e-6 if test == "mmrm" else 0)
