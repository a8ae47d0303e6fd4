"""The autologous product's accountability by arm: blood draws, aliquots and blinded kits
made, injections given against those planned, and refused injections by reason.

The input is the store's per-subject frame (``subject_id``, ``arm``, ``draws``, ``aliquots``,
``kits``, ``injections_given``, ``injections_planned``: planned = the protocol's injections
for every allocated subject) and its refusals (``subject_id``, ``arm``, ``kind``). The result is
tidy: one row per ``item`` and ``arm`` with the count ``n`` and, for the injections given, the
percentage of those planned. A blinded source (every arm ``"blinded"``) gives one pooled column.
An item whose column is null throughout (a blinded reader's draws and aliquots) is left out,
and refusals of kind ``"blinded"`` (a blinded reader's) are one item, ``refused: blinded``.

>>> import polars as pl
>>> subjects = pl.DataFrame({"subject_id": ["A", "B"], "arm": ["serum", "saline"],
...     "draws": [1, 0], "aliquots": [4, 0], "kits": [2, 2], "injections_given": [2, 1],
...     "injections_planned": [2, 2]})
>>> refusals = pl.DataFrame({"subject_id": ["B"], "arm": ["saline"], "kind": ["expired"]},
...                         schema={"subject_id": pl.String, "arm": pl.String, "kind": pl.String})
>>> t = product_accountability(subjects, refusals)
>>> t.filter(pl.col("item") == "injections given").select("arm", "n", "percent").rows()
[('saline', 1, 50.0), ('serum', 2, 100.0)]
>>> t.filter(pl.col("item") == "refused: expired").select("arm", "n").rows()
[('saline', 1), ('serum', 0)]
"""

from __future__ import annotations

import polars as pl

from autoserum.analysis._datasets import ARM_BLINDED
from autoserum.study.aliquots import REFUSAL_KINDS
from autoserum.study.blinding import MASK

__all__ = ["PRODUCT_COLUMNS", "PRODUCT_ITEMS", "product_accountability"]

#: The columns of :func:`product_accountability`, in order.
PRODUCT_COLUMNS: tuple[str, ...] = ("item", "arm", "n_subjects", "n", "percent")
#: The counted items (column of the per-subject frame → the item's name), in order.
PRODUCT_ITEMS: tuple[tuple[str, str], ...] = (
    ("draws", "blood draws"),
    ("aliquots", "aliquots"),
    ("kits", "blinded kits"),
    ("injections_planned", "injections planned"),
    ("injections_given", "injections given"),
)


def product_accountability(subjects: pl.DataFrame, refusals: pl.DataFrame) -> pl.DataFrame:
    """The accountability table (see the module docstring); arms in sorted order, a masked
    arm shown as the pooled, blinded column."""
    pooled = pl.when(pl.col("arm") == MASK).then(pl.lit(ARM_BLINDED)).otherwise(pl.col("arm"))
    subjects = subjects.with_columns(pooled.alias("arm"))
    refusals = refusals.with_columns(pooled.alias("arm"))
    arms = sorted(set(subjects["arm"].to_list()) | set(refusals["arm"].to_list()))
    seen = set(refusals["kind"].to_list())
    # a blinded reader's frame (its draws null, its refusals of kind "blinded"): one count
    hidden = subjects.height and subjects["draws"].null_count() == subjects.height
    masked = MASK in seen or bool(hidden)
    kinds = [MASK] if masked else [k for k, _ in REFUSAL_KINDS] + ["other"]
    rows: list[dict[str, object]] = []
    for column, item in PRODUCT_ITEMS:
        if subjects.height and subjects[column].null_count() == subjects.height:
            continue  # not told to this reader
        for arm in arms:
            part = subjects.filter(pl.col("arm") == arm)
            n = int(part[column].sum() or 0)
            planned = int(part["injections_planned"].sum() or 0)
            percent = 100.0 * n / planned if column == "injections_given" and planned else None
            rows.append({"item": item, "arm": arm, "n_subjects": part.height, "n": n,
                         "percent": percent})  # fmt: skip
    for kind in kinds:
        if kind == "other" and kind not in seen:
            continue
        for arm in arms:
            n = refusals.filter((pl.col("arm") == arm) & (pl.col("kind") == kind)).height
            rows.append({"item": f"refused: {kind}", "arm": arm,
                         "n_subjects": subjects.filter(pl.col("arm") == arm).height, "n": n,
                         "percent": None})  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={"item": pl.String, "arm": pl.String, "n_subjects": pl.Int64, "n": pl.Int64,
                "percent": pl.Float64},
        orient="row",
    )  # fmt: skip
