"""Rescue medication by arm and study week: the proportion of subjects using rescue and the
grams of topical corticosteroid (TCS) they used.

Definitions (also in ``docs/analysis.md``):

- **Study week** *k* (1, 2, …) covers study days 7(k-1) to 7k-1, day 0 being the first
  injection (week 0 of the visit file). The table runs to the last post-baseline visit week.
- A con-med's **days**: from ``start_week``/``end_week`` (day = week × 7, rounded), else from
  ``start_date``/``end_date`` against the subject's week-0 visit date. An unknown start counts
  as before the study, an unknown end as ongoing.
- **In the study in week k**: the subject's last visit is at week k-1 or later (a subject seen
  at baseline only is in week 1). Counts and grams are over these subjects (``n_subjects``).
- **Using rescue in week k**: a con-med with ``rescue = true`` active on a day of the week.
- **Grams of TCS in week k**: each rescue TCS's weekly amount (fingertip units at 0.5 g;
  :func:`autoserum.study.medication.grams_per_week`) times the fraction of the week it was
  active; ``n_tcs_no_amount`` counts rescue TCS without an amount (not in the grams).

>>> import polars as pl
>>> visits = pl.DataFrame({"subject_id": ["A", "A", "B", "B"], "arm": ["x", "x", "y", "y"],
...                        "week": [0.0, 1.0, 0.0, 1.0]})
>>> cm = pl.DataFrame({"subject_id": ["A"], "drug": ["clobetasol"], "drug_class": ["tcs"],
...     "amount": [14.0], "amount_unit": ["g"], "start_week": [0.0], "end_week": [0.43],
...     "rescue": [True]})
>>> rescue_table(visits, cm).select("arm", "week", "n_rescue", "tcs_grams").rows()
[('x', 1, 1, 8.0), ('y', 1, 0, 0.0)]
"""

from __future__ import annotations

import math

import polars as pl

from autoserum.analysis._datasets import ARM_BLINDED
from autoserum.study.medication import GRAMS_PER_FTU

__all__ = ["RESCUE_COLUMNS", "rescue_table"]

#: The columns of :func:`rescue_table`, in order.
RESCUE_COLUMNS: tuple[str, ...] = (
    "arm",
    "week",
    "n_subjects",
    "n_rescue",
    "percent",
    "tcs_grams",
    "tcs_grams_per_subject",
    "n_tcs_no_amount",
)
_FAR = 10**6  # days: "before the study" / "ongoing"


def _days(con_meds: pl.DataFrame, visits: pl.DataFrame) -> pl.DataFrame:
    """Each con-med with ``start_day``/``end_day`` (study days, open ends made far)."""
    day0 = visits.filter(pl.col("week") == 0)
    if "visit_date" in visits.columns:
        day0 = day0.select("subject_id", pl.col("visit_date").alias("_day0"))
    else:
        day0 = day0.select("subject_id", pl.lit(None, dtype=pl.Date).alias("_day0"))
    frame = con_meds.join(day0.unique("subject_id"), on="subject_id", how="left")
    out = []
    for side, far in (("start", -_FAR), ("end", _FAR)):
        week = pl.col(f"{side}_week") if f"{side}_week" in frame.columns else pl.lit(None)
        when = (
            (pl.col(f"{side}_date") - pl.col("_day0")).dt.total_days()
            if f"{side}_date" in frame.columns
            else pl.lit(None, dtype=pl.Int64)
        )
        day = pl.coalesce((week.cast(pl.Float64) * 7).round(0).cast(pl.Int64), when)
        out.append(day.fill_null(far).alias(f"{side}_day"))
    return frame.with_columns(out)


def rescue_table(visits: pl.DataFrame, con_meds: pl.DataFrame) -> pl.DataFrame:
    """Subjects using rescue, n and %, and grams of rescue TCS, per arm and study week.

    ``visits``: the visit table (``subject_id``, ``week``; ``arm`` unless blinded, then all
    subjects are pooled; ``visit_date`` when con-meds carry dates only). ``con_meds``: the
    con-med table of the tidy format (:data:`autoserum.study.tidy.CONMED_COLUMNS`).
    Columns: :data:`RESCUE_COLUMNS`.
    """
    arm = pl.col("arm") if "arm" in visits.columns else pl.lit(ARM_BLINDED)
    subjects = visits.group_by("subject_id").agg(
        arm.first().alias("arm"), pl.col("week").max().alias("last_week")
    )
    last = visits["week"].max()
    n_weeks = math.ceil(float(last)) if last is not None and float(last) > 0 else 0  # type: ignore[arg-type]
    if n_weeks == 0:
        return pl.DataFrame(schema=dict.fromkeys(RESCUE_COLUMNS, pl.Float64)).cast(
            {"arm": pl.String, "week": pl.Int64}
        )
    weeks = pl.DataFrame({"week": pl.int_range(1, n_weeks + 1, eager=True)})
    at_risk = subjects.join(weeks, how="cross").filter(pl.col("last_week") >= pl.col("week") - 1)
    rescue = _days(con_meds.filter(pl.col("rescue")), visits).drop("arm", strict=False)
    grams = pl.when(pl.col("amount_unit") == "ftu").then(GRAMS_PER_FTU).otherwise(1.0)
    first, last_day = (pl.col("week") - 1) * 7, pl.col("week") * 7 - 1
    overlap = (
        pl.min_horizontal(pl.col("end_day"), last_day)
        - pl.max_horizontal(pl.col("start_day"), first)
        + 1
    )
    used = (
        at_risk.join(rescue, on="subject_id", how="inner")
        .with_columns(overlap.alias("_days"))
        .filter(pl.col("_days") > 0)
        .with_columns(
            _tcs=pl.col("drug_class") == "tcs",
            _grams=pl.col("amount") * grams * pl.col("_days") / 7,
        )
    )
    per_subject = used.group_by("arm", "week", "subject_id").agg(
        pl.col("_grams").filter(pl.col("_tcs")).sum().alias("_grams"),
        (pl.col("_tcs") & pl.col("amount").is_null()).sum().alias("_no_amount"),
    )
    counts = at_risk.group_by("arm", "week").agg(pl.len().alias("n_subjects"))
    sums = per_subject.group_by("arm", "week").agg(
        pl.len().alias("n_rescue"),
        pl.col("_grams").sum().alias("tcs_grams"),
        pl.col("_no_amount").sum().alias("n_tcs_no_amount"),
    )
    table = counts.join(sums, on=["arm", "week"], how="left").with_columns(
        pl.col("n_rescue").fill_null(0).cast(pl.Int64),
        pl.col("tcs_grams").fill_null(0.0).cast(pl.Float64),
        pl.col("n_tcs_no_amount").fill_null(0).cast(pl.Int64),
        pl.col("n_subjects").cast(pl.Int64),
    )
    return (
        table.with_columns(
            (pl.col("n_rescue") / pl.col("n_subjects") * 100).alias("percent"),
            (pl.col("tcs_grams") / pl.col("n_subjects")).alias("tcs_grams_per_subject"),
        )
        .select(RESCUE_COLUMNS)
        .sort("arm", "week")
    )
