"""Scoring of generated items with the project's instruments library (batch path).

Reference: ``autoserum.instruments.score_batch`` (INTERFACES.md section 1).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray

from autoserum.instruments import score_batch
from autoserum.simulate._items import Coded, ItemColumn

__all__ = ["score_items"]


def _series(name: str, column: ItemColumn) -> pl.Series:
    if isinstance(column, Coded):
        mapping = dict(enumerate(column.categories))
        return pl.Series(name, column.codes).replace_strict(
            mapping, default=None, return_dtype=pl.String
        )
    return pl.Series(name, column, nan_to_null=True)


def score_items(
    code: str, items: dict[str, ItemColumn], age: NDArray[np.float64]
) -> dict[str, pl.Series]:
    """Totals of one instrument for generated rows: ``{code: total}`` (+ ``oscorad``)."""
    frame = pl.DataFrame([_series(name, column) for name, column in items.items()])
    if code == "easi":
        frame = frame.with_columns(age=pl.Series(age))
    scored = score_batch(code, frame)
    out = {code: scored.get_column("total").alias(code)}
    if code == "scorad":
        out["oscorad"] = scored.get_column("objective").alias("oscorad")
    return out
