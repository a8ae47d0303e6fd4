"""Rescue medication as an intercurrent event (ICH E9(R1) §A.3.2): the strategy of an estimand
applied to the visit table before it is analysed.

The event starts at a subject's first rescue medication (a con-med with ``rescue = true`` of the
tidy format's con-med table; its start week, else its start date against the subject's week-0
visit; an unknown start counts as before the study, as :func:`rescue_table` counts it). A visit
is *after the event* when its week is at or after the start week and it is post-baseline.

- ``treatment_policy``: the values as observed, whatever the rescue (the data unchanged).
- ``hypothetical``: the values had no rescue been given: values after the event are set missing,
  so that the MMRM (under MAR) and multiple imputation estimate them from the subject's earlier
  values and the other subjects.
- ``composite``: needing rescue is part of the outcome, a failure: after the event the variable
  takes its worst value (the instrument's maximum), so that the subject is a non-responder by
  every responder rule (and the responder estimand counts a subject without a value as one).
- ``while_on_treatment``: the response before the event: values after it are replaced by the
  subject's last post-baseline value before it (missing when there is none).

>>> import polars as pl
>>> visits = pl.DataFrame({"subject_id": ["A"] * 3 + ["B"] * 3, "week": [0.0, 4.0, 8.0] * 2,
...                        "easi": [20.0, 12.0, 6.0, 18.0, 15.0, 14.0]})
>>> starts = {"A": 6.0}
>>> apply_strategy(visits, starts, "hypothetical", "easi")["easi"].to_list()
[20.0, 12.0, None, 18.0, 15.0, 14.0]
>>> apply_strategy(visits, starts, "while_on_treatment", "easi")["easi"].to_list()
[20.0, 12.0, 12.0, 18.0, 15.0, 14.0]
>>> apply_strategy(visits, starts, "composite", "easi")["easi"].to_list()
[20.0, 12.0, 72.0, 18.0, 15.0, 14.0]
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from autoserum.analysis._read import StudyData
from autoserum.analysis._rescue import _days
from autoserum.analysis._sap import Estimand
from autoserum.errors import Expected, ValidationError
from autoserum.study.tidy import INSTRUMENT_RANGES

__all__ = ["RESCUE_EVENT", "STRATEGIES", "apply_strategy", "estimand_visits", "rescue_starts"]

#: The intercurrent-event code of rescue medication in a SAP.
RESCUE_EVENT = "rescue_medication"
STRATEGIES = ("treatment_policy", "hypothetical", "composite", "while_on_treatment")


def rescue_starts(visits: pl.DataFrame, con_meds: pl.DataFrame) -> dict[str, float]:
    """Each subject's first rescue start in study weeks (start day / 7; a subject without
    rescue is absent)."""
    if not con_meds.height or "rescue" not in con_meds.columns:
        return {}
    rescue = con_meds.filter(pl.col("rescue").fill_null(False))
    if not rescue.height:
        return {}
    days = _days(rescue, visits).group_by("subject_id").agg(pl.col("start_day").min())
    return {str(s): max(float(d), 0.0) / 7.0 for s, d in days.iter_rows()}


def apply_strategy(
    visits: pl.DataFrame, starts: Mapping[str, float], strategy: str, variable: str
) -> pl.DataFrame:
    """``visits`` with ``variable`` handled by ``strategy`` after each subject's event start
    (``starts``: subject → week); see the module docstring."""
    if strategy not in STRATEGIES:
        raise ValidationError(
            "strategy", strategy, Expected("one of %(values)s", values=", ".join(STRATEGIES))
        )
    if variable not in visits.columns:
        raise ValidationError("variable", variable, Expected("a column of the visit table"))
    if strategy == "treatment_policy" or not starts:
        return visits
    start = pl.col("subject_id").replace_strict(dict(starts), default=None, return_dtype=pl.Float64)
    after = (pl.col("week") > 0) & start.is_not_null() & (pl.col("week") >= start)
    value = pl.col(variable)
    if strategy == "hypothetical":
        new = pl.when(after).then(None).otherwise(value)
    elif strategy == "composite":
        if variable not in INSTRUMENT_RANGES:
            raise ValidationError("variable", variable, Expected("an instrument total (composite)"))
        worst = float(INSTRUMENT_RANGES[variable][1])
        new = pl.when(after).then(pl.lit(worst)).otherwise(value)
    else:  # while on treatment: the last post-baseline value before the event
        before = pl.when((pl.col("week") > 0) & ~after).then(value)
        carried = before.forward_fill().over("subject_id", order_by="week")
        new = pl.when(after).then(carried).otherwise(value)
    return visits.with_columns(new.cast(visits.schema[variable]).alias(variable))


def estimand_visits(study: StudyData, estimand: Estimand) -> pl.DataFrame:
    """The study's visits as ``estimand`` analyses them: the strategy of its
    ``rescue_medication`` intercurrent event applied to its variable (none declared: treatment
    policy). Other events (e.g. discontinuation) are handled by the analysis itself: the MMRM
    under MAR is the hypothetical strategy for them."""
    strategies = {e.event: e.strategy for e in estimand.intercurrent_events}
    strategy = strategies.get(RESCUE_EVENT, "treatment_policy")
    return apply_strategy(
        study.visits, rescue_starts(study.visits, study.con_meds), strategy, estimand.variable
    )
