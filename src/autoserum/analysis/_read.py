"""Reading and validating the tidy long format (visit file and its adverse-event companion).

Reference: ``docs/data-format.md``.

>>> from autoserum.analysis import read_long
>>> frame = read_long("tests/analysis/data/two_arm.csv")  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from autoserum.analysis._format import (
    AE_COLUMNS,
    ITEM_PREFIXES,
    SUBJECT_LEVEL,
    VISIT_COLUMNS,
    Column,
)
from autoserum.analysis._items import score_item_columns
from autoserum.errors import ValidationError
from autoserum.study.tidy import AE_SCHEMA

__all__ = [
    "StudyData",
    "ae_path_for",
    "read_adverse_events",
    "read_long",
    "read_study",
    "study_from_frames",
    "validate_adverse_events",
    "validate_long",
]

_LINE = "__line"


@dataclass(frozen=True)
class StudyData:
    """A validated study: the visit file and the adverse events (empty when there are none)."""

    visits: pl.DataFrame
    adverse_events: pl.DataFrame
    source: str
    #: screening counts when the source knows them (a database): assessed for eligibility and
    #: excluded (screen failures); ``None`` for files, which hold enrolled subjects only
    assessed: int | None = None
    excluded: int | None = None


def ae_path_for(path: str | Path) -> Path:
    """The adverse-event companion of a visit file: ``<stem>.ae.csv`` in the same folder."""
    p = Path(path)
    return p.with_name(f"{p.stem}.ae.csv")


def _read_text(path: Path) -> tuple[pl.DataFrame, int]:
    """Read a CSV or Parquet file with every column as text; return it and the first data line."""
    if not path.exists():
        raise ValidationError("path", str(path), "an existing CSV or Parquet file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            raw = pl.read_parquet(path)
            return _as_text(raw), 1
        if suffix == ".csv":
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
            return frame, 2
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError, OSError) as err:
        raise ValidationError("path", str(path), f"a readable tidy long file ({err})") from err
    raise ValidationError("path", str(path), "a file ending in .csv or .parquet")


def _fail(frame: pl.DataFrame, mask: pl.Expr, col: str, expected: str, source: str) -> None:
    bad = frame.filter(mask)
    if bad.height:
        row = bad.row(0, named=True)
        raise ValidationError(
            col, row[col], expected, location=f"{source}, line {row[_LINE]}, column {col!r}"
        )


def _parse_column(frame: pl.DataFrame, spec: Column, source: str) -> pl.Expr:
    """Check every cell of one column; return the expression that parses it."""
    c = pl.col(spec.name)
    present = c.is_not_null()
    if spec.required:
        _fail(frame, c.is_null() | (c.str.strip_chars() == ""), spec.name, spec.expected(), source)
    if spec.kind == "text":
        return c
    if spec.kind == "choice":
        _fail(frame, present & ~c.is_in(spec.choices), spec.name, spec.expected(), source)
        return c
    if spec.kind == "boolean":
        low = c.str.strip_chars().str.to_lowercase()
        _fail(frame, present & ~low.is_in(["true", "false"]), spec.name, spec.expected(), source)
        return low == "true"
    if spec.kind == "date":
        parsed = c.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
        _fail(frame, present & parsed.is_null(), spec.name, spec.expected(), source)
        return parsed
    num = c.str.strip_chars().cast(pl.Float64, strict=False)
    bad = present & (num.is_null() | ~num.is_finite())
    if spec.minimum is not None:
        bad = bad | (num < spec.minimum)
    if spec.maximum is not None:
        bad = bad | (num > spec.maximum)
    if spec.kind == "integer":
        bad = bad | (num != num.round(0))
    _fail(frame, bad.fill_null(False), spec.name, spec.expected(), source)
    return num


def _known(col: str, specs: dict[str, Column], items: bool) -> bool:
    if col in specs:
        return True
    return items and any(col.startswith(f"{p}_") for p in ITEM_PREFIXES)


def _parse(
    frame: pl.DataFrame, first_line: int, specs: dict[str, Column], source: str, *, items: bool
) -> pl.DataFrame:
    frame = frame.with_row_index(_LINE, offset=first_line)
    for col in frame.columns:
        if col != _LINE and not _known(col, specs, items):
            raise ValidationError(
                col, col, "a column of the tidy long format (docs/data-format.md)", location=source
            )
    for spec in specs.values():
        if spec.required and spec.name not in frame.columns:
            raise ValidationError(spec.name, None, "a required column", location=source)
    exprs = [
        _parse_column(frame, spec, source).alias(spec.name)
        for spec in specs.values()
        if spec.name in frame.columns
    ]
    return frame.with_columns(exprs)


def validate_long(
    frame: pl.DataFrame, source: str = "<frame>", first_line: int = 2
) -> pl.DataFrame:
    """Validate a visit table whose cells are text (as read from CSV); return it typed.

    Checks every cell against ``docs/data-format.md``, that subject-level columns do not change
    within a subject and that no subject has two rows for the same week. The first bad cell
    raises one :class:`~autoserum.errors.ValidationError` naming line, column, value and what was
    expected. ``per_protocol`` and ``treated`` default to ``true`` as the format specifies.
    """
    parsed = _parse(frame, first_line, VISIT_COLUMNS, source, items=True)
    parsed = score_item_columns(parsed, source)
    if "arm" in parsed.columns:
        _fail(parsed, pl.col("arm").is_null(), "arm", "an arm code on every row", source)
    parsed = _subject_level(parsed, source).sort("subject_id", "week", _LINE)
    same = (pl.col("subject_id") == pl.col("subject_id").shift(1)) & (
        pl.col("week") == pl.col("week").shift(1)
    )
    _fail(parsed, same.fill_null(False), "week", "one row per subject and week", source)
    for flag in ("per_protocol", "treated"):
        parsed = (
            parsed.with_columns(pl.col(flag).fill_null(True))
            if flag in parsed.columns
            else parsed.with_columns(pl.lit(True).alias(flag))
        )
    return parsed.drop(_LINE)


def _subject_level(parsed: pl.DataFrame, source: str) -> pl.DataFrame:
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
        first = pl.col(col).drop_nulls().first().over("subject_id", order_by=_LINE)
        _fail(
            parsed,
            (pl.col(col).is_not_null() & (pl.col(col) != first)).fill_null(False),
            col,
            "the same value on every row of the subject (a subject-level column)",
            source,
        )
    joined = parsed.join(
        firsts.select("subject_id", *(f"_first_{c}" for c in cols)), on="subject_id", how="left"
    )
    return joined.with_columns(pl.col(f"_first_{c}").alias(c) for c in cols).drop(
        *(f"_first_{c}" for c in cols)
    )


def _read_visits(path: Path) -> pl.DataFrame:
    text, first_line = _read_text(path)
    return validate_long(text, path.name, first_line)


def validate_adverse_events(
    text: pl.DataFrame, source: str, first_line: int = 2, subjects: pl.Series | None = None
) -> pl.DataFrame:
    """Validate an adverse-event table whose cells are text; return it typed.

    With ``subjects``, every ``subject_id`` must be one of them.
    """
    ae = _parse(text, first_line, AE_COLUMNS, source, items=False)
    if subjects is not None:
        _fail(
            ae,
            ~pl.col("subject_id").is_in(subjects.unique().implode()),
            "subject_id",
            "a subject of the visit file",
            source,
        )
    return ae.drop(_LINE)


def read_adverse_events(path: str | Path, subjects: pl.Series | None = None) -> pl.DataFrame:
    """Read and validate an adverse-event file (``<stem>.ae.csv``).

    With ``subjects``, every ``subject_id`` of the file must be one of them.
    """
    p = Path(path)
    text, first_line = _read_text(p)
    return validate_adverse_events(text, p.name, first_line, subjects)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(c).cast(pl.String).str.to_lowercase()
        if frame.schema[c] == pl.Boolean
        else pl.col(c).cast(pl.String)
        for c in frame.columns
    )


def study_from_frames(
    visits: pl.DataFrame,
    adverse_events: pl.DataFrame | None,
    source: str,
    *,
    assessed: int | None = None,
    excluded: int | None = None,
) -> StudyData:
    """Validate typed frames of the long format (e.g. ``Store.export_long``) as a study.

    Rows are numbered from 1 in error messages.
    """
    typed = validate_long(_as_text(visits), source, first_line=1)
    if adverse_events is not None and adverse_events.height:
        ae = validate_adverse_events(
            _as_text(adverse_events), f"{source} (adverse events)", 1, typed["subject_id"]
        )
    else:
        ae = _empty_ae("arm" in typed.columns)
    return StudyData(
        visits=typed, adverse_events=ae, source=source, assessed=assessed, excluded=excluded
    )


def _empty_ae(with_arm: bool) -> pl.DataFrame:
    return pl.DataFrame(schema={c: t for c, t in AE_SCHEMA.items() if with_arm or c != "arm"})


def read_study(path: str | Path) -> StudyData:
    """Read a visit file and, when it exists, its ``<stem>.ae.csv`` companion; validate both.

    >>> study = read_study("demo/asim-pilot.csv")  # doctest: +SKIP
    >>> study.visits.height, study.adverse_events.height  # doctest: +SKIP
    """
    p = Path(path)
    visits = _read_visits(p)
    ae_file = ae_path_for(p)
    if ae_file.exists():
        ae = read_adverse_events(ae_file, visits["subject_id"])
    else:
        ae = _empty_ae("arm" in visits.columns)
    return StudyData(visits=visits, adverse_events=ae, source=str(p))


def read_long(path: str | Path) -> pl.DataFrame:
    """Read and validate a tidy long visit file (CSV or Parquet); return the typed visit table.

    The ``<stem>.ae.csv`` companion is read and validated too when present (use
    :func:`read_study` to get it). A bad cell raises one ValidationError with its line and
    column.

    Reference: ``docs/data-format.md``.

    >>> read_long("tests/analysis/data/two_arm.csv").columns[:3]  # doctest: +SKIP
    ['subject_id', 'arm', 'site']
    """
    return read_study(path).visits
