"""Time to the first event (e.g. the first eczema flare recorded as an adverse event): Kaplan–Meier
per arm, the log-rank test and the Cox model of the arm, by :mod:`autoserum.stats`
(``kaplan_meier``, ``log_rank``, ``cox_ph`` with the ``cox.zph`` check; validated against R
``survival`` there).

A subject of the safety population has the event at the onset week of its first adverse event
whose term is one of ``terms`` (case-insensitive; onset at or after week 0), else is censored at
its last visit week. With a control arm the Cox model has one indicator per other arm (hazard
ratio of each arm against the control).

Reference: Collett D. Modelling survival data in medical research, 3rd ed. (2015); the IgG
RCT's exacerbation endpoint (Nahm 2020).

>>> from autoserum.analysis import read_study
>>> from autoserum.simulate import simulate_study, write_study
>>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
>>> study = read_study(csv)
>>> flare = ("atopic dermatitis exacerbation",)
>>> tte = time_to_first_event(study.visits, study.adverse_events, terms=flare, control="placebo")
>>> tte.terms, tte.control
(('atopic dermatitis exacerbation',), 'placebo')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from autoserum import stats
from autoserum.analysis._datasets import build_adsl
from autoserum.analysis._tables import attempt
from autoserum.errors import Expected, ValidationError

__all__ = ["TimeToEvent", "event_times", "time_to_first_event"]


@dataclass(frozen=True)
class TimeToEvent:
    """Subject-level times (``subject_id, arm, time, event``) and the fitted statistics."""

    terms: tuple[str, ...]
    control: str | None
    data: pl.DataFrame
    km: Any
    log_rank: Any
    cox: Any
    notes: tuple[str, ...]


def event_times(
    visits: pl.DataFrame, adverse_events: pl.DataFrame, terms: Sequence[str]
) -> pl.DataFrame:
    """One row per subject of the safety population: ``subject_id, arm, time, event``."""
    if not terms:
        raise ValidationError(
            "time_to_event.terms", terms, Expected("at least one adverse-event term")
        )
    adsl = build_adsl(visits).filter(pl.col("safety"))
    wanted = [t.strip().lower() for t in terms]
    first = (
        adverse_events.filter(
            pl.col("term").str.to_lowercase().str.strip_chars().is_in(wanted)
            & (pl.col("onset_week") >= 0)
        )
        .group_by("subject_id")
        .agg(pl.col("onset_week").min().cast(pl.Float64).alias("onset"))
        if adverse_events.height
        else pl.DataFrame(schema={"subject_id": pl.String, "onset": pl.Float64})
    )
    out = adsl.select("subject_id", "arm", pl.col("last_week").cast(pl.Float64)).join(
        first, on="subject_id", how="left"
    )
    return out.select(
        "subject_id",
        "arm",
        pl.coalesce("onset", "last_week").alias("time"),
        pl.col("onset").is_not_null().cast(pl.Int64).alias("event"),
    ).sort("subject_id")


def time_to_first_event(
    visits: pl.DataFrame,
    adverse_events: pl.DataFrame,
    *,
    terms: Sequence[str],
    control: str | None,
    conf_level: float = 0.95,
) -> TimeToEvent:
    """Kaplan–Meier per arm, log-rank and Cox (arm against ``control``) of the first event."""
    data = event_times(visits, adverse_events, terms)
    notes: list[str] = []
    time, event, arm = data["time"].to_numpy(), data["event"].to_numpy(), data["arm"].to_list()
    km = attempt(
        notes, "Kaplan–Meier", stats.kaplan_meier, time, event, group=arm, conf_level=conf_level
    )
    arms = sorted(set(arm))
    lr = cox = None
    if control is not None and len(arms) > 1:
        lr = attempt(notes, "log-rank", stats.log_rank, time, event, arm)
        dummies = {f"arm[{a}]": [1.0 if x == a else 0.0 for x in arm] for a in arms if a != control}
        cox = attempt(notes, "Cox", stats.cox_ph, time, event, dummies, conf_level=conf_level)
    return TimeToEvent(tuple(terms), control, data, km, lr, cox, tuple(notes))
