"""The statistics a scenario's published targets are stated in, computed on a simulated study.

Used by the calibration tests and by ``scripts/calibrate_simulate.py``.

>>> from autoserum.simulate import simulate_study, get_scenario
>>> study = simulate_study("ast-nahm2023", 200, seed=3)
>>> target = get_scenario("ast-nahm2023").targets[0]
>>> -40 < target_statistic(study.visits, target) < 10
True
"""

from __future__ import annotations

import polars as pl

from autoserum.errors import Expected, ValidationError
from autoserum.simulate._model import Target

__all__ = ["target_statistic"]


def _at(frame: pl.DataFrame, column: str, week: float, arm: str) -> pl.DataFrame:
    rows = frame.filter(pl.col("week") == week, pl.col(column).is_not_null())
    if arm:
        rows = rows.filter(pl.col("arm") == arm)
    return rows.select("subject_id", pl.col(column).cast(pl.Float64).alias("value"))


def _change(frame: pl.DataFrame, column: str, week: float, arm: str) -> pl.DataFrame:
    """Baseline (last value at or before week 0) and value at ``week`` of the completers."""
    base = (
        frame.filter(pl.col("week") <= 0, pl.col(column).is_not_null())
        .sort("subject_id", "week")
        .group_by("subject_id", maintain_order=True)
        .agg(pl.col(column).last().cast(pl.Float64).alias("baseline"))
    )
    return _at(frame, column, week, arm).join(base, on="subject_id", how="inner")


def target_statistic(frame: pl.DataFrame, target: Target) -> float:
    """The value of ``target.statistic`` on a simulated visit frame (long format)."""
    stat = target.statistic
    if stat == "mean_pct_change":
        rows = _change(frame, target.column, target.week, target.arm).filter(pl.col("baseline") > 0)
        pct = (pl.col("value") - pl.col("baseline")) / pl.col("baseline") * 100
        return float(rows.select(pct.mean()).item())
    if stat == "mean_change_difference":

        def reduction(arm: str) -> float:
            rows = _change(frame, target.column, target.week, arm)
            return float(rows.select((pl.col("baseline") - pl.col("value")).mean()).item())

        return reduction(target.arm) - reduction(target.control)
    if stat == "dropout":
        treated = frame.filter(pl.col("treated")).select(pl.col("subject_id").n_unique()).item()
        seen = _at(frame.filter(pl.col("treated")), target.column, target.week, target.arm)
        return 1.0 - seen.height / float(treated)
    if stat == "not_treated":
        subjects = frame.group_by("subject_id").agg(pl.col("treated").first())
        return float(subjects.select((~pl.col("treated")).mean()).item())
    if stat in {"correlation", "spearman"}:
        rows = frame.select(target.column, target.other).drop_nulls()
        if stat == "correlation":
            return float(rows.select(pl.corr(target.column, target.other)).item())
        spearman = pl.corr(target.column, target.other, method="spearman")
        return float(rows.select(spearman).item())
    if stat == "proportion_at_most":
        rows = _at(frame, target.column, target.week, target.arm)
        return float(rows.select((pl.col("value") <= float(target.other)).mean()).item())
    raise ValidationError(
        "target.statistic",
        stat,
        Expected(
            "mean_pct_change, mean_change_difference, dropout, "
            "not_treated, correlation, spearman or proportion_at_most"
        ),
    )
