"""Item-level columns of the long format, scored with the instruments library.

When a file carries an instrument's items (``easi_head_neck_erythema``, ``dlqi_q1``, …) they
are scored with :func:`autoserum.instruments.score_batch`; a total given as well must agree
with the computed one, and a missing total is filled from the items. Reference:
``docs/data-format.md`` (rules) and ``docs/instruments.md`` (items).

A POEM total filled from its seven items (each 0-4) on one row of a file:

>>> import polars as pl
>>> items = ["itch", "sleep", "bleeding", "oozing", "cracking", "flaking", "dryness"]
>>> frame = pl.DataFrame({LINE: [2], **{f"poem_{item}": ["2"] for item in items}})
>>> score_item_columns(frame, Where("study.csv"))["poem"].to_list()
[14.0]
"""

from __future__ import annotations

import re

import polars as pl

from autoserum.errors import Expected, ValidationError
from autoserum.instruments import get_instrument, instrument_codes, score_batch
from autoserum.study.tidy._where import LINE, Where

__all__ = ["score_item_columns"]
_TOL = 1e-9


def _typed(frame: pl.DataFrame, code: str, where: Where) -> tuple[pl.DataFrame, dict[str, str]]:
    """The instrument's flat item columns present in ``frame``, typed per item kind."""
    instrument = get_instrument(code)
    exprs = []
    names: dict[str, str] = {}
    for item in instrument.items:
        column = f"{code}_{item.column}"
        if item.column == "age" and code == "easi":
            column = "easi_age" if "easi_age" in frame.columns else "age"
        if column not in frame.columns:
            continue
        names[item.column] = column
        raw = pl.col(column)
        numeric_choices = item.allowed is not None and all(
            not isinstance(a, str) and not isinstance(a, bool) for a in item.allowed
        )
        if item.kind == "number" or numeric_choices:
            if frame.schema[column] == pl.String:
                parsed = raw.str.strip_chars().cast(pl.Float64, strict=False)
                bad = frame.filter(raw.is_not_null() & parsed.is_null())
                if bad.height:
                    row = bad.row(0, named=True)
                    raise ValidationError(
                        column, row[column], Expected("a number"), location=where.at(row, column)
                    )
                exprs.append(parsed.alias(item.column))
            else:
                exprs.append(raw.cast(pl.Float64).alias(item.column))
        elif item.allowed is not None and all(isinstance(a, bool) for a in item.allowed):
            exprs.append((raw.cast(pl.String).str.to_lowercase() == "true").alias(item.column))
        else:
            exprs.append(raw.cast(pl.String).alias(item.column))
    return frame.select(LINE, *exprs), names


def score_item_columns(frame: pl.DataFrame, where: Where) -> pl.DataFrame:
    """Score every instrument whose items are present; check or fill its total column.

    ``frame`` carries the ``__line`` column of the validator (row number of each row).
    """
    for code in instrument_codes():
        items, names = _typed(frame, code, where)
        if not names or set(names) == {"age"}:
            continue
        try:
            scored = score_batch(code, items.drop(LINE))
        except ValidationError as err:
            field = f"{code}_{err.field.replace('.', '_')}"
            match = re.search(r"row (\d+)", str(err.location or ""))
            if match is not None and 0 < int(match.group(1)) <= frame.height:
                location = where.at(frame.row(int(match.group(1)) - 1, named=True), field)
            else:
                location = (
                    f"{where.source} ({code} items"
                    f"{', ' + str(err.location) if err.location else ''})"
                )
            raise ValidationError(field, err.value, err.expectation, location=location) from err
        totals = {code: scored["total"]}
        if code == "scorad" and "objective" in scored.columns:
            totals["oscorad"] = scored["objective"]
        for column, computed in totals.items():
            computed = computed.cast(pl.Float64).alias(f"_computed_{column}")
            if column in frame.columns:
                given = pl.col(column)
                check = frame.select(LINE, column).with_columns(computed)
                differs = (
                    given.is_not_null()
                    & pl.col(computed.name).is_not_null()
                    & ((given - pl.col(computed.name)).abs() > _TOL)
                )
                bad = check.filter(differs)
                if bad.height:
                    line = bad.row(0, named=True)[LINE]
                    row = frame.filter(pl.col(LINE) == line).row(0, named=True)
                    computed_value = bad.row(0, named=True)[computed.name]
                    raise ValidationError(
                        column,
                        row[column],
                        Expected(
                            "the total computed from the %(code)s items (%(computed_value)s)",
                            code=code,
                            computed_value=format(computed_value, "g"),
                        ),
                        location=where.at(row, column),
                    )
                frame = frame.with_columns(computed).with_columns(
                    pl.coalesce(pl.col(column), pl.col(computed.name)).alias(column)
                )
                frame = frame.drop(computed.name)
            else:
                frame = frame.with_columns(computed.alias(column))
    return frame
