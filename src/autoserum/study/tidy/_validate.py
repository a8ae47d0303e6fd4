"""The one validator of the tidy long format: every cell checked against the column specs.

The file reader (``autoserum.analysis.read_study``), the store's import and the database read
(``analyze --db``) all call these functions, so what one accepts the others accept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import polars as pl

from autoserum.errors import Expected, ValidationError
from autoserum.study.medication import check_con_med
from autoserum.study.tidy._columns import (
    AE_COLUMNS,
    CONMED_COLUMNS,
    ITEM_PREFIXES,
    SUBJECT_LEVEL,
    VISIT_COLUMNS,
    Column,
)
from autoserum.study.tidy._items import score_item_columns
from autoserum.study.tidy._where import LINE, Where
from autoserum.study.vitals import check_blood_pressure

__all__ = ["as_text_frame", "validate_adverse_events", "validate_con_meds", "validate_visits"]


def _fail(
    frame: pl.DataFrame, mask: pl.Expr, col: str, expected: str | Expected, where: Where
) -> None:
    bad = frame.filter(mask)
    if bad.height:
        row = bad.row(0, named=True)
        value = row[col]
        if isinstance(value, str) and len(value) > 60:
            value = f"{value[:40]}… ({len(value)} characters)"
        raise ValidationError(col, value, expected, location=where.at(row, col))


def _parse_column(frame: pl.DataFrame, spec: Column, where: Where) -> pl.Expr:
    """Check every cell of one column; return the expression that parses it."""
    c = pl.col(spec.name)
    present = c.is_not_null()
    if spec.required:
        _fail(frame, c.is_null() | (c.str.strip_chars() == ""), spec.name, spec.expected(), where)
    if spec.kind == "text":
        if spec.pattern is not None:
            ok = c.str.contains(spec.pattern)
            _fail(frame, (present & ~ok).fill_null(False), spec.name, spec.expected(), where)
        if spec.max_length is not None:
            long = c.str.strip_chars().str.len_chars() > spec.max_length
            _fail(frame, (present & long).fill_null(False), spec.name, spec.expected(), where)
        return c
    if spec.kind == "choice":
        _fail(frame, present & ~c.is_in(spec.choices), spec.name, spec.expected(), where)
        return c
    if spec.kind == "boolean":
        low = c.str.strip_chars().str.to_lowercase()
        _fail(frame, present & ~low.is_in(["true", "false"]), spec.name, spec.expected(), where)
        return low == "true"
    if spec.kind == "date":
        parsed = c.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
        _fail(frame, present & parsed.is_null(), spec.name, spec.expected(), where)
        return parsed
    if spec.kind == "datetime":
        stamp = c.map_elements(_instant, return_dtype=pl.Datetime("us", "UTC"), skip_nulls=True)
        _fail(frame, present & stamp.is_null(), spec.name, spec.expected(), where)
        return stamp
    num = c.str.strip_chars().cast(pl.Float64, strict=False)
    bad = present & (num.is_null() | ~num.is_finite())
    if spec.minimum is not None:
        bad = bad | (num < spec.minimum)
    if spec.maximum is not None:
        bad = bad | (num > spec.maximum)
    if spec.kind == "integer":
        bad = bad | (num != num.round(0))
    _fail(frame, bad.fill_null(False), spec.name, spec.expected(), where)
    return num


def _instant(text: str) -> datetime | None:
    """An ISO 8601 date and time with its UTC offset as the instant in UTC (``None`` for
    anything else, a time without an offset included), as the entity registry reads it."""
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return None if stamp.tzinfo is None else stamp.astimezone(UTC)


def _known(col: str, specs: dict[str, Column], items: bool) -> bool:
    if col in specs:
        return True
    return items and any(col.startswith(f"{p}_") for p in ITEM_PREFIXES)


def _parse(
    frame: pl.DataFrame, specs: dict[str, Column], where: Where, *, items: bool
) -> pl.DataFrame:
    frame = frame.with_row_index(LINE, offset=where.offset)
    for col in frame.columns:
        if col != LINE and not _known(col, specs, items):
            raise ValidationError(
                col,
                col,
                Expected("a column of the tidy long format (docs/data-format.md)"),
                location=where.source,
            )
    for spec in specs.values():
        if spec.required and spec.name not in frame.columns:
            raise ValidationError(
                spec.name, None, Expected("a required column"), location=where.source
            )
    exprs = [
        _parse_column(frame, spec, where).alias(spec.name)
        for spec in specs.values()
        if spec.name in frame.columns
    ]
    return frame.with_columns(exprs)


def validate_visits(
    frame: pl.DataFrame,
    source: str = "<frame>",
    first_line: int | None = 2,
    *,
    lines: bool = False,
) -> pl.DataFrame:
    """Validate a visit table whose cells are text (as read from CSV); return it typed.

    Checks every cell against ``docs/data-format.md``, that subject-level columns do not change
    within a subject and that no subject has two rows for the same week. The first bad cell
    raises one :class:`~autoserum.errors.ValidationError` naming the column, value and what was
    expected, located by file line (``first_line``: the line of the first data row) or, with
    ``first_line=None`` (records of a database), by subject and visit. ``per_protocol`` and
    ``treated`` default to ``true`` as the format specifies. The rows come back sorted by
    subject and week; with ``lines``, in the input's order with each row's line number in the
    column ``__line`` (the store's import checks the protocol's rules over it).

    >>> text = pl.DataFrame({"subject_id": ["S1"], "visit": ["baseline"], "week": ["0"],
    ...                      "age": ["200"]})
    >>> validate_visits(text, "study AST", first_line=None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: study AST, subject S1, visit baseline, column 'age': ...
    """
    where = Where(source, first_line)
    parsed = _parse(frame, VISIT_COLUMNS, where, items=True)
    parsed = score_item_columns(parsed, where)
    _blood_pressure(parsed, where)
    if "arm" in parsed.columns:
        _fail(parsed, pl.col("arm").is_null(), "arm", Expected("an arm code on every row"), where)
    parsed = _subject_level(parsed, where).sort("subject_id", "week", LINE)
    same = (pl.col("subject_id") == pl.col("subject_id").shift(1)) & (
        pl.col("week") == pl.col("week").shift(1)
    )
    _fail(parsed, same.fill_null(False), "week", Expected("one row per subject and week"), where)
    for flag in ("per_protocol", "treated"):
        parsed = (
            parsed.with_columns(pl.col(flag).fill_null(True))
            if flag in parsed.columns
            else parsed.with_columns(pl.lit(True).alias(flag))
        )
    return parsed.sort(LINE) if lines else parsed.drop(LINE)


def _exact(value: float | None) -> Decimal | None:
    """A parsed number as the decimal it was written as (``128``, ``36.8``)."""
    if value is None:
        return None
    return Decimal(int(value)) if value == int(value) else Decimal(str(value))


def _blood_pressure(parsed: pl.DataFrame, where: Where) -> None:
    """The rule of :func:`autoserum.study.vitals.check_blood_pressure` on every row: a
    diastolic pressure below the systolic one (the first row breaking it, by line)."""
    if not {"systolic_bp", "diastolic_bp"} <= set(parsed.columns):
        return
    bad = parsed.filter((pl.col("diastolic_bp") >= pl.col("systolic_bp")).fill_null(False))
    if not bad.height:
        return
    row = bad.sort(LINE).row(0, named=True)
    try:
        check_blood_pressure(
            systolic=_exact(row["systolic_bp"]), diastolic=_exact(row["diastolic_bp"])
        )
    except ValidationError as err:
        raise ValidationError(
            err.field, err.value, err.expectation, location=where.at(row, err.field)
        ) from err


def _subject_level(parsed: pl.DataFrame, where: Where) -> pl.DataFrame:
    """Check that subject-level columns hold one value per subject; spread it to every row."""
    cols = [c for c in SUBJECT_LEVEL if c in parsed.columns]
    if not cols:
        return parsed
    firsts = parsed.group_by("subject_id").agg(
        *(pl.col(c).drop_nulls().first().alias(f"_first_{c}") for c in cols),
        *(pl.col(c).drop_nulls().n_unique().alias(f"_n_{c}") for c in cols),
    )
    for col in cols:
        if firsts[f"_n_{col}"].max() in (None, 0, 1):
            continue
        # report the first row (in file order) that disagrees with the subject's first value
        first = pl.col(col).drop_nulls().first().over("subject_id", order_by=LINE)
        _fail(
            parsed,
            (pl.col(col).is_not_null() & (pl.col(col) != first)).fill_null(False),
            col,
            Expected("the same value on every row of the subject (a subject-level column)"),
            where,
        )
    joined = parsed.join(
        firsts.select("subject_id", *(f"_first_{c}" for c in cols)), on="subject_id", how="left"
    )
    return joined.with_columns(pl.col(f"_first_{c}").alias(c) for c in cols).drop(
        *(f"_first_{c}" for c in cols)
    )


def validate_adverse_events(
    text: pl.DataFrame,
    source: str,
    first_line: int | None = 2,
    subjects: pl.Series | None = None,
) -> pl.DataFrame:
    """Validate an adverse-event table whose cells are text; return it typed.

    With ``subjects``, every ``subject_id`` must be one of them. Rows are located as in
    :func:`validate_visits`.
    """
    where = Where(source, first_line)
    ae = _parse(text, AE_COLUMNS, where, items=False)
    if subjects is not None:
        _fail(
            ae,
            ~pl.col("subject_id").is_in(subjects.unique().implode()),
            "subject_id",
            Expected("a subject of the visit file"),
            where,
        )
    return ae.drop(LINE)


def validate_con_meds(
    text: pl.DataFrame,
    source: str,
    first_line: int | None = 2,
    subjects: pl.Series | None = None,
) -> pl.DataFrame:
    """Validate a concomitant-medication table whose cells are text; return it typed.

    Besides each cell: the coded parts of a row must agree (an ATC code fixes the class and,
    for a topical steroid, the European potency, which are filled in when empty;
    :func:`autoserum.study.medication.check_con_med`), an amount needs its unit, an end is not
    before its start, and ``rescue`` defaults to ``false``. With ``subjects``, every
    ``subject_id`` must be one of them. Rows are located as in :func:`validate_visits`.

    >>> text = pl.DataFrame({"subject_id": ["S1"], "drug": ["clobetasol"],
    ...                      "atc_code": ["D07AD01"], "rescue": ["true"]})
    >>> validate_con_meds(text, "x.conmed.csv").select("drug_class", "potency_eu", "rescue").row(0)
    ('tcs', 'IV', True)
    """
    where = Where(source, first_line)
    cm = _parse(text, CONMED_COLUMNS, where, items=False)
    for name, spec in CONMED_COLUMNS.items():
        if name not in cm.columns:
            cm = cm.with_columns(pl.lit(None, dtype=_DTYPES[spec.kind]).alias(name))
    if subjects is not None:
        _fail(
            cm,
            ~pl.col("subject_id").is_in(subjects.unique().implode()),
            "subject_id",
            Expected("a subject of the visit file"),
            where,
        )
    for start, end in (("start_date", "end_date"), ("start_week", "end_week")):
        _fail(
            cm,
            (pl.col(end) < pl.col(start)).fill_null(False),
            end,
            Expected("not before %(start)s", start=start),
            where,
        )
    filled: dict[str, list[str | None]] = {"drug_class": [], "potency_eu": []}
    for row in cm.iter_rows(named=True):
        try:
            coded = check_con_med(
                atc_code=row["atc_code"],
                drug_class=row["drug_class"],
                potency_eu=row["potency_eu"],
                potency_us=row["potency_us"],
                amount=row["amount"],
                amount_unit=row["amount_unit"],
            )
        except ValidationError as err:
            raise ValidationError(
                err.field, err.value, err.expectation, location=where.at(row, err.field)
            ) from err
        for key, values in filled.items():
            values.append(coded[key])
    cm = cm.with_columns(
        pl.Series(key, values, dtype=pl.String) for key, values in filled.items()
    ).with_columns(pl.col("rescue").fill_null(False))
    return cm.select(list(CONMED_COLUMNS))


_DTYPES: dict[str, pl.DataType] = {
    "text": pl.String(),
    "choice": pl.String(),
    "number": pl.Float64(),
    "integer": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us", "UTC"),
}


def as_text_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column of a typed frame as text (booleans as ``true``/``false``), as the validator
    reads it."""
    return frame.with_columns(
        pl.col(c).cast(pl.String).str.to_lowercase()
        if frame.schema[c] == pl.Boolean
        else pl.col(c).cast(pl.String)
        for c in frame.columns
    )
