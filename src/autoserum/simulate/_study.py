"""``simulate_study``: a whole synthetic study in the tidy long format.

Generation runs in chunks of :data:`CHUNK` subjects, each with its own random streams
(``numpy.random.default_rng([seed, chunk, stream])``), so the output depends only on the seed
and the number of subjects. Each chunk is drawn by the simulator's one core
(:func:`autoserum.simulate._trials.draw_trials`, vectorised over subjects); this module scores
every instrument, draws the adverse events and concomitant medication, and lays the result
out in the long format.

Reference: ``docs/simulate.md``.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import polars as pl
from numpy.typing import NDArray

from autoserum.errors import Expected, ValidationError
from autoserum.simulate._conmeds import con_meds
from autoserum.simulate._events import AE_SCHEMA, adverse_events
from autoserum.simulate._items import Coded
from autoserum.simulate._model import Scenario
from autoserum.simulate._plan import Plan, plan_for
from autoserum.simulate._trials import (
    STREAM_EVENTS,
    STREAM_RESCUE,
    Assessed,
    assessed,
    draw_trials,
)
from autoserum.simulate.scenarios import get_scenario
from autoserum.study.tidy import CONMED_SCHEMA

__all__ = [
    "CHUNK",
    "MAX_SERIOUS_PER_YEAR",
    "MAX_SUBJECTS",
    "SERIOUS_SCHEMA",
    "SimulatedStudy",
    "serious_rate",
    "simulate_scenario",
    "simulate_study",
]

FloatArray = NDArray[np.float64]

#: Subjects generated per chunk (fixed: the output must not depend on memory or cores).
CHUNK = 100_000
MAX_SUBJECTS = 10_000_000


#: The serious adverse events as the site records them (``SimulatedStudy.serious``): the
#: adverse-event file's columns (the dates, the SAE clock's awareness and report times) and the
#: narrative, which the file does not carry (free text that may identify a person).
SERIOUS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {**AE_SCHEMA, "narrative": pl.String}


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated study: the visit, adverse-event and concomitant-medication files of the long
    format, and its serious adverse events with what their 24-hour clock and follow-up need
    (``serious``: one row per serious row of ``adverse_events``, in the same order; the outcome
    is the last follow-up's, ``end_date`` empty while ongoing, ``reported_at`` empty when not
    yet reported)."""

    visits: pl.DataFrame
    adverse_events: pl.DataFrame
    con_meds: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CONMED_SCHEMA))
    serious: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SERIOUS_SCHEMA))


def simulate_study(
    protocol_code: str,
    n_subjects: int,
    seed: int,
    *,
    serious_per_year: float | None = None,
) -> SimulatedStudy:
    """Simulate ``n_subjects`` enrolled subjects of a protocol's scenario.

    The same ``(protocol_code, n_subjects, seed)`` always gives the same frames.
    ``serious_per_year``: the rate of serious adverse events per subject-year (default: the
    scenario's assumption, ``AdverseEvents.serious_per_year``, 0.15); a different rate changes
    only the serious events and the ends of the other events (drawn after them), never the
    visits, the other events' onsets or the con-meds. The demo uses a higher, illustrative rate
    so that its small studies have serious events to show (``scripts/demo.py``).

    >>> study = simulate_study("ast-nahm2023", 20, seed=1)
    >>> study.visits.select("subject_id", "arm", "visit", "week").row(0)
    ('AST-01', 'placebo', 'screening', -2.0)
    >>> study.serious.height, simulate_study("ast-nahm2023", 20, seed=1,
    ...                                      serious_per_year=3.0).serious.height
    (0, 9)
    """
    if (
        isinstance(n_subjects, bool)
        or not isinstance(n_subjects, int)
        or not (1 <= n_subjects <= MAX_SUBJECTS)
    ):
        raise ValidationError(
            "n_subjects",
            n_subjects,
            Expected("an integer from 1 to %(max_subjects)s", max_subjects=MAX_SUBJECTS),
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError("seed", seed, Expected("a non-negative integer"))
    scenario = get_scenario(protocol_code)
    if serious_per_year is not None:
        rate = serious_rate(serious_per_year)
        scenario = replace(scenario, adverse=replace(scenario.adverse, serious_per_year=rate))
    return simulate_scenario(scenario, n_subjects, seed)


#: The highest rate of serious adverse events per subject-year a simulation accepts.
MAX_SERIOUS_PER_YEAR = 50.0


def serious_rate(value: object) -> float:
    """A rate of serious adverse events per subject-year (``--serious-per-year``): a finite
    number from 0 to :data:`MAX_SERIOUS_PER_YEAR`, else a :class:`ValidationError`.

    >>> serious_rate("1.5")
    1.5
    >>> serious_rate(-1)
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: serious_per_year: got -1; expected a number from 0 to 50
    """
    rate: float | None = None
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        with suppress(ValueError):
            rate = float(value)
    if rate is None or not (0.0 <= rate <= MAX_SERIOUS_PER_YEAR):
        raise ValidationError(
            "serious_per_year",
            value,
            Expected(
                "a number from %(low)s to %(high)s",
                low="0",
                high=format(MAX_SERIOUS_PER_YEAR, "g"),
            ),
        )
    return rate


def simulate_scenario(
    scenario: Scenario, n_subjects: int, seed: int, *, chunk_size: int = CHUNK
) -> SimulatedStudy:
    """Simulate a (possibly modified) scenario; see :func:`simulate_study`.

    ``chunk_size`` (subjects per chunk, each with its own random streams) is part of what
    defines the output; keep the default unless testing the chunking itself.
    """
    if chunk_size < 1:
        raise ValidationError("chunk_size", chunk_size, Expected("a positive integer"))
    width = max(2, len(str(n_subjects)))
    plan = plan_for(scenario)
    visits: list[pl.DataFrame] = []
    events: list[pl.DataFrame] = []
    meds: list[pl.DataFrame] = []
    for chunk, start in enumerate(range(0, n_subjects, chunk_size)):
        n = min(chunk_size, n_subjects - start)
        v, e, m = _chunk(scenario, plan, n, seed, chunk)
        visits.append(v.with_columns(pl.col("subject") + start))
        events.append(e.with_columns(pl.col("subject") + start))
        meds.append(m.with_columns(pl.col("subject") + start))
    return _finish(
        scenario,
        plan,
        pl.concat(visits, how="diagonal"),
        pl.concat(events),
        width,
        con_meds=pl.concat(meds),
    )


def _to_frame(columns: Assessed | dict[str, FloatArray]) -> pl.DataFrame:
    series: list[pl.Series] = []
    for name, column in columns.items():
        if isinstance(column, pl.Series):
            series.append(column.alias(name))
        elif isinstance(column, Coded):
            mapping = dict(enumerate(column.categories))
            series.append(
                pl.Series(name, column.codes).replace_strict(
                    mapping, default=None, return_dtype=pl.Enum(column.categories)
                )
            )
        else:
            series.append(pl.Series(name, column, nan_to_null=True))
    return pl.DataFrame(series)


def _chunk(
    scenario: Scenario, plan: Plan, n: int, seed: int, chunk: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One chunk of ``n`` enrolled subjects (a batch of one segment of
    :func:`~autoserum.simulate._trials.draw_trials`), every instrument scored: visit rows,
    adverse events and con-meds (subject = index)."""
    trials = draw_trials(scenario, plan, [(seed, chunk, n)])
    frames: list[pl.DataFrame] = []
    for v, visit in enumerate(trials.visits):
        columns = visit.first if visit.first is not None else assessed(visit.drawn, visit.age)
        frame = _to_frame({**columns, **visit.labs}).with_columns(
            subject=pl.Series(visit.index, dtype=pl.Int64),
            visit_index=pl.lit(v, dtype=pl.Int32),
            day=pl.Series(visit.day[visit.index], dtype=pl.Int64),
        )
        frames.append(frame)
    out = pl.concat(frames, how="diagonal")
    key = out["subject"].to_numpy() * len(trials.visits) + out["visit_index"].to_numpy()
    out = out[np.argsort(key, kind="stable")]
    rng_events = np.random.default_rng([seed, chunk, STREAM_EVENTS])
    subjects, arm_index, day0 = trials.subjects, trials.arm_index, float(plan.visits[0].day)
    subject_frame = pl.DataFrame(
        {
            "subject": np.arange(n, dtype=np.int64),
            "arm_index": arm_index,
            "age": subjects.age,
            "female": subjects.female,
            "per_protocol": trials.completed & trials.treated,
            "treated": trials.treated,
            "enrol_day": rng_events.integers(0, scenario.recruitment_days + 1, n),
        }
    )
    events = adverse_events(
        rng_events,
        scenario,
        plan.products,
        plan.injection_days,
        arm_index,
        first_day=np.full(n, day0),
        last_day=trials.last_day,
        serious_from=max(0.0, day0 + plan.visits[0].window_after),
    )
    meds = con_meds(
        np.random.default_rng([seed, chunk, STREAM_RESCUE]),
        scenario.rescue,
        list(trials.intervals),
        np.arange(n, dtype=np.int64),
        first_day=np.full(n, day0),
    )
    out = out.join(subject_frame, on="subject", how="left")
    arms = subject_frame.select("subject", "arm_index", "enrol_day")
    events = events.join(arms, on="subject", how="left")
    return out, events, meds.join(arms, on="subject", how="left")


def _finish(
    scenario: Scenario,
    plan: Plan,
    visits: pl.DataFrame,
    events: pl.DataFrame,
    width: int,
    *,
    con_meds: pl.DataFrame,
) -> SimulatedStudy:
    """Subject ids, arm codes, dates and the column order of the long format."""
    prefix = scenario.code.split("-")[0].upper()
    arms = list(plan.arm_codes)
    codes = [v.code for v in plan.visits]
    weeks = [v.week for v in plan.visits]
    start = date.fromisoformat(scenario.start_date)
    subject_id = pl.format(
        "{}-{}", pl.lit(prefix), (pl.col("subject") + 1).cast(pl.String).str.zfill(width)
    )
    arm = pl.col("arm_index").replace_strict(dict(enumerate(arms)), return_dtype=pl.String)
    site = pl.lit(scenario.sites[0])
    front = [
        subject_id.alias("subject_id"),
        arm.alias("arm"),
        site.alias("site"),
        pl.col("visit_index")
        .replace_strict(dict(enumerate(weeks)), return_dtype=pl.Float64)
        .alias("week"),
        pl.col("visit_index")
        .replace_strict(dict(enumerate(codes)), return_dtype=pl.String)
        .alias("visit"),
        (pl.lit(start) + pl.duration(days=pl.col("enrol_day") + pl.col("day"))).alias("visit_date"),
        pl.col("age"),
        pl.when(pl.col("female")).then(pl.lit("F")).otherwise(pl.lit("M")).alias("sex"),
        pl.col("per_protocol"),
        pl.col("treated"),
    ]
    fixed = {
        "subject",
        "visit_index",
        "day",
        "arm_index",
        "age",
        "female",
        "per_protocol",
        "treated",
        "enrol_day",
    }
    rest = [c for c in visits.columns if c not in fixed]
    visits = visits.select(*front, *rest)
    coded = [name for name, dtype in visits.schema.items() if isinstance(dtype, pl.Enum)]
    visits = visits.with_columns(pl.col(coded).cast(pl.String))
    safety = plan.protocol.safety
    terms = events["term"].unique().to_list()
    events = events.with_columns(
        expected=pl.col("term").replace_strict(
            {t: safety.expected(t) for t in terms}, return_dtype=pl.Boolean
        ),
        aesi=pl.col("term").replace_strict(
            {t: safety.aesi(t) for t in terms}, return_dtype=pl.String
        ),
    )
    day = pl.lit(start) + pl.duration(days=pl.col("enrol_day") + pl.col("onset_day"))
    midnight = day.cast(pl.Datetime("us", "UTC"))
    events = events.with_columns(
        onset_date=day,
        end_date=day + pl.duration(days=pl.col("end_days")),
        aware_at=midnight + pl.duration(minutes=(pl.col("aware_hours") * 60).round()),
    ).with_columns(
        reported_at=pl.col("aware_at") + pl.duration(minutes=(pl.col("report_hours") * 60).round()),
        follow_up=pl.lit(0),  # each event as first reported (a follow-up is a later correction)
    )
    serious = events.filter(pl.col("serious"))
    ae_columns = [c for c in AE_SCHEMA if c not in {"subject_id", "arm"}]

    def tidy(frame: pl.DataFrame, extra: tuple[str, ...] = ()) -> pl.DataFrame:
        return (
            frame.with_columns(
                pl.lit(None, dtype=AE_SCHEMA[c]).alias(c)
                for c in ae_columns
                if c not in frame.columns
            )
            .select(subject_id.alias("subject_id"), arm.alias("arm"), *ae_columns, *extra)
            .cast({c: SERIOUS_SCHEMA[c] for c in (*AE_SCHEMA, *extra)})
        )

    events = tidy(events)
    serious = tidy(serious, ("narrative",))

    def on(day: str) -> pl.Expr:
        return pl.lit(start) + pl.duration(days=pl.col("enrol_day") + pl.col(day))

    meds = con_meds.with_columns(
        subject_id.alias("subject_id"),
        arm.alias("arm"),
        route=pl.lit("topical"),
        start_date=on("start_day"),
        end_date=on("end_day"),
        start_week=(pl.col("start_day") / 7).round(2),
        end_week=(pl.col("end_day") / 7).round(2),
    ).with_columns(
        route=pl.when(pl.col("drug_class") == "tcs").then(pl.col("route")).otherwise(pl.lit("oral"))
    )
    meds = meds.select(list(CONMED_SCHEMA)).cast(CONMED_SCHEMA)  # type: ignore[arg-type]
    return SimulatedStudy(visits=visits, adverse_events=events, con_meds=meds, serious=serious)
