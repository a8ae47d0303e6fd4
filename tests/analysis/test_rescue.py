"""Rescue medication by arm and study week, checked on a hand-computed example; the con-med file
beside a visit file is read, validated and carried into the study."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from autoserum.analysis import (
    ARM_BLINDED,
    RESCUE_COLUMNS,
    conmed_path_for,
    read_study,
    rescue_table,
    study_from_frames,
)
from autoserum.errors import ValidationError
from autoserum.simulate import simulate_study, write_study
from autoserum.study.tidy import CONMED_SCHEMA

D0 = date(2024, 1, 1)


def _visits() -> pl.DataFrame:
    """P1 (placebo) seen to week 3, P2 (placebo) left after week 1, S1 (serum) to week 3, S2
    (serum) screened only: in the study in weeks 1-3, 1-2, 1-3 and none."""
    rows = [
        ("P1", "placebo", 0.0, D0),
        ("P1", "placebo", 1.0, date(2024, 1, 8)),
        ("P1", "placebo", 3.0, date(2024, 1, 22)),
        ("P2", "placebo", 0.0, D0),
        ("P2", "placebo", 1.0, date(2024, 1, 8)),
        ("S1", "serum", 0.0, D0),
        ("S1", "serum", 3.0, date(2024, 1, 22)),
        ("S2", "serum", -2.0, date(2023, 12, 18)),
    ]
    return pl.DataFrame(rows, schema=["subject_id", "arm", "week", "visit_date"], orient="row")


def _con_meds() -> pl.DataFrame:
    rows = [
        # a) P1 TCS 14 g/week, days 4-11 by dates: week 1 3 days = 6 g, week 2 5 days = 10 g
        (
            "P1",
            "mometasone",
            "tcs",
            14.0,
            "g",
            date(2024, 1, 5),
            date(2024, 1, 12),
            None,
            None,
            True,
        ),
        # b) P1 TCS 20 FTU/week (10 g) from day 14, ongoing: week 3 = 10 g
        ("P1", "clobetasone", "tcs", 20.0, "ftu", None, None, 2.0, None, True),
        # c) P2 rescue antihistamine on day 7: uses rescue in week 2, no grams
        ("P2", "cetirizine", "antihistamine", None, None, None, None, 1.0, 1.0, True),
        # d) P2 TCS not as rescue: not counted
        ("P2", "hydrocortisone", "tcs", 50.0, "g", None, None, 0.0, None, False),
        # e) S1 rescue TCS without an amount, days 17-20: week 3, counted as no amount
        ("S1", "betamethasone", "tcs", None, None, None, None, 2.43, 2.86, True),
        # f) S2 never in the study after day 0: not counted
        ("S2", "clobetasol", "tcs", 100.0, "g", None, None, 0.0, None, True),
    ]
    columns = ["subject_id", "drug", "drug_class", "amount", "amount_unit", "start_date",
               "end_date", "start_week", "end_week", "rescue"]  # fmt: skip
    return pl.DataFrame(rows, schema={c: CONMED_SCHEMA[c] for c in columns}, orient="row")


def test_rescue_by_arm_and_week_matches_the_hand_computed_table() -> None:
    table = rescue_table(_visits(), _con_meds())
    assert table.columns == list(RESCUE_COLUMNS)
    # hand-computed (see the comments of _con_meds): arm, week, N, n using, %, grams, g/N, no amt
    expected = pl.DataFrame(
        [
            ("placebo", 1, 2, 1, 50.0, 6.0, 3.0, 0),
            ("placebo", 2, 2, 2, 100.0, 10.0, 5.0, 0),
            ("placebo", 3, 1, 1, 100.0, 10.0, 10.0, 0),
            ("serum", 1, 1, 0, 0.0, 0.0, 0.0, 0),
            ("serum", 2, 1, 0, 0.0, 0.0, 0.0, 0),
            ("serum", 3, 1, 1, 100.0, 0.0, 0.0, 1),
        ],
        schema=list(RESCUE_COLUMNS),
        orient="row",
    )
    assert_frame_equal(table, expected, check_dtypes=False, abs_tol=1e-12)


def test_blinded_data_pool_the_arms() -> None:
    table = rescue_table(_visits().drop("arm"), _con_meds())
    assert set(table["arm"]) == {ARM_BLINDED}
    assert table["n_subjects"].to_list() == [3, 3, 2]
    assert table["n_rescue"].to_list() == [1, 2, 2]
    assert table["tcs_grams"].to_list() == pytest.approx([6.0, 10.0, 10.0], abs=1e-12)


def test_a_study_without_post_baseline_weeks_has_an_empty_table() -> None:
    visits = _visits().filter(pl.col("week") <= 0)
    assert rescue_table(visits, _con_meds()).height == 0


def test_the_con_med_file_round_trips_through_the_tidy_format(tmp_path: Path) -> None:
    sim = simulate_study("ast-nahm2023", 40, seed=5)
    csv, _ = write_study(sim, tmp_path / "s.csv")
    assert conmed_path_for(csv).exists()
    study = read_study(csv)
    assert study.con_meds.height == sim.con_meds.height > 0
    assert_frame_equal(study.con_meds, sim.con_meds)
    framed = study_from_frames(sim.visits, sim.adverse_events, "sim", con_meds=sim.con_meds)
    assert_frame_equal(framed.con_meds, sim.con_meds)


def test_a_bad_con_med_file_is_refused_with_its_line(tmp_path: Path) -> None:
    sim = simulate_study("ast-nahm2023", 10, seed=5)
    csv, _ = write_study(sim, tmp_path / "s.csv")
    bad = sim.con_meds.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("D7"))
        .otherwise("atc_code")
        .alias("atc_code")
    )
    bad.write_csv(conmed_path_for(csv))
    with pytest.raises(ValidationError) as err:
        read_study(csv)
    assert err.value.field == "atc_code"
    assert err.value.location == "s.conmed.csv, line 2, column 'atc_code'"
