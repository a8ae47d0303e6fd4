"""Vectorised reading and validation of item columns for batch scoring.

Every numeric item is read as integers in a fixed unit (``value = k / scale`` exactly: EASI
signs in halves, SCORAD extent and pruritus in tenths), so batch arithmetic is integer
arithmetic and provably equal to the exact scalar path. A float ``v`` is accepted exactly when
the scalar path accepts it: the scalar path reads ``v`` as the decimal ``repr(v)``, and
``repr(v) · scale`` is an integer ``k`` iff ``v`` is the double nearest to ``k / scale``, i.e.
iff ``float(k) / scale == v`` (IEEE division is correctly rounded). Text columns are validated
value by value through the scalar :meth:`Item.check` (on their distinct values only).

A bad value raises :class:`~autoserum.errors.ValidationError` naming the column, the row
(1-based), the value and the allowed values.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from autoserum.errors import ValidationError
from autoserum.instruments._model import Item

__all__ = [
    "Column",
    "bad_value",
    "choice_codes",
    "float_column",
    "points_column",
    "scaled_column",
]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Column:
    """An item column as integers (``values``, 0 where missing) and a presence mask."""

    values: Ints
    present: Bools
    complete: bool  # no missing value at all


def _series(frame: pl.DataFrame, item: Item) -> pl.Series | None:
    if item.column not in frame.columns:
        return None
    series = frame.get_column(item.column)
    if series.dtype == pl.Null or series.null_count() == series.len():
        return None
    if isinstance(series.dtype, pl.Categorical | pl.Enum | pl.Decimal):
        series = series.cast(pl.String)  # decimals are then read exactly, value by value
    return series


def bad_value(item: Item, series: pl.Series, bad: Bools | pl.Series) -> ValidationError:
    """The error for the first row flagged in ``bad``."""
    mask = bad.to_numpy() if isinstance(bad, pl.Series) else bad
    row = int(np.flatnonzero(mask)[0])
    value = series[row]
    return ValidationError(item.column, value, item.expected(), location=f"row {row + 1}")


def _missing(n: int) -> Column:
    return Column(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.bool_), False)


def _presence(series: pl.Series) -> tuple[Bools, bool]:
    nulls = series.null_count()
    if nulls == 0:
        return np.ones(series.len(), dtype=np.bool_), True
    return series.is_not_null().to_numpy(), False


def _by_distinct_values(item: Item, series: pl.Series, convert: Any) -> pl.Series:
    """Map each distinct non-null value through ``convert`` (which validates it)."""
    mapping: dict[Any, int] = {}
    for value in series.drop_nulls().unique().to_list():
        try:
            mapping[value] = convert(item.check(value))
        except ValidationError as err:
            first = (series == value).fill_null(False)
            raise bad_value(item, series, first) from err
    return series.replace_strict(mapping, return_dtype=pl.Int64)


def scaled_column(frame: pl.DataFrame, item: Item, scale: int) -> Column:
    """A numeric item with a step or a set of allowed values, as integers ``k = value·scale``."""
    n = frame.height
    series = _series(frame, item)
    if series is None:
        return _missing(n)
    present, complete = _presence(series)
    dtype = series.dtype
    if dtype.is_integer() or dtype.is_float():
        raw = series if complete else series.fill_null(0)
        v = raw.to_numpy()
        low, high = item.minimum, item.maximum
        assert low is not None
        assert high is not None
        if dtype.is_float():
            with np.errstate(invalid="ignore"):
                ok = (v >= float(low)) & (v <= float(high))
            t = np.where(ok, v, 0.0) * scale
            k = np.rint(t).astype(np.int64)
            ok &= (k == t) if scale in (1, 2, 4) else (k / scale == v)
        else:
            ok = (v >= float(low)) & (v <= float(high))
            k = np.where(ok, v, 0).astype(np.int64) * scale
        _check_grid(item, scale, k, ok)
        if not complete:
            ok |= ~present
        if not ok.all():
            raise bad_value(item, series, ~ok)
        return Column(k, present, complete)
    if dtype == pl.String:
        mapped = _by_distinct_values(item, series, lambda f: _exact_int(f * scale))
        return Column(mapped.fill_null(0).to_numpy().astype(np.int64), present, complete)
    raise bad_value(item, series, series.is_not_null())


def _exact_int(value: Fraction) -> int:
    assert value.denominator == 1
    return int(value)


def _check_grid(item: Item, scale: int, k: Ints, ok: Bools) -> None:
    """Keep in ``ok`` only the values allowed by ``item.allowed`` or its step (in place)."""
    low = item.minimum
    assert low is not None
    base = _exact_int(low * scale)
    if item.allowed is not None:
        allowed = [_exact_int(Fraction(a) * scale) - base for a in item.allowed]
        lut = np.zeros(max(allowed) + 1, dtype=np.bool_)
        lut[allowed] = True
        # k is in [minimum, maximum]·scale wherever ok holds and 0 elsewhere
        idx = k if base == 0 else np.clip(k - base, 0, len(lut) - 1)
        ok &= lut[idx]
    elif item.step is not None:
        step = _exact_int(item.step * scale)
        if step != 1:
            ok &= (k - base) % step == 0


def float_column(frame: pl.DataFrame, item: Item) -> tuple[Floats, Bools, bool]:
    """A numeric item without a step (EASI age, area_percent) as float64 within its range.

    Returns the values (0 where missing), the presence mask and whether the column is exact
    as float64 (a numeric column). Text columns return ``False``: their rows are scored by the
    scalar path, which reads the text exactly.
    """
    n = frame.height
    series = _series(frame, item)
    if series is None:
        return np.zeros(n), np.zeros(n, dtype=np.bool_), True
    present, complete = _presence(series)
    if series.dtype.is_integer() or series.dtype.is_float():
        v = (series if complete else series.fill_null(0)).cast(pl.Float64).to_numpy()
        low, high = item.minimum, item.maximum
        assert low is not None
        assert high is not None
        with np.errstate(invalid="ignore"):
            ok = (v >= float(low)) & (v <= float(high))
        if not complete:
            ok |= ~present
        if not ok.all():
            raise bad_value(item, series, ~ok)
        return v, present, True
    if series.dtype == pl.String:
        _by_distinct_values(item, series, lambda f: 0)
        return np.zeros(n), present, False
    raise bad_value(item, series, series.is_not_null())


def choice_codes(item: Item, series: pl.Series) -> Ints:
    """The index of each answer in ``item.allowed`` (0 where missing); invalid codes raise."""
    assert item.allowed is not None
    if series.dtype != pl.String:
        raise bad_value(item, series, series.is_not_null())
    as_enum = series.cast(pl.Enum([str(a) for a in item.allowed]), strict=False)
    if as_enum.null_count() != series.null_count():
        raise bad_value(item, series, as_enum.is_null() & series.is_not_null())
    physical = as_enum.to_physical()
    if physical.null_count():
        physical = physical.fill_null(0)
    return physical.to_numpy().astype(np.int64)


def points_column(frame: pl.DataFrame, item: Item) -> Column:
    """A choice item (answer codes) as its points."""
    n = frame.height
    series = _series(frame, item)
    if series is None:
        return _missing(n)
    present, complete = _presence(series)
    assert item.points is not None
    assert item.allowed is not None
    lut = np.array([item.points[a] for a in item.allowed], dtype=np.int64)
    values = lut[choice_codes(item, series)]
    if not complete:
        values = np.where(present, values, 0)
    return Column(values, present, complete)
