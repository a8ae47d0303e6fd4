"""Spreadsheet-safe text cells: CSV (and spreadsheet) exports neutralise text cells that a
spreadsheet would run as a formula, and CSV readers of the format restore them, so that a round
trip export → import is lossless.

Rule (OWASP, "CSV Injection"): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading single quote, which spreadsheets show as text and never evaluate.
To keep the mapping reversible, a cell that already starts with a quote followed by one of those
characters or by another quote is quoted too; :func:`restore_formulas` removes exactly one such
quote. Numeric, boolean and date columns are left alone (a change of -3.5 stays a number), and
Parquet files keep the raw text (they are not opened as spreadsheets).

Reference: OWASP, CSV Injection, https://owasp.org/www-community/attacks/CSV_Injection

>>> import polars as pl
>>> terms = ["=cmd|' /C calc'!A0", "rash", "'=x"]
>>> frame = pl.DataFrame({"term": terms, "change": [-3.5, 1.0, 0.0]})
>>> safe = neutralise_formulas(frame)
>>> safe["term"].to_list(), safe["change"].to_list()
(["'=cmd|' /C calc'!A0", 'rash', "''=x"], [-3.5, 1.0, 0.0])
>>> restore_formulas(safe).equals(frame)
True
"""

from __future__ import annotations

import polars as pl

__all__ = ["FORMULA_TRIGGERS", "neutralise_cell", "neutralise_formulas", "restore_formulas"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""
_QUOTE = "'"
_AFTER_QUOTE = [*FORMULA_TRIGGERS, _QUOTE]


def _quoted(col: pl.Expr) -> pl.Expr:
    """The cell starts with a quote that :func:`restore_formulas` would remove."""
    return (col.str.slice(0, 1) == _QUOTE) & col.str.slice(1, 1).is_in(_AFTER_QUOTE)


def neutralise_cell(text: str) -> str:
    """One text cell as :func:`neutralise_formulas` writes it (for exports written row by row).

    >>> neutralise_cell("=HYPERLINK(1)"), neutralise_cell("rash"), neutralise_cell("'@x")
    ("'=HYPERLINK(1)", 'rash', "''@x")
    """
    if text[:1] in FORMULA_TRIGGERS or (text[:1] == _QUOTE and text[1:2] in _AFTER_QUOTE):
        return _QUOTE + text
    return text


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that a spreadsheet would evaluate prefixed by ``'``."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.slice(0, 1).is_in(list(FORMULA_TRIGGERS)) | _quoted(pl.col(c)))
        .then(pl.lit(_QUOTE) + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )


def restore_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """The inverse of :func:`neutralise_formulas` on the text cells of a CSV just read."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(_quoted(pl.col(c))).then(pl.col(c).str.slice(1)).otherwise(pl.col(c)).alias(c)
        for c in text
    )
