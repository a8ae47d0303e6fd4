"""Item-level columns are scored with the instruments library when read (docs/data-format.md):
a given total must agree, a missing total is filled. Data: autoserum.simulate (synthetic)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from autoserum.analysis import read_long
from autoserum.errors import ValidationError
from autoserum.simulate import simulate_study


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    study = simulate_study("ast-nahm2023", 12, seed=5)
    path = tmp_path_factory.mktemp("items") / "sim.csv"
    study.visits.write_csv(path)
    return path


def test_items_and_totals_agree(simulated: Path) -> None:
    frame = read_long(simulated)
    original = pl.read_csv(simulated).sort("subject_id", "week")
    assert frame["easi"].to_list() == pytest.approx(original["easi"].to_list(), nan_ok=True)


def test_missing_total_is_computed_from_items(simulated: Path, tmp_path: Path) -> None:
    original = pl.read_csv(simulated)
    path = tmp_path / "no_totals.csv"
    original.drop("easi", "scorad", "oscorad").write_csv(path)
    frame = read_long(path)
    want = original.sort("subject_id", "week")
    # the totals simulate wrote were computed by autoserum.instruments.score_batch
    for column in ("easi", "scorad", "oscorad"):
        assert frame[column].to_list() == pytest.approx(want[column].to_list(), nan_ok=True)


def test_a_total_that_disagrees_with_its_items_is_rejected(simulated: Path, tmp_path: Path) -> None:
    original = pl.read_csv(simulated)
    index = original.with_row_index().filter(pl.col("easi").is_not_null())["index"][3]
    changed = original.with_columns(
        pl.when(pl.int_range(pl.len()) == index)
        .then(pl.col("easi") + 1)
        .otherwise(pl.col("easi"))
        .alias("easi")
    )
    path = tmp_path / "bad_total.csv"
    changed.write_csv(path)
    with pytest.raises(ValidationError) as info:
        read_long(path)
    assert info.value.field == "easi"
    assert info.value.location == f"bad_total.csv, line {index + 2}, column 'easi'"
    assert "computed from the easi items" in info.value.expected


def test_a_bad_item_value_is_rejected(simulated: Path, tmp_path: Path) -> None:
    original = pl.read_csv(simulated, infer_schema=False)
    changed = original.with_columns(
        pl.when(pl.int_range(pl.len()) == 2)
        .then(pl.lit("sometimes"))
        .otherwise(pl.col("dlqi_q1"))
        .alias("dlqi_q1")
    )
    path = tmp_path / "bad_item.csv"
    changed.write_csv(path)
    with pytest.raises(ValidationError) as info:
        read_long(path)
    assert info.value.field == "dlqi_q1"
    assert info.value.value == "sometimes"
    assert info.value.location == "bad_item.csv, line 4, column 'dlqi_q1'"
