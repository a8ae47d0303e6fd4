"""Batch scoring over Polars data frames, identical to the scalar path.

Rows are scored by a vectorised integer kernel (:mod:`autoserum.instruments._kernels`)
wherever it applies: complete rows, and the missing-data cases the kernels implement (EASI
regions with area 0, one unanswered DLQI/CDLQI/POEM question, a missing patient-global
effectiveness). The rest (other missing data, per-region SCORAD extent, text-typed numbers
without a step) are scored row by row by :func:`~autoserum.instruments.score`. Totals are
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

from autoserum.errors import Expected, ValidationError
from autoserum.instruments._kernels import KERNELS, KernelResult
from autoserum.instruments._model import Band, Score
from autoserum.instruments._registry import get_instrument, resolve_band_set, score

__all__ = ["output_columns", "score_batch"]

Ints = npt.NDArray[Any]
Bools = npt.NDArray[np.bool_]


def output_columns(code: str) -> tuple[str, ...]:
    """The columns :func:`score_batch` appends for this instrument, in order."""
    instrument = get_instrument(code)
    extra = [name for key in instrument.banded_extras for name in (key, f"{key}_band")]
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
                name,
                f"an input column named {name!r}",
                Expected("no input column with an output's name"),
            )
    n = frame.height
    result = KERNELS[code](instrument, frame)
    slow_rows = np.flatnonzero(~result.fast)
    slow = [_score_row(code, instrument.flat_columns(), frame, int(i), band_set) for i in slow_rows]

    # bands first: they read the integer numerators, which _numbers then divides in place
    columns: dict[str, pl.Series] = {}
    total_keys = result.keys if result.keys is not None else result.total
    columns["band"] = _band_column(
        result, total_keys, bands.bands if bands else None, slow_rows, [s.band for s in slow]
    )
    for key, values in result.extra.items():
        extra_bands = bands.extra_bands.get(key) if bands is not None else None
        columns[f"{key}_band"] = _band_column(
            result, values, extra_bands, slow_rows, [s.extra.get(f"{key}_band") for s in slow]
        )
    columns["total"] = _numbers(result, result.total, slow_rows, [s.total for s in slow])
    columns["reason"] = _text(n, slow_rows, [s.reason for s in slow])
    for name in instrument.components:
        columns[name] = _numbers(
            result,
            result.components[name],
            slow_rows,
            [s.components.get(name) for s in slow],
            result.component_missing.get(name),
        )
    for key, values in result.extra.items():
        columns[key] = _numbers(result, values, slow_rows, [s.extra.get(key) for s in slow])
    order = [name for name in names if name in columns]
    return frame.with_columns(*(columns[name].alias(name) for name in order))


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
        raise ValidationError(
            column, err.value, err.expectation, location=f"row {row + 1}"
        ) from err


def _numbers(
    result: KernelResult,
    values: Ints,
    slow_rows: Ints,
    slow: list[Fraction | None],
    missing: Bools | None = None,
) -> pl.Series:
    out: npt.NDArray[Any]
    if result.divided:
        out = values
    elif values.dtype == np.float64:  # the kernel's own array: divide in place
        out = np.divide(values, result.denominator, out=values)
    else:
        out = values / result.denominator
    if missing is not None:
        out[missing] = np.nan
    if len(slow_rows):
        out[slow_rows] = [np.nan if v is None else float(v) for v in slow]
    if missing is not None or len(slow_rows):
        return pl.Series(out, nan_to_null=True)
    return pl.Series(out)


def _band_column(
    result: KernelResult,
    values: Ints,
    bands: tuple[Band, ...] | None,
    slow_rows: Ints,
    slow: list[str | None],
) -> pl.Series:
    """Band codes by a lookup table over the integer numerators (exact, no rounding)."""
    n = len(values)
    if bands is None:
        return pl.repeat(None, n, dtype=pl.String, eager=True)
    den = result.denominator
    thresholds = []
    for band in bands[:-1]:
        assert band.upper is not None
        scaled = band.upper * den
        floor = scaled.numerator // scaled.denominator
        exact = scaled.denominator == 1
        thresholds.append(floor if band.inclusive or not exact else floor - 1)
    top = max(int(values.max()) if n else 0, thresholds[-1] + 1, 0)
    lut = np.searchsorted(np.array(thresholds), np.arange(top + 1), side="left").astype(np.uint8)
    keys = values if values.dtype.kind in "iu" else values.astype(np.intp)
    if len(slow_rows):
        keys = keys.copy() if keys is values else keys
        keys[slow_rows] = 0
    labels = [b.code for b in bands]
    series = pl.Series(lut[keys]).cat.to(pl.Enum(labels))
    if len(slow_rows):
        series = series.scatter(slow_rows, pl.Series(slow, dtype=pl.Enum(labels)))
    return series


def _text(n: int, rows: Ints, values: list[Any]) -> pl.Series:
    out = pl.repeat(None, n, dtype=pl.String, eager=True)
    if len(rows):
        out = out.scatter(rows, pl.Series(values, dtype=pl.String))
    return out
