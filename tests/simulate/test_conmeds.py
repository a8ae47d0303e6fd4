"""The simulated concomitant and rescue medication: coded, valid in the tidy format, seeded, and
more frequent where subjects do worse (placebo)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from autoserum.simulate import get_scenario, simulate_scenario, simulate_study
from autoserum.simulate._conmeds import BODY_AREAS
from autoserum.simulate._model import replace_parameter
from autoserum.study.tidy import CONMED_SCHEMA, as_text_frame, validate_con_meds


def test_con_meds_are_valid_in_the_tidy_format_and_seeded() -> None:
    sim = simulate_study("ast-nahm2023", 60, seed=11)
    assert sim.con_meds.schema == pl.Schema(CONMED_SCHEMA)
    typed = validate_con_meds(as_text_frame(sim.con_meds), "sim", None, sim.visits["subject_id"])
    assert_frame_equal(typed, sim.con_meds)
    assert_frame_equal(simulate_study("ast-nahm2023", 60, seed=11).con_meds, sim.con_meds)
    assert not simulate_study("ast-nahm2023", 60, seed=12).con_meds.equals(sim.con_meds)


def test_rescue_is_topical_steroid_with_amount_and_the_arm_of_the_subject() -> None:
    sim = simulate_study("ast-nahm2023", 200, seed=3)
    rescue = sim.con_meds.filter(pl.col("rescue"))
    assert rescue.height > 0
    assert set(rescue["drug_class"]) == {"tcs"}
    assert rescue["amount"].null_count() == 0
    assert set(rescue["amount_unit"]) == {"g", "ftu"}
    assert set(rescue["potency_eu"]) <= {"II", "III"}  # within the default rescue rule
    arms = sim.visits.select("subject_id", "arm").unique()
    joined = rescue.join(arms, on="subject_id", how="left", suffix="_visit")
    assert (joined["arm"] == joined["arm_visit"]).all()
    assert (rescue["start_week"] > 0).all()
    # every field of the store's con-med record the simulation can know is filled
    assert set(rescue["body_area"]) <= set(BODY_AREAS)
    assert rescue["body_area"].null_count() == 0
    assert set(rescue["dose"]) == {"thin layer once daily"}
    background = sim.con_meds.filter(~pl.col("rescue"))
    assert background.height > 0
    assert background["body_area"].null_count() == background.height
    assert set(background["dose"]) == {"10 mg once daily"}


def test_dates_and_weeks_of_a_con_med_agree() -> None:
    sim = simulate_study("abt-pittler2003", 80, seed=4)
    day0 = sim.visits.filter(pl.col("week") == 0).select("subject_id", "visit_date")
    cm = sim.con_meds.join(day0, on="subject_id")
    days = (cm["start_date"] - cm["visit_date"]).dt.total_days()
    assert ((days - (cm["start_week"] * 7)).abs() <= 0.05).all()


@pytest.mark.parametrize("code", ["ast-nahm2023", "abt-pittler2003", "aigt-nahm2020"])
def test_placebo_subjects_take_more_rescue(code: str) -> None:
    sim = simulate_study(code, 1000, seed=21)
    users = (
        sim.con_meds.filter(pl.col("rescue"))
        .group_by("arm")
        .agg(pl.col("subject_id").n_unique().alias("n"))
    )
    counts = dict(users.iter_rows())
    treated = next(a for a in counts if a != "placebo")
    assert counts["placebo"] > 1.3 * counts[treated]


def test_worsening_drives_rescue() -> None:
    """With the worsening term switched off, the arms use rescue alike."""
    flat = replace_parameter(get_scenario("ast-nahm2023"), "rescue.worsening_log_hr", 0.0)
    sim = simulate_scenario(flat, 1000, 21)
    users = dict(
        sim.con_meds.filter(pl.col("rescue"))
        .group_by("arm")
        .agg(pl.col("subject_id").n_unique())
        .iter_rows()
    )
    assert abs(users["placebo"] - users["serum"]) < 0.25 * users["placebo"]
