"""Properties over seeds: every assessment is scorable and within its instrument's range, no
rows after withdrawal, arms balanced by the permuted blocks (instruments.md ranges)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from autoserum.instruments import get_instrument
from autoserum.simulate import scenario_codes, simulate_study
from autoserum.simulate._plan import plan_for
from autoserum.simulate._score import NO_TOTAL
from autoserum.simulate.scenarios import get_scenario


@settings(max_examples=15)
@given(code=st.sampled_from(scenario_codes()), n=st.integers(1, 12), seed=st.integers(0, 2**32))
def test_assessments_scorable_and_in_range(code: str, n: int, seed: int) -> None:
    visits = simulate_study(code, n, seed).visits
    plan = plan_for(get_scenario(code))
    assert visits["subject_id"].n_unique() == n
    for visit in plan.visits:
        rows = visits.filter(pl.col("visit") == visit.code)
        for instrument in plan.instruments:
            if instrument in NO_TOTAL:
                continue
            if instrument not in visit.instruments:
                assert rows[instrument].null_count() == rows.height
                continue
            spec = get_instrument(instrument)
            totals = rows[instrument]
            assert totals.null_count() == 0, (instrument, visit.code)
            if rows.height:
                low, high = totals.min(), totals.max()
                assert isinstance(low, int | float)
                assert isinstance(high, int | float)
                assert float(spec.minimum) <= low <= high <= float(spec.maximum)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32))
def test_visits_stop_at_withdrawal_and_arms_balance(seed: int) -> None:
    visits = simulate_study("ast-nahm2023", 24, seed).visits
    order = {code: i for i, code in enumerate(["screening", "baseline", "week_4", "week_8"])}
    per_subject = visits.group_by("subject_id").agg(pl.col("visit"), pl.col("arm").first())
    for visit_list in per_subject["visit"].to_list():
        indices = [order[v] for v in visit_list]
        assert indices == list(range(len(indices)))  # no gaps: nothing after withdrawal
    counts = per_subject["arm"].value_counts()
    assert sorted(counts["count"].to_list()) == [12, 12]  # permuted blocks of 4, 1:1
