"""``simulate_study``: a whole synthetic study in the tidy long format, vectorised.

Generation runs in chunks of :data:`CHUNK` subjects, each with its own random streams
(``numpy.random.default_rng([seed, chunk, stream])``), so the output depends only on the seed
and the number of subjects. Within a chunk every step is vectorised over subjects; the only
Python loops run over visits, instruments and batches of screening candidates.

1. Candidates are drawn and assessed at the first visit (screening, or baseline when there is
   no run-in); the protocol's thresholds are applied to the *observed* scores, so the enrolled
   subjects regress towards their usual severity afterwards.
2. Enrolled subjects are allocated by permuted blocks; each gets a specific effect.
3. Visit by visit: the Ornstein-Uhlenbeck fluctuation moves on, informative dropout removes
   subjects (worse than at entry → likelier to leave), the items of the visit's instruments
   are drawn from the latent activity and scored with ``autoserum.instruments``, labs drawn.

Reference: ``docs/simulate.md``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl
from numpy.typing import NDArray

from autoserum.errors import ValidationError
from autoserum.simulate._conmeds import Interval, con_meds
from autoserum.simulate._events import AE_SCHEMA, adverse_events, permuted_blocks
from autoserum.simulate._items import GENERATORS, Coded, ItemColumn, Rows, region_percent
from autoserum.simulate._labs import draw_labs
from autoserum.simulate._latent import (
    Subjects,
    draw_subjects,
    effect_fraction,
    ou_step,
    subject_effects,
    symptom_effects,
)
from autoserum.simulate._model import Scenario, VisitSpec
from autoserum.simulate._plan import Plan, plan_for
from autoserum.simulate._score import score_items
from autoserum.simulate.scenarios import get_scenario
from autoserum.study.tidy import CONMED_SCHEMA

__all__ = [
    "CHUNK",
    "MAX_SUBJECTS",
    "SimulatedStudy",
    "simulate_endpoint",
    "simulate_scenario",
    "simulate_study",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Subjects generated per chunk (fixed: the output must not depend on memory or cores).
CHUNK = 100_000
MAX_SUBJECTS = 10_000_000
#: Totals and items that are not an instrument's own total: the instrument that yields them.
_SCORED_BY = {"oscorad": "scorad", "scorad_extent": "scorad"}
_STREAM_SCREEN, _STREAM_COURSE, _STREAM_ITEMS, _STREAM_EVENTS, _STREAM_SYMPTOMS = 1, 2, 3, 4, 5
_STREAM_RESCUE = 6


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated study: the visit, adverse-event and concomitant-medication files of the long
    format."""

    visits: pl.DataFrame
    adverse_events: pl.DataFrame
    con_meds: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CONMED_SCHEMA))


def simulate_study(protocol_code: str, n_subjects: int, seed: int) -> SimulatedStudy:
    """Simulate ``n_subjects`` enrolled subjects of a protocol's scenario.

    The same ``(protocol_code, n_subjects, seed)`` always gives the same frames.

    >>> study = simulate_study("ast-nahm2023", 20, seed=1)
    >>> study.visits.select("subject_id", "arm", "visit", "week").row(0)
    ('AST-01', 'placebo', 'screening', -2.0)
    """
    if (
        isinstance(n_subjects, bool)
        or not isinstance(n_subjects, int)
        or not (1 <= n_subjects <= MAX_SUBJECTS)
    ):
        raise ValidationError("n_subjects", n_subjects, f"an integer from 1 to {MAX_SUBJECTS}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError("seed", seed, "a non-negative integer")
    return simulate_scenario(get_scenario(protocol_code), n_subjects, seed)


def simulate_scenario(
    scenario: Scenario, n_subjects: int, seed: int, *, chunk_size: int = CHUNK
) -> SimulatedStudy:
    """Simulate a (possibly modified) scenario; see :func:`simulate_study`.

    ``chunk_size`` (subjects per chunk, each with its own random streams) is part of what
    defines the output; keep the default unless testing the chunking itself.
    """
    if chunk_size < 1:
        raise ValidationError("chunk_size", chunk_size, "a positive integer")
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


def simulate_endpoint(
    scenario: Scenario, n_subjects: int, seed: int, endpoint: str
) -> pl.DataFrame:
    """One endpoint of a simulated study, fast: the columns ``subject_id``, ``arm``, ``week``,
    ``treated`` and ``endpoint`` of :func:`simulate_scenario`'s visits, with the same values
    for the same seed, except that ``subject_id`` is the subject's number (0, 1, …).

    Every item and lab is still drawn, so the random streams move on exactly as in the full
    study, but only the endpoint (and the instruments the eligibility thresholds read) is
    scored, and no adverse events are drawn. A design simulation that analyses one endpoint
    of thousands of trials uses this (``autoserum.design``).

    >>> from autoserum.simulate import get_scenario
    >>> lean = simulate_endpoint(get_scenario("ast-nahm2023"), 20, 1, "scorad")
    >>> lean.columns
    ['subject_id', 'arm', 'week', 'treated', 'scorad']
    """
    plan = plan_for(scenario)
    parts: list[pl.DataFrame] = []
    for chunk, start in enumerate(range(0, n_subjects, CHUNK)):
        n = min(CHUNK, n_subjects - start)
        v, _, _ = _chunk(scenario, plan, n, seed, chunk, endpoint)
        parts.append(v.with_columns(pl.col("subject") + start))
    visits = pl.concat(parts, how="diagonal")
    arms = list(plan.arm_codes)
    weeks = [v.week for v in plan.visits]
    columns = [
        pl.col("subject").alias("subject_id"),
        pl.col("arm_index")
        .replace_strict(dict(enumerate(arms)), return_dtype=pl.String)
        .alias("arm"),
        pl.col("visit_index")
        .replace_strict(dict(enumerate(weeks)), return_dtype=pl.Float64)
        .alias("week"),
        pl.col("treated"),
    ]
    if endpoint in visits.columns:
        columns.append(pl.col(endpoint))
    return visits.select(columns)


def _rows(
    rng: np.random.Generator,
    scenario: Scenario,
    subjects: Subjects,
    z: FloatArray,
    improvement: FloatArray | None = None,
    symptom_z: FloatArray | None = None,
) -> Rows:
    return Rows(
        rng=rng,
        activity=np.exp(z),
        rho=subjects.rho,
        extent=subjects.extent,
        itch=subjects.itch,
        qol=subjects.qol,
        model=scenario.items,
        improvement=improvement,
        symptom_activity=None if symptom_z is None else np.exp(symptom_z),
    )


def _assess(
    rows: Rows, visit: VisitSpec, age: FloatArray, scored: Collection[str] | None = None
) -> dict[str, ItemColumn | pl.Series]:
    """Items and totals of every instrument of the visit, prefixed by the instrument code.

    Every instrument's items are drawn (the random stream moves on the same way); only those
    in ``scored`` (default: all) are scored.
    """
    out: dict[str, ItemColumn | pl.Series] = {}
    for code, items in _draw(rows, visit).items():
        out.update({f"{code}_{name}": column for name, column in items.items()})
        if scored is None or code in scored:
            out.update(score_items(code, items, age))
    return out


def _draw(rows: Rows, visit: VisitSpec) -> dict[str, dict[str, ItemColumn]]:
    """The items of every instrument of the visit, drawn in the visit's order (scoring draws
    nothing, so scoring later gives what scoring at once gives)."""
    percent = region_percent(rows)
    return {code: GENERATORS[code](rows, percent) for code in visit.instruments}


def _eligible(
    plan: Plan, age: FloatArray, assessed: dict[str, ItemColumn | pl.Series]
) -> NDArray[np.bool_]:
    ok = np.ones(age.shape[0], dtype=np.bool_)
    for threshold in plan.thresholds:
        column = age if threshold.column == "age" else assessed[threshold.column]
        values = column.to_numpy() if isinstance(column, pl.Series) else np.asarray(column)
        values = np.asarray(values, dtype=np.float64)
        if threshold.minimum is not None:
            ok &= values >= threshold.minimum
        if threshold.maximum is not None:
            ok &= values <= threshold.maximum
    return np.asarray(ok, dtype=np.bool_)


def _screen(
    scenario: Scenario,
    plan: Plan,
    n: int,
    rng: np.random.Generator,
    scored: Collection[str] | None = None,
) -> tuple[Subjects, FloatArray, dict[str, ItemColumn | pl.Series]]:
    """Draw candidates in batches until ``n`` pass eligibility at the first visit."""
    first = plan.visits[0]
    course = scenario.course
    kept: list[tuple[Subjects, FloatArray, dict[str, ItemColumn | pl.Series]]] = []
    have, rate = 0, 0.5
    while have < n:
        m = max(64, int((n - have) / max(rate, 0.02) * 1.15) + 16)
        cand = draw_subjects(rng, m, scenario)
        eps = course.fluctuation_sd * rng.standard_normal(m)
        rows = _rows(rng, scenario, cand, cand.usual + eps)
        assessed = _assess(rows, first, cand.age, scored)
        ok = _eligible(plan, cand.age, assessed)
        rate = max(float(ok.mean()), 1e-3)
        index = np.nonzero(ok)[0][: n - have]
        kept.append((cand.take(index), eps[index], _take(assessed, index)))
        have += index.size
    subjects = Subjects(
        **{
            name: np.concatenate([getattr(k[0], name) for k in kept])
            for name in Subjects.__dataclass_fields__
        }
    )
    eps = np.concatenate([k[1] for k in kept])
    assessed = {key: _concat([k[2][key] for k in kept]) for key in kept[0][2]}
    return subjects, eps, assessed


def _take(
    assessed: dict[str, ItemColumn | pl.Series], index: IntArray
) -> dict[str, ItemColumn | pl.Series]:
    out: dict[str, ItemColumn | pl.Series] = {}
    for key, column in assessed.items():
        if isinstance(column, Coded):
            out[key] = Coded(column.codes[index], column.categories)
        elif isinstance(column, pl.Series):
            out[key] = column.gather(index)
        else:
            out[key] = column[index]
    return out


def _concat(parts: list[ItemColumn | pl.Series]) -> ItemColumn | pl.Series:
    head = parts[0]
    if isinstance(head, Coded):
        return Coded(
            np.concatenate([p.codes for p in parts if isinstance(p, Coded)]), head.categories
        )
    if isinstance(head, pl.Series):
        return pl.concat([p for p in parts if isinstance(p, pl.Series)])
    return np.concatenate([p for p in parts if isinstance(p, np.ndarray)])


def _to_frame(columns: dict[str, ItemColumn | pl.Series]) -> pl.DataFrame:
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


def _score_pending(
    frames: list[pl.DataFrame],
    pending: list[tuple[int, dict[str, ItemColumn], FloatArray]],
    endpoint: str,
) -> list[pl.DataFrame]:
    """Score the endpoint items of several visits in one call; each visit's totals go into its
    frame."""
    names = list(pending[0][1])
    items = {name: _concat([p[1][name] for p in pending]) for name in names}
    age = np.concatenate([p[2] for p in pending])
    instrument = _SCORED_BY.get(endpoint, endpoint)
    total = score_items(instrument, items, age)[endpoint]  # type: ignore[arg-type]
    out = list(frames)
    start = 0
    for index, _, part_age in pending:
        size = part_age.shape[0]
        out[index] = out[index].with_columns(total.slice(start, size).alias(endpoint))
        start += size
    return out


def _chunk(
    scenario: Scenario, plan: Plan, n: int, seed: int, chunk: int, endpoint: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One chunk of ``n`` enrolled subjects: visit rows, adverse events and con-meds
    (subject = index).

    With ``endpoint`` (see :func:`simulate_endpoint`) the visit rows hold only that total, the
    other instruments and the labs are drawn but neither scored nor kept, and no adverse events
    or con-meds are drawn (their streams are separate).
    """
    scored: frozenset[str] | None = None
    if endpoint is not None:
        scored = frozenset(
            _SCORED_BY.get(c, c) for c in (endpoint, *(t.column for t in plan.thresholds))
        )
    rng_screen = np.random.default_rng([seed, chunk, _STREAM_SCREEN])
    rng_course = np.random.default_rng([seed, chunk, _STREAM_COURSE])
    rng_items = np.random.default_rng([seed, chunk, _STREAM_ITEMS])
    rng_events = np.random.default_rng([seed, chunk, _STREAM_EVENTS])
    course, dropout = scenario.course, scenario.dropout
    subjects, eps, first_assessed = _screen(scenario, plan, n, rng_screen, scored)
    arm_index = permuted_blocks(rng_course, n, plan.ratios)
    effect = subject_effects(rng_course, scenario.arms, arm_index, subjects, scenario)
    rng_symptoms = np.random.default_rng([seed, chunk, _STREAM_SYMPTOMS])
    symptom = symptom_effects(rng_symptoms, scenario.arms, arm_index)
    injected = np.array([product != "none" for product in plan.products])[arm_index]
    placebo = np.where(injected, course.placebo_effect, 0.0)
    lab_effects = np.array(
        [[a.ige_effect, a.il10_effect, a.ifng_effect, a.treg_effect] for a in scenario.arms]
    )[arm_index]
    visits = plan.visits
    day0 = float(visits[0].day)
    present = np.ones(n, dtype=np.bool_)
    last_day = np.full(n, day0)
    frames: list[pl.DataFrame] = []
    pending: list[tuple[int, dict[str, ItemColumn], FloatArray]] = []
    prev_day = np.full(n, day0)
    intervals: list[Interval] = []
    z_entry = subjects.usual + eps
    z_prev = z_entry
    for v, visit in enumerate(visits):
        if v == 0:  # the eligibility visit: already assessed during screening
            day, z, sub, assessed = prev_day, z_entry, subjects, first_assessed
        else:
            jitter = rng_course.integers(-visit.window_before, visit.window_after + 1, n)
            day = visit.day + jitter.astype(np.float64)
            eps = ou_step(rng_course, eps, day - prev_day, course)
            if visit.day >= 0 > visits[v - 1].day:  # between run-in and first injection
                p_leave = np.full(n, dropout.run_in_loss)
            else:  # informative: the worse since entry, the likelier to leave
                hazard = dropout.hazard_per_week * (day - prev_day) / 7.0
                hazard = hazard * np.exp(dropout.informative_log_hr * (z_prev - z_entry))
                p_leave = 1.0 - np.exp(-hazard)
            leave = present & (rng_course.random(n) < p_leave)
            left_on = prev_day + np.floor(rng_course.random(n) * (day - prev_day))
            last_day = np.where(leave, left_on, last_day)
            was_present = present.copy()
            present &= ~leave
            last_day = np.where(present, day, last_day)
            f = effect_fraction(day, plan.injection_days, course)
            z = subjects.usual + eps + course.drift_per_week * (day - day0) / 7.0
            z = z - (placebo + effect) * f
            z_prev = z
            if visits[v - 1].day >= 0:  # on treatment or in follow-up: rescue may start
                end = np.where(leave, left_on, day)
                intervals.append(Interval(prev_day.copy(), end, was_present, z - z_entry))
            idx = np.nonzero(present)[0]
            sub = subjects.take(idx)
            z_symptoms = (z - symptom * f)[idx]
            improvement = np.where(day > 0, z_entry - (z - symptom * f), np.nan)[idx]
            rows = _rows(rng_items, scenario, sub, z[idx], improvement, z_symptoms)
            if endpoint is not None:  # drawn now, the endpoint scored once after the last visit
                drawn = _draw(rows, visit)
                assessed = {}
                if _SCORED_BY.get(endpoint, endpoint) in drawn:
                    pending.append(
                        (len(frames), drawn[_SCORED_BY.get(endpoint, endpoint)], sub.age)
                    )
            else:
                assessed = _assess(rows, visit, sub.age, scored)
        idx = np.nonzero(present)[0]
        lab_shift = lab_effects[idx] * effect_fraction(day, plan.injection_days, course)[idx, None]
        labs = draw_labs(rng_items, scenario, visit, sub, z[idx], lab_shift)
        if endpoint is not None:  # only the endpoint's total is kept
            lean = pl.DataFrame({"subject": pl.Series(idx, dtype=pl.Int64)})
            lean = lean.with_columns(visit_index=pl.lit(v, dtype=pl.Int32))
            if endpoint in assessed:
                lean = lean.with_columns(_to_frame({endpoint: assessed[endpoint]}).to_series())
            frames.append(lean)
            prev_day = day
            continue
        frame = _to_frame({**assessed, **labs}).with_columns(
            subject=pl.Series(idx, dtype=pl.Int64),
            visit_index=pl.lit(v, dtype=pl.Int32),
            day=pl.Series(day[idx], dtype=pl.Int64),
        )
        frames.append(frame)
        prev_day = day
    if pending and endpoint is not None:
        frames = _score_pending(frames, pending, endpoint)
    out = pl.concat(frames, how="diagonal")
    key = out["subject"].to_numpy() * len(visits) + out["visit_index"].to_numpy()
    out = out[np.argsort(key, kind="stable")]
    completed = present
    treated = last_day >= 0 if plan.injection_days else np.zeros(n, dtype=np.bool_)
    if endpoint is not None:
        lean = pl.DataFrame({"subject": np.arange(n, dtype=np.int64), "arm_index": arm_index})
        lean = lean.with_columns(treated=pl.Series(treated, dtype=pl.Boolean))
        return out.join(lean, on="subject", how="left"), pl.DataFrame(), pl.DataFrame()
    subject_frame = pl.DataFrame(
        {
            "subject": np.arange(n, dtype=np.int64),
            "arm_index": arm_index,
            "age": subjects.age,
            "female": subjects.female,
            "per_protocol": completed & treated,
            "treated": treated,
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
        last_day=last_day,
    )
    meds = con_meds(
        np.random.default_rng([seed, chunk, _STREAM_RESCUE]),
        scenario.rescue,
        intervals,
        np.arange(n, dtype=np.int64),
        first_day=np.full(n, day0),
    )
    out = out.join(subject_frame, on="subject", how="left")
    arms = subject_frame.select("subject", "arm_index", "enrol_day")
    events = events.join(arms.drop("enrol_day"), on="subject", how="left")
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
    events = (
        events.with_columns(
            pl.lit(None, dtype=AE_SCHEMA[c]).alias(c)
            for c in AE_SCHEMA
            if c not in events.columns and c not in {"subject_id", "arm"}
        )
        .select(
            subject_id.alias("subject_id"),
            arm.alias("arm"),
            *[c for c in AE_SCHEMA if c not in {"subject_id", "arm"}],
        )
        .cast(AE_SCHEMA)  # type: ignore[arg-type]
    )

    def on(day: str) -> pl.Expr:
        return pl.lit(start) + pl.duration(days=pl.col("enrol_day") + pl.col(day))

    meds = con_meds.with_columns(
        subject_id.alias("subject_id"),
        arm.alias("arm"),
        dose=pl.lit(None, dtype=pl.String),
        route=pl.lit("topical"),
        body_area=pl.lit(None, dtype=pl.String),
        start_date=on("start_day"),
        end_date=on("end_day"),
        start_week=(pl.col("start_day") / 7).round(2),
        end_week=(pl.col("end_day") / 7).round(2),
    ).with_columns(
        route=pl.when(pl.col("drug_class") == "tcs").then(pl.col("route")).otherwise(pl.lit("oral"))
    )
    meds = meds.select(list(CONMED_SCHEMA)).cast(CONMED_SCHEMA)  # type: ignore[arg-type]
    return SimulatedStudy(visits=visits, adverse_events=events, con_meds=meds)
