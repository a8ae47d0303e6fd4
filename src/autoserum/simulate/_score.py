"""Scoring of generated items with the project's instruments library (batch path).

Reference: ``autoserum.instruments.score_batch`` (INTERFACES.md section 1).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray

from autoserum.instruments import score_batch
from autoserum.simulate._items import Coded, ItemColumn

__all__ = ["NO_TOTAL", "score_items"]

#: Instruments whose total is not a column of the long format (docs/data-format.md): only their
#: items are written (``patient_global_status``, ``patient_global_effectiveness``).
NO_TOTAL = frozenset({"patient_global"})


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
    if code in NO_TOTAL:
        return {}
    frame = pl.DataFrame([_series(name, column) for name, column in items.items()])
    if code == "easi":
        frame = frame.with_columns(age=pl.Series(age))
    scored = score_batch(code, frame)
    out = {code: scored.get_column("total").alias(code)}
    if code == "scorad":
        out["oscorad"] = scored.get_column("objective").alias("oscorad")
    return out
