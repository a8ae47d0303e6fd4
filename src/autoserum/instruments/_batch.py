"""Batch scoring over Polars data frames, identical to the scalar path.

Rows whose items are all present are scored by a vectorised integer kernel
(:mod:`autoserum.instruments._kernels`); the rest (missing items, per-region SCORAD extent,
text-typed numbers) are scored row by row by :func:`~autoserum.instruments.score`. Totals are
exact integer numerators ``k`` over a denominator ``d``; the ``total`` column holds
``float(k) / d``, which IEEE division rounds correctly, so it equals ``float(Fraction(k, d))``,
the float of the scalar path's exact total. Bands compare the integers with the band limits.

Reference: docs/instruments.md; the equality is proven by a property test
(tests/instruments/test_contract.py).

>>> import polars as pl
>>> from autoserum.instruments import score_batch
>>> out = score_batch("pp_nrs", pl.DataFrame({"score": [0, 4, None]}))
>>> out.select("total", "band").rows()
[(0.0, 'none'), (4.0, 'moderate'), (None, None)]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from autoserum.errors import ValidationError
from autoserum.instruments._kernels import KERNELS, KernelResult
from autoserum.instruments._model import Band, Score
from autoserum.instruments._registry import get_instrument, resolve_band_set, score

__all__ = ["output_columns", "score_batch"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def output_columns(code: str) -> tuple[str, ...]:
    """The columns :func:`score_batch` appends for this instrument, in order."""
    instrument = get_instrument(code)
    extra: tuple[str, ...] = ()
    if code == "scorad":
        extra = ("objective", "objective_band")
    return ("total", "band", "reason", *instrument.components, *extra)


def score_batch(code: str, frame: pl.DataFrame, *, band_set: str | None = None) -> pl.DataFrame:
    """Score every row of ``frame`` (flat item columns) and append the results.

    Appends ``total`` (Float64, null when not scorable), ``band`` (an Enum of the band set's
    codes), ``reason`` and one Float64 column per component (SCORAD also ``objective`` and
    ``objective_band``; PO-SCORAD rows are those whose ``patient_reported`` is true). Other
    input columns pass through; a missing item column counts as missing values. A bad value raises
    :class:`~autoserum.errors.ValidationError` naming the column, the row (1-based), the value
    and the allowed values.
    """
    instrument = get_instrument(code)
    bands = resolve_band_set(instrument, band_set)
    names = output_columns(code)
    for name in names:
        if name in frame.columns:
            raise ValidationError(
                name, f"an input column named {name!r}", "no input column with an output's name"
            )
    n = frame.height
    result = KERNELS[code](instrument, frame)
    slow_rows = np.flatnonzero(~result.fast)
    slow = [_score_row(code, instrument.flat_columns(), frame, int(i), band_set) for i in slow_rows]

    columns: dict[str, pl.Series] = {}
    columns["total"] = _numbers(result, result.total, slow_rows, [s.total for s in slow])
    columns["band"] = _band_column(
        result, result.total, bands.bands if bands else None, slow_rows, [s.band for s in slow]
    ).alias("band")
    columns["reason"] = _text(n, slow_rows, [s.reason for s in slow])
    for name in instrument.components:
        columns[name] = _numbers(
            result, result.components[name], slow_rows, [s.components.get(name) for s in slow]
        )
    for key, values in result.extra.items():
        slow_values = [s.extra.get(key) for s in slow]
        columns[key] = _numbers(result, values, slow_rows, slow_values)
        extra_bands = bands.extra_bands.get(key) if bands is not None else None
        columns[f"{key}_band"] = _band_column(
            result, values, extra_bands, slow_rows, [s.extra.get(f"{key}_band") for s in slow]
        )
    return frame.with_columns(*(series.alias(name) for name, series in columns.items()))


def _score_row(
    code: str, item_columns: tuple[str, ...], frame: pl.DataFrame, row: int, band_set: str | None
) -> Score:
    present = [c for c in item_columns if c in frame.columns]
    values = frame.select(present).row(row, named=True)
    instrument = get_instrument(code)
    try:
        return score(code, instrument.unflatten(values), band_set=band_set)
    except ValidationError as err:
        column = err.field.replace(".", "_")
        raise ValidationError(column, err.value, err.expected, location=f"row {row + 1}") from err


def _numbers(
    result: KernelResult, values: Ints, slow_rows: Ints, slow: list[Fraction | None]
) -> pl.Series:
    out = values.astype(np.float64) / result.denominator
    if len(slow_rows):
        out[slow_rows] = [np.nan if v is None else float(v) for v in slow]
        return pl.Series(out, nan_to_null=True)
    return pl.Series(out)


def _band_column(
    result: KernelResult,
    values: Ints,
    bands: tuple[Band, ...] | None,
    slow_rows: Ints,
    slow: list[str | None],
) -> pl.Series:
    if bands is None:
        return pl.repeat(None, len(values), dtype=pl.String, eager=True)
    index = np.full(len(values), len(bands) - 1, dtype=np.uint8)
    den = result.denominator
    for position in range(len(bands) - 2, -1, -1):
        band = bands[position]
        assert band.upper is not None
        scaled = values if band.upper.denominator == 1 else values * band.upper.denominator
        limit = band.upper.numerator * den
        inside = scaled <= limit if band.inclusive else scaled < limit
        index[inside] = position
    labels = [b.code for b in bands]
    series = pl.Series(index).cat.to(pl.Enum(labels))
    if len(slow_rows):
        series = series.scatter(slow_rows, pl.Series(slow, dtype=pl.Enum(labels)))
    return series


def _text(n: int, rows: Ints, values: list[Any]) -> pl.Series:
    out = pl.repeat(None, n, dtype=pl.String, eager=True)
    if len(rows):
        out = out.scatter(rows, pl.Series(values, dtype=pl.String))
    return out
