"""The report's table of demographics and AD history by arm: counted by hand on a small
example, grouped by the arm of the visit frame (blinded as that is), in the baseline section
of the study report; a study without history (a file) has no such table."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl

from autoserum.analysis import build_adsl, study_from_frames
from autoserum.report._build import build_report
from autoserum.report._tables import history_display
from autoserum.simulate import simulate_study
from autoserum.study.history import BASELINE_HISTORY_COLUMNS, COMORBIDITIES


def _history(rows: list[dict[str, object]]) -> pl.DataFrame:
    full = [{**dict.fromkeys(COMORBIDITIES, False), "prior_systemic": 0, **r} for r in rows]
    schema = {
        **dict.fromkeys(("subject_id", "sex", "ethnicity", "race", "fitzpatrick"), pl.String),
        "ad_duration": pl.Float64,
        **dict.fromkeys(COMORBIDITIES, pl.Boolean),
        "prior_systemic": pl.Int64,
    }
    return pl.DataFrame(full, schema=schema, orient="row").select(BASELINE_HISTORY_COLUMNS)


def test_counts_and_durations_by_arm_match_a_hand_count() -> None:
    # four subjects, two per arm; the visit frame gives the arms (as ADSL does)
    visits = pl.DataFrame({
        "subject_id": ["A1", "A2", "B1", "B2"], "arm": ["active", "active", "placebo", "placebo"],
        "fas": [True, True, True, True],
    })  # fmt: skip
    history = _history([
        {"subject_id": "A1", "sex": "F", "race": "ASIAN", "fitzpatrick": "III",
         "ad_duration": 20.0, "asthma": True, "prior_systemic": 2},
        {"subject_id": "A2", "sex": "M", "race": "ASIAN", "fitzpatrick": "IV",
         "ad_duration": 10.0, "food_allergy": True},
        {"subject_id": "B1", "sex": "F", "race": "WHITE", "fitzpatrick": "III",
         "ad_duration": 4.0, "asthma": True, "prior_systemic": 1},
        {"subject_id": "B2", "sex": "F", "race": None, "fitzpatrick": None, "ad_duration": None},
    ])  # fmt: skip
    table = history_display(visits, history, "fas")
    rows = {r[0]: r[1:] for r in table.rows}
    assert table.columns == (
        "Characteristic", "active (N = 2)", "placebo (N = 2)", "Total (N = 4)",
    )  # fmt: skip
    # by hand: active A1 F, A2 M; placebo B1 F, B2 F
    assert rows["Sex: F, n/N (%)"] == ("1/2 (50.0 %)", "2/2 (100.0 %)", "3/4 (75.0 %)")
    # race not recorded for B2 counts in N, not as a hit
    assert rows["Race: ASIAN, n/N (%)"] == ("2/2 (100.0 %)", "0/2 (0.0 %)", "2/4 (50.0 %)")
    assert rows["Fitzpatrick skin type: III, n/N (%)"] == (
        "1/2 (50.0 %)", "1/2 (50.0 %)", "2/4 (50.0 %)",
    )  # fmt: skip
    # durations: active 20, 10 -> mean 15, SD sqrt(50) = 7.07; placebo 4 (n = 1, no SD);
    # total 20, 10, 4 -> mean 11.33, SD sqrt(65.33) = 8.08 (R: sd(c(20, 10, 4)) = 8.082904)
    means = rows["Duration of atopic dermatitis (years), mean (SD)"]
    assert means[0] == "15.0 (7.1); n = 2"
    assert means[2] == "11.3 (8.1); n = 3"
    assert rows["Asthma, n/N (%)"] == ("1/2 (50.0 %)", "1/2 (50.0 %)", "2/4 (50.0 %)")
    assert rows["Food allergy, n/N (%)"] == ("1/2 (50.0 %)", "0/2 (0.0 %)", "1/4 (25.0 %)")
    assert "Allergic rhinitis, n/N (%)" not in rows  # no subject has it
    assert rows["Previous systemic treatment, n/N (%)"] == (
        "1/2 (50.0 %)", "1/2 (50.0 %)", "2/4 (50.0 %)",
    )  # fmt: skip


def test_the_study_report_shows_the_table_in_its_baseline_section() -> None:
    sim = simulate_study("ast-nahm2023", 12, 5)
    subjects = sorted(set(sim.visits["subject_id"].to_list()))
    history = _history([{"subject_id": s, "sex": "F", "ad_duration": 3.0} for s in subjects])
    blinded = sim.visits.with_columns(pl.lit("blinded").alias("arm"))  # a masked frame
    for frame, arms in ((sim.visits, {"placebo", "serum"}), (blinded, {"blinded"})):
        study = dataclasses.replace(
            study_from_frames(frame, sim.adverse_events, "sim"), history=history
        )
        report = build_report(study, protocol="ast-nahm2023", generated=dt.date(2026, 1, 1))
        baseline = next(s for s in report.sections if s.id == "baseline")
        table = next(t for t in baseline.tables if t.id == "baseline-history")
        shown = {c.split(" (N")[0] for c in table.columns[1:]} - {"Total"}
        assert shown == arms
        n = build_adsl(frame).filter(pl.col("fas")).height  # every subject is female
        female = next(r for r in table.rows if r[0] == "Sex: F, n/N (%)")
        assert female[-1] == f"{n}/{n} (100.0 %)"
    plain = build_report(
        study_from_frames(sim.visits, sim.adverse_events, "sim"), protocol="ast-nahm2023",
        generated=dt.date(2026, 1, 1),
    )  # fmt: skip
    baseline = next(s for s in plain.sections if s.id == "baseline")
    assert [t.id for t in baseline.tables] == ["baseline"]
