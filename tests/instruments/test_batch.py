"""Batch scoring specifics: the dense EASI path, band sets, errors, pass-through columns.

Expected values are the scalar path's exact results (the reference implementation of the
specification, itself checked against every worked example in test_worked_examples_api.py).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoserum.errors import ValidationError
from autoserum.instruments import get_instrument, score, score_batch
from autoserum.instruments._easi_dense import easi_dense
from tests.instruments.cases import DLQI_EXAMPLE
from tests.instruments.strategies import valid_value

EASI = get_instrument("easi")
DENSE_ITEMS = [i for i in EASI.items if i.alternative_to is None]


@st.composite
def complete_easi(draw: st.DrawFn) -> dict[str, Any]:
    return {item.column: draw(valid_value(item)) for item in DENSE_ITEMS}


def easi_frame(rows: list[dict[str, Any]], float_areas: bool) -> pl.DataFrame:
    columns = {}
    for item in DENSE_ITEMS:
        integer = item.path.endswith(".area") and not float_areas
        dtype = pl.Int64 if integer else pl.Float64
        columns[item.column] = pl.Series([r[item.column] for r in rows], dtype=dtype)
    return pl.DataFrame(columns)


@settings(max_examples=60)
@given(rows=st.lists(complete_easi(), min_size=1, max_size=20), float_areas=st.booleans())
def test_dense_easi_equals_scalar(rows: list[dict[str, Any]], float_areas: bool) -> None:
    frame = easi_frame(rows, float_areas)
    assert easi_dense(EASI, frame) is not None  # the dense path is the one under test
    out = score_batch("easi", frame, band_set="chopra2017")
    for row, got in zip(rows, out.iter_rows(named=True), strict=True):
        want = score("easi", EASI.unflatten(row), band_set="chopra2017")
        assert want.total is not None
        assert got["total"] == float(want.total)
        assert got["band"] == want.band
        for region, value in want.components.items():
            assert value is not None
            assert got[region] == float(value)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("head_neck_erythema", 0.5, "one of 0, 1, 1.5, 2, 2.5, 3"),
        ("trunk_lichenification", math.nan, "one of 0, 1, 1.5, 2, 2.5, 3"),
        ("lower_limbs_induration", 3.5, "one of 0, 1, 1.5, 2, 2.5, 3"),
        ("upper_limbs_excoriation", -1.0, "one of 0, 1, 1.5, 2, 2.5, 3"),
        ("trunk_area", 7.0, "one of 0, 1, 2, 3, 4, 5, 6"),
        ("trunk_area", 2.5, "one of 0, 1, 2, 3, 4, 5, 6"),
        ("age", -1.0, "a number from 0 to 130"),
    ],
)
def test_dense_path_errors_name_row_column_value(column: str, value: float, expected: str) -> None:
    rows = [{item.column: 0.0 for item in DENSE_ITEMS} for _ in range(10_000)]
    for row in rows:
        row["age"] = 30.0
    rows[9_000][column] = value
    frame = easi_frame(rows, float_areas=True)
    with pytest.raises(ValidationError) as err:
        score_batch("easi", frame)
    assert err.value.field == column
    assert err.value.location == "row 9001"
    assert expected in str(err.value)


def test_pass_through_and_output_clash() -> None:
    frame = pl.DataFrame({"subject_id": ["a", "b"], "score": [3, None]})
    out = score_batch("pp_nrs", frame)
    assert out.columns == ["subject_id", "score", "total", "band", "reason"]
    assert out["reason"].to_list() == [None, "missing: score"]
    with pytest.raises(ValidationError) as err:
        score_batch("pp_nrs", frame.with_columns(total=pl.lit(1)))
    assert err.value.field == "total"


def test_scorad_objective_columns() -> None:
    # spec § SCORAD worked example 1: SCORAD 27.5, oSCORAD 21.5; pruritus missing in row 2.
    row = {
        "extent": 20,
        "erythema": 1,
        "edema": 1,
        "oozing": 0,
        "excoriation": 1,
        "lichenification": 1,
        "dryness": 1,
        "pruritus": 4,
        "sleeplessness": 2,
    }
    frame = pl.DataFrame([row, {**row, "pruritus": None}])
    out = score_batch("scorad", frame)
    assert out["total"].to_list() == [27.5, None]
    assert out["objective"].to_list() == [21.5, 21.5]
    assert out["objective_band"].cast(pl.String).to_list() == ["moderate", "moderate"]


def test_empty_frame() -> None:
    out = score_batch("dlqi", pl.DataFrame({"q1": pl.Series([], dtype=pl.String)}))
    assert out.height == 0
    assert "total" in out.columns


def test_decimal_and_categorical_columns() -> None:
    # spec § SCORAD worked example 1 (27.5 / 21.5) and § DLQI worked example 1 (17), exact
    scorad = pl.DataFrame(
        {
            "extent": [Decimal("20.0")],
            **{s: [1] for s in ("erythema", "edema", "excoriation", "lichenification")},
            "oozing": [0],
            "dryness": [1],
            "pruritus": [Decimal("4.0")],
            "sleeplessness": [Decimal("2")],
        }
    )
    assert score_batch("scorad", scorad).select("total", "objective").rows() == [(27.5, 21.5)]
    dlqi = pl.DataFrame([DLQI_EXAMPLE]).with_columns(pl.all().cast(pl.Categorical))
    assert score_batch("dlqi", dlqi)["total"].to_list() == [17.0]
