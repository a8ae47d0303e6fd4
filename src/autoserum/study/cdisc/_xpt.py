"""SAS transport (XPT) version 5 files written and read with pyreadstat (ReadStat).

Names and labels come from :mod:`autoserum.study.cdisc._vars` (≤ 8 and ≤ 40 characters, checked
before writing); a missing character value is written blank and a missing number as SAS
missing, as SAS itself stores them.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyreadstat

from autoserum.errors import Expected, ValidationError
from autoserum.study.cdisc._vars import Dataset, check_names

__all__ = ["read_xpt", "write_xpt"]

_CHAR_MAX = 200


def write_xpt(dataset: Dataset, frame: pl.DataFrame, path: Path) -> Path:
    """Write ``frame`` (the variables of ``dataset``, in order) as an XPT v5 file."""
    problems = check_names({dataset.name: dataset})
    if problems:
        raise ValidationError(dataset.name, problems[0], Expected("SAS v5 names and labels"))
    for var in dataset.variables:
        if var.type == "Char":
            longest = frame[var.name].drop_nulls().str.len_bytes().max()
            if isinstance(longest, int) and longest > _CHAR_MAX:
                raise ValidationError(
                    f"{dataset.name}.{var.name}",
                    longest,
                    Expected("values of at most %(char_max)s bytes", char_max=_CHAR_MAX),
                )
    chars = [v.name for v in dataset.variables if v.type == "Char"]
    table = frame.select(dataset.names).with_columns(pl.col(chars).fill_null(""))
    pyreadstat.write_xport(
        table,
        str(path),
        file_label=dataset.label,
        column_labels=[v.label for v in dataset.variables],
        table_name=dataset.name,
        file_format_version=5,
    )
    return path


def read_xpt(path: Path) -> tuple[pl.DataFrame, dict[str, str]]:
    """An XPT file as a frame (blank text as ``None``) and its variable labels."""
    frame, meta = pyreadstat.read_xport(str(path), output_format="polars")
    out: pl.DataFrame = frame
    text = [c for c, t in out.schema.items() if t == pl.String]
    out = out.with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in text
    )
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    return out, {k: v or "" for k, v in labels.items()}
