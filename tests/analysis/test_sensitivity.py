"""Sensitivity analyses declared in a SAP, run by ``analysis.sensitivity_table`` through
``stats.multiple_imputation`` / ``stats.tipping_point`` (validated against R there): the data
handed over, seeding, and the direction of reference-based imputation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from autoserum import stats
from autoserum.analysis import parse_sap_text, plan_analysis, read_long, sensitivity_table
from autoserum.analysis._sap import Sensitivity
from tests.analysis.conftest import DATA

FRAME = read_long(DATA / "three_arm.csv")
SAP = parse_sap_text(
    """
code = "s"
title = "t"
version = "1"
control = "placebo"
[[estimands]]
code = "primary"
label = "EASI at 12"
variable = "easi"
week = 12
"""
)
PLAN = plan_analysis(FRAME, sap=SAP)
SPECS = (
    Sensitivity(method="mi_mar", imputations=20, seed=11),
    Sensitivity(method="mi_j2r", imputations=20, seed=11),
    Sensitivity(method="tipping_point", imputations=20, seed=11, deltas=(0.0, 2.0, 4.0, 8.0)),
)


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    return sensitivity_table(FRAME, PLAN, SPECS)


def test_every_analysis_and_arm_has_a_row(table: pl.DataFrame) -> None:
    assert table.select("analysis", "arm").rows() == [
        ("mi_mar", "igg"), ("mi_j2r", "igg"), ("tipping_point", "igg"),
        ("mi_mar", "serum"), ("mi_j2r", "serum"), ("tipping_point", "serum"),
    ]  # fmt: skip


def test_the_mar_row_is_stats_on_every_fas_subject_at_every_week(table: pl.DataFrame) -> None:
    # independent rebuild of the grid: subjects with an EASI baseline and a later EASI (the FAS
    # of this file) x weeks 4, 8, 12
    rows = FRAME.filter(pl.col("arm").is_in(["serum", "placebo"]))
    base = rows.filter(pl.col("week") == 0).select("subject_id", pl.col("easi").alias("b"))
    seen_after = rows.filter((pl.col("week") > 0) & pl.col("easi").is_not_null())["subject_id"]
    base = base.filter(pl.col("b").is_not_null() & pl.col("subject_id").is_in(seen_after))
    grid = base.join(pl.DataFrame({"week": [4.0, 8.0, 12.0]}), how="cross")
    vals = rows.select("subject_id", pl.col("week").cast(pl.Float64), "easi", "arm")
    grid = grid.join(vals, on=["subject_id", "week"], how="left").sort("subject_id", "week")
    arm = grid.join(rows.select("subject_id", "arm").unique(), on="subject_id")["arm_right"]
    want = stats.multiple_imputation(
        grid["subject_id"].cast(pl.Categorical).to_physical().to_numpy().astype(np.int64),
        grid["week"].to_numpy(),
        (arm == "serum").cast(pl.Int64).to_numpy(),
        grid["b"].to_numpy(),
        (grid["easi"] - grid["b"]).fill_null(np.nan).to_numpy(),
        visit_of_interest=12.0,
        seed=11,
        m=20,
    )
    got = table.filter((pl.col("analysis") == "mi_mar") & (pl.col("arm") == "serum")).row(
        0, named=True
    )
    assert got["n_subjects"] == want.n_subjects
    assert got["n_imputed"] == want.n_imputed > 0
    assert got["estimate"] == pytest.approx(want.pooled.estimate, rel=1e-12)
    assert got["p_value"] == pytest.approx(want.pooled.p_value, rel=1e-12)


def test_seeded_and_jump_to_reference_pulls_towards_the_control(table: pl.DataFrame) -> None:
    again = sensitivity_table(FRAME, PLAN, SPECS[:2])
    first = table.filter(pl.col("analysis") != "tipping_point")
    assert again["estimate"].to_list() == first["estimate"].to_list()
    for arm in ("igg", "serum"):
        est = dict(table.filter(pl.col("arm") == arm).select("analysis", "estimate").iter_rows())
        assert est["mi_mar"] < est["mi_j2r"] < 0  # improvement shrinks under J2R
