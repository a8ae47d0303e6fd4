"""Synthetic vital signs: one row per visit, within the plausibility limits the store enforces
(they are recorded through it without a refusal), diastolic below systolic, height once per
subject, the same numbers for the same seed."""

from __future__ import annotations

import polars as pl

from autoserum.simulate import simulate_study, simulate_vital_signs
from autoserum.study.entities import entity


def test_simulated_vital_signs_pass_the_registry_and_are_seeded() -> None:
    visits = simulate_study("ast-nahm2023", 40, 3).visits.select("subject_id", "visit")
    frame = simulate_vital_signs(visits, seed=5)
    assert frame.height == visits.height
    spec = entity("vital_sign")
    for row in frame.iter_rows(named=True):
        signs = {k: v for k, v in row.items() if k not in ("subject_id", "visit")}
        converted = spec.convert(signs)  # raises on a value outside its limits
        assert converted["diastolic_bp"] < converted["systolic_bp"]
    firsts = frame.group_by("subject_id", maintain_order=True).first()
    assert firsts["height"].null_count() == 0
    assert frame["height"].drop_nulls().len() == firsts.height  # measured once per subject
    assert frame.equals(simulate_vital_signs(visits, seed=5))
    assert not frame.equals(simulate_vital_signs(visits, seed=6))
    assert frame.filter(pl.col("subject_id") == frame["subject_id"][0]).height > 1
