"""The ONE contract every registered instrument meets (Hypothesis, derandomised).

For each instrument of the registry: the total stays within the declared range and reaches its
bounds; it is monotone (non-decreasing) in every scored item; the declared missing-data rule
holds; every invalid value is rejected naming the item; batch scoring equals scalar scoring on
random inputs. Expected bounds come from the registry, which follows the scoring specification
(docs/instruments.md); comparisons are exact (Fraction) or float equality of exact values.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoserum.errors import ValidationError
from autoserum.instruments import (
    Instrument,
    Item,
    get_instrument,
    instrument_codes,
    score,
    score_batch,
)
from tests.instruments.strategies import as_input, condition_met, flat_rows, grid

CODES = instrument_codes()


def scored_items(inst: Instrument) -> list[Item]:
    return [i for i in inst.items if i.role == "score"]


def extreme_row(inst: Instrument, which: int, age: float = 30) -> dict[str, Any]:
    """Every scored item at its least (which=0) or most (which=-1) severe value."""
    row: dict[str, Any] = {}
    for item in inst.items:
        values = grid(item)
        if item.alternative_to is not None or not condition_met(item, row, inst):
            row[item.column] = None
        elif item.role == "context":
            row[item.column] = age if item.path == "age" else None
        else:
            assert values is not None
            row[item.column] = values[which]
    return row


def score_row(inst: Instrument, row: dict[str, Any]) -> Any:
    return score(inst.code, inst.unflatten(row))


@pytest.mark.parametrize("code", CODES)
def test_range_bounds_are_reached(code: str) -> None:
    inst = get_instrument(code)
    for age in (30, 5):
        assert score_row(inst, extreme_row(inst, 0, age)).total == inst.minimum
        assert score_row(inst, extreme_row(inst, -1, age)).total == inst.maximum


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_total_within_range(code: str, data: st.DataObject) -> None:
    inst = get_instrument(code)
    result = score_row(inst, data.draw(flat_rows(inst)))
    if result.total is None:
        assert result.reason
    else:
        assert inst.minimum <= result.total <= inst.maximum
        assert result.reason is None
        if inst.default_band_set is not None:
            assert result.band in {b.code for b in inst.band_sets[inst.default_band_set].bands}


def with_value(inst: Instrument, row: dict[str, Any], item: Item, value: Any) -> dict[str, Any]:
    """``row`` with ``item`` set, dependants (q7b) cleared or set to their least value."""
    out = {**row, item.column: value}
    for other in inst.items:
        if other.condition is not None and other.condition[0] == item.path:
            values = grid(other)
            assert values is not None
            out[other.column] = values[0] if condition_met(other, out, inst) else None
    return out


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=40)
@given(data=st.data())
def test_monotone_in_every_item(code: str, data: st.DataObject) -> None:
    inst = get_instrument(code)
    row = data.draw(flat_rows(inst, missing=False))
    for item in scored_items(inst):
        if row[item.column] is None and item.condition is None and item.alternative_to is None:
            continue
        if row[item.column] is None:
            continue  # an alternative form or a sub-question not in use in this row
        values = grid(item)
        if values is None:
            assert item.minimum is not None
            assert item.maximum is not None
            values = sorted({float(item.minimum), row[item.column], float(item.maximum)})
        totals = [score_row(inst, with_value(inst, row, item, v)).total for v in values]
        assert all(t is not None for t in totals), item.path
        assert totals == sorted(totals), item.path


def tolerated_missing(inst: Instrument, row: dict[str, Any], item: Item) -> bool:
    """Whether the declared missing rule still scores ``row`` without ``item`` (complete row)."""
    if inst.code in ("dlqi", "cdlqi", "poem"):
        return True  # one unanswered question scores 0
    if inst.code == "easi" and "." in item.path:
        region = item.path.split(".")[0]
        return bool(_area(row, region) == 0)  # signs of a region with area 0 may be missing
    if inst.code == "scorad":
        return item.path == "patient_reported"
    if inst.code == "patient_global":
        return item.path == "effectiveness"
    return False


def _area(row: dict[str, Any], region: str) -> Any:
    area = row.get(f"{region}_area")
    return area if area is not None else row.get(f"{region}_area_percent")


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=30)
@given(data=st.data())
def test_missing_data_rule(code: str, data: st.DataObject) -> None:
    inst = get_instrument(code)
    empty = score(code, {})
    assert empty.total is None
    assert empty.reason
    row = data.draw(flat_rows(inst, missing=False))
    full = score_row(inst, row)
    assert full.total is not None
    for item in inst.items:
        if row[item.column] is None or item.alternative_to is not None:
            continue
        if any(o.alternative_to == item.path for o in inst.items):
            continue  # EASI area, SCORAD extent: covered by their alternatives being unused
        if any(o.condition and o.condition[0] == item.path for o in inst.items):
            continue  # DLQI q7: its sub-question would be left dangling
        reduced = score_row(inst, {**row, item.column: None})
        expected = tolerated_missing(inst, row, item)
        assert (reduced.total is not None) == expected, item.path
        if reduced.total is None:
            assert reduced.reason
        elif inst.code in ("dlqi", "cdlqi", "poem"):
            assert reduced.total <= full.total  # the unanswered question scores 0
        if inst.code == "scorad" and item.path in ("pruritus", "sleeplessness"):
            assert reduced.extra["objective"] == full.extra["objective"]
    if inst.code in ("dlqi", "cdlqi", "poem"):
        questions = [i for i in scored_items(inst) if i.condition is None][:2]
        two_gone = {**row, **{q.column: None for q in questions}}
        if inst.code == "dlqi":
            two_gone = with_value(inst, two_gone, inst.item("q1"), None)
        assert score_row(inst, two_gone).total is None


def invalid_values(item: Item) -> list[Any]:
    values: list[Any] = ["bogus", True, math.nan, [1]]
    if item.kind == "choice":
        return [*values, 1, "NOT_AT_ALL"] if item.allowed != (False, True) else ["yes", 1]
    assert item.minimum is not None
    if item.maximum is not None:
        values += [as_input(item.maximum + 1), as_input(item.maximum + Fraction(1, 1000))]
    values += [as_input(item.minimum - 1), math.inf]
    if item.step is not None:
        values.append(as_input(item.minimum + item.step / 2))
    if item.allowed is not None:
        values.append(as_input(Fraction(1, 2)))
    return values


@pytest.mark.parametrize("code", CODES)
def test_invalid_values_are_rejected(code: str) -> None:
    inst = get_instrument(code)
    row = extreme_row(inst, 0)
    for item in inst.items:
        for value in invalid_values(item):
            with pytest.raises(ValidationError) as err:
                score_row(inst, {**row, item.column: value})
            assert err.value.field == item.path
            assert item.expected() in str(err.value)
            if isinstance(value, str | bool | float | int) and item.condition is None:
                frame = pl.DataFrame({item.column: [None, value]}, strict=False)
                with pytest.raises(ValidationError) as batch_err:
                    score_batch(code, frame)
                assert batch_err.value.field == item.column
                assert batch_err.value.location == "row 2"
    with pytest.raises(ValidationError):
        score(code, {"not_an_item": 1})


def frame_of(inst: Instrument, rows: list[dict[str, Any]], dtypes: str) -> pl.DataFrame:
    """The rows as a frame: numbers as Float64, as Int64 where possible, or as text (CSV)."""
    integers = dtypes == "int"
    columns: dict[str, pl.Series] = {}
    for item in inst.items:
        values = [r[item.column] for r in rows]
        if dtypes == "text" and item.kind == "number":
            text = [None if v is None else str(v) for v in values]
            columns[item.column] = pl.Series(item.column, text, dtype=pl.String)
            continue
        if item.kind == "choice":
            dtype: Any = pl.Boolean if item.allowed == (False, True) else pl.String
        elif integers and all(v is None or float(v).is_integer() for v in values):
            dtype = pl.Int64
        else:
            dtype = pl.Float64
        columns[item.column] = pl.Series(item.column, values, dtype=dtype, strict=False)
    return pl.DataFrame(columns)


def same(batch_value: Any, scalar_value: Any) -> bool:
    if scalar_value is None:
        return batch_value is None
    if isinstance(scalar_value, Fraction):
        return bool(batch_value == float(scalar_value))
    return bool(batch_value == scalar_value)


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=60)
@given(data=st.data())
def test_batch_equals_scalar(code: str, data: st.DataObject) -> None:
    inst = get_instrument(code)
    rows = data.draw(st.lists(flat_rows(inst), min_size=1, max_size=12))
    dtypes = data.draw(st.sampled_from(["float", "int", "text"]))
    band_set = data.draw(st.sampled_from([None, *inst.band_sets]))
    out = score_batch(code, frame_of(inst, rows, dtypes), band_set=band_set)
    for row, got in zip(rows, out.iter_rows(named=True), strict=True):
        want = score(code, inst.unflatten(row), band_set=band_set)
        assert same(got["total"], want.total)
        assert got["band"] == want.band
        assert got["reason"] == want.reason
        for name in inst.components:
            assert same(got[name], want.components[name]), name
        for key, value in want.extra.items():
            if key == "patient_reported":  # an input column, passed through
                assert bool(got[key]) == value
            else:
                assert same(got[key], value), key
