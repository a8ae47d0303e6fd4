"""simulate_history: plausible, seeded subject history that the store accepts (the rules of
``autoserum.study.history``: onset ages not above the age, years before the study, the
categories given)."""

from __future__ import annotations

import polars as pl

from autoserum.simulate import simulate_history, simulate_study
from autoserum.study.history import COMORBIDITIES, FITZPATRICK_TYPES, RESPONSES, check_demographics


def _subjects() -> pl.DataFrame:
    visits = simulate_study("ast-nahm2023", 40, 3).visits
    return visits.group_by("subject_id", maintain_order=True).agg(pl.col("age").first())


def test_history_is_seeded_and_within_the_rules() -> None:
    subjects = _subjects()
    first = simulate_history(subjects, seed=5, year=2026)
    again = simulate_history(subjects, seed=5, year=2026)
    other = simulate_history(subjects, seed=6, year=2026)
    assert first.subjects.equals(again.subjects)
    assert first.prior_treatments.equals(again.prior_treatments)
    assert not first.subjects.equals(other.subjects)
    people = first.subjects.join(subjects, on="subject_id")
    assert people.height == subjects.height
    assert set(people["fitzpatrick"]) <= set(FITZPATRICK_TYPES)
    assert (people["ad_onset_age"].cast(pl.Float64) <= people["age"]).all()
    assert set(first.comorbidities["condition"]) <= set(COMORBIDITIES)
    assert set(first.prior_treatments["response"]) <= set(RESPONSES)
    treated = first.prior_treatments
    assert treated.height > 0  # the demo shows some
    assert first.comorbidities.height > 0
    assert (treated["start_year"] <= treated["end_year"]).all()
    assert (treated["end_year"] < 2026).all()
    # the categories given are the only ones drawn
    korean = simulate_history(subjects, seed=5, year=2026, races=("KOREAN", "OTHER"))
    assert set(korean.subjects["race"]) <= {"KOREAN", "OTHER"}


def test_the_history_passes_the_demographic_rules() -> None:
    from datetime import date
    from decimal import Decimal

    subjects = _subjects()
    people = simulate_history(subjects, seed=1, year=2026).subjects.join(subjects, on="subject_id")
    for row in people.iter_rows(named=True):
        values = {"age": Decimal(str(row["age"])), "ad_onset_age": Decimal(row["ad_onset_age"]),
                  "ethnicity": row["ethnicity"], "race": row["race"]}  # fmt: skip
        check_demographics(values, on=None, today=date(2026, 1, 1))
