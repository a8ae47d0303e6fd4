"""The simulator's one core: screening, allocation, disease course, dropout and the items of
every visit, for a batch of trials at once.

A batch is a list of segments ``(seed, chunk, n)``: the ``n`` enrolled subjects of one chunk
of one trial, with the random streams ``numpy.random.default_rng([seed, chunk, stream])`` of
that chunk. Every array is flat over the subjects of all segments, one segment after the
other, and every draw goes through :class:`~autoserum.simulate._streams.Streams`, so each
segment gets exactly the numbers it gets when simulated alone: a full study
(:func:`~autoserum.simulate.simulate_study`) is a batch of one segment per chunk, a design
simulation (:func:`~autoserum.simulate.simulate_endpoints`) a batch of many trials.

1. Candidates are drawn and assessed at the first visit (screening, or baseline when there is
   no run-in), in rounds per segment until it has its ``n`` eligible subjects; the protocol's
   thresholds are applied to the *observed* scores, so the enrolled subjects regress towards
   their usual severity afterwards.
2. Enrolled subjects are allocated by permuted blocks; each gets a specific effect.
3. Visit by visit: the Ornstein-Uhlenbeck fluctuation moves on, informative dropout removes
   subjects (worse than at entry → likelier to leave), the items of the visit's instruments
   are drawn from the latent activity, labs drawn. Scoring draws nothing, so the caller
   scores what it needs afterwards.

Reference: ``docs/simulate.md``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from autoserum.simulate._conmeds import Interval
from autoserum.simulate._events import permuted_blocks
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
from autoserum.simulate._plan import Plan
from autoserum.simulate._score import score_items
from autoserum.simulate._streams import Draws, Streams

__all__ = [
    "STREAM_EVENTS",
    "STREAM_RESCUE",
    "Assessed",
    "Trials",
    "VisitDraw",
    "assessed",
    "concat_columns",
    "draw_trials",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Assessed = dict[str, ItemColumn | pl.Series]

_STREAM_SCREEN, _STREAM_COURSE, _STREAM_ITEMS = 1, 2, 3
STREAM_EVENTS, _STREAM_SYMPTOMS, STREAM_RESCUE = 4, 5, 6


@dataclass(frozen=True)
class VisitDraw:
    """One visit of a batch: the subjects present (``index`` into the batch's subjects), the
    study day of every subject, the items drawn (by instrument; at the first visit already
    scored as :data:`Assessed`) and the labs of the present subjects."""

    index: IntArray
    day: FloatArray
    drawn: dict[str, dict[str, ItemColumn]]
    first: Assessed | None
    labs: dict[str, FloatArray]
    age: FloatArray


@dataclass(frozen=True)
class Trials:
    """What :func:`draw_trials` drew for a batch: per subject (flat over the segments) and per
    visit."""

    sizes: IntArray
    subjects: Subjects
    arm_index: IntArray
    treated: NDArray[np.bool_]
    completed: NDArray[np.bool_]
    last_day: FloatArray
    visits: tuple[VisitDraw, ...]
    intervals: tuple[Interval, ...]


def _rows(
    rng: Draws,
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


def _draw(rows: Rows, visit: VisitSpec) -> dict[str, dict[str, ItemColumn]]:
    """The items of every instrument of the visit, drawn in the visit's order."""
    percent = region_percent(rows)
    return {code: GENERATORS[code](rows, percent) for code in visit.instruments}


def assessed(
    drawn: dict[str, dict[str, ItemColumn]], age: FloatArray, scored: Collection[str] | None = None
) -> Assessed:
    """Items prefixed by the instrument code, and the totals of those in ``scored`` (default:
    every instrument)."""
    out: Assessed = {}
    for code, items in drawn.items():
        out.update({f"{code}_{name}": column for name, column in items.items()})
        if scored is None or code in scored:
            out.update(score_items(code, items, age))
    return out


def _eligible(plan: Plan, age: FloatArray, columns: Assessed) -> NDArray[np.bool_]:
    ok = np.ones(age.shape[0], dtype=np.bool_)
    for threshold in plan.thresholds:
        column = age if threshold.column == "age" else columns[threshold.column]
        values = column.to_numpy() if isinstance(column, pl.Series) else np.asarray(column)
        values = np.asarray(values, dtype=np.float64)
        if threshold.minimum is not None:
            ok &= values >= threshold.minimum
        if threshold.maximum is not None:
            ok &= values <= threshold.maximum
    return np.asarray(ok, dtype=np.bool_)


def _take(columns: Assessed, index: IntArray) -> Assessed:
    out: Assessed = {}
    for key, column in columns.items():
        if isinstance(column, Coded):
            out[key] = Coded(column.codes[index], column.categories)
        elif isinstance(column, pl.Series):
            out[key] = column.gather(index)
        else:
            out[key] = column[index]
    return out


def concat_columns(parts: Sequence[ItemColumn | pl.Series]) -> ItemColumn | pl.Series:
    """One column from the same column of several row sets."""
    head = parts[0]
    if isinstance(head, Coded):
        return Coded(
            np.concatenate([p.codes for p in parts if isinstance(p, Coded)]), head.categories
        )
    if isinstance(head, pl.Series):
        return pl.concat([p for p in parts if isinstance(p, pl.Series)])
    return np.concatenate([p for p in parts if isinstance(p, np.ndarray)])


def _screen(
    scenario: Scenario,
    plan: Plan,
    sizes: IntArray,
    streams: Streams,
    scored: Collection[str] | None,
) -> tuple[Subjects, FloatArray, Assessed]:
    """Draw candidates in rounds until each segment has its ``sizes[s]`` eligible subjects
    (the first ones found, in order of drawing)."""
    first = plan.visits[0]
    course = scenario.course
    segments = sizes.shape[0]
    have = np.zeros(segments, dtype=np.int64)
    rate = [0.5] * segments
    kept: list[tuple[IntArray, Subjects, FloatArray, Assessed]] = []
    while (have < sizes).any():
        wanted = np.zeros(segments, dtype=np.int64)
        for s in np.flatnonzero(have < sizes).tolist():
            need = int(sizes[s] - have[s])
            wanted[s] = max(64, int(need / max(rate[s], 0.02) * 1.15) + 16)
        round_streams = streams.resized(wanted)
        m = round_streams.total
        cand = draw_subjects(round_streams, m, scenario)
        eps = course.fluctuation_sd * round_streams.standard_normal(m)
        rows = _rows(round_streams, scenario, cand, cand.usual + eps)
        columns = assessed(_draw(rows, first), cand.age, scored)
        ok = _eligible(plan, cand.age, columns)
        segment = round_streams.segment
        passed = np.bincount(segment[ok], minlength=segments)
        for s in np.flatnonzero(wanted).tolist():
            rate[s] = max(float(passed[s] / wanted[s]), 1e-3)
        # the first (sizes - have) eligible candidates of each segment
        rank: IntArray = np.cumsum(ok) - np.repeat(np.cumsum(passed) - passed, wanted)
        keep = np.flatnonzero(ok & (rank <= (sizes - have)[segment]))
        kept.append((segment[keep], cand.take(keep), eps[keep], _take(columns, keep)))
        have += np.bincount(segment[keep], minlength=segments)
    if len(kept) == 1:
        _, subjects, eps, columns = kept[0]
        return subjects, eps, columns
    order = np.argsort(np.concatenate([k[0] for k in kept]), kind="stable")
    subjects = Subjects(
        **{
            name: np.concatenate([getattr(k[1], name) for k in kept])[order]
            for name in Subjects.__dataclass_fields__
        }
    )
    eps = np.concatenate([k[2] for k in kept])[order]
    merged = {key: concat_columns([k[3][key] for k in kept]) for key in kept[0][3]}
    return subjects, eps, _take(merged, order)


def _move(
    rng: Streams,
    scenario: Scenario,
    visit: VisitSpec,
    previous: VisitSpec,
    prev_day: FloatArray,
    *,
    eps: FloatArray,
    worsening: FloatArray,
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_], FloatArray]:
    """From the previous visit to ``visit``: the day of the visit (in its window), the
    fluctuation moved on, who leaves (informative: the worse since entry, the likelier; the
    run-in loss between run-in and first injection) and on which day."""
    n = prev_day.shape[0]
    dropout = scenario.dropout
    jitter = rng.integers(-visit.window_before, visit.window_after + 1, n)
    day = visit.day + jitter.astype(np.float64)
    eps = ou_step(rng, eps, day - prev_day, scenario.course)
    if visit.day >= 0 > previous.day:
        p_leave = np.full(n, dropout.run_in_loss)
    else:
        hazard = dropout.hazard_per_week * (day - prev_day) / 7.0
        hazard = hazard * np.exp(dropout.informative_log_hr * worsening)
        p_leave = 1.0 - np.exp(-hazard)
    leave = rng.random(n) < p_leave
    left_on = prev_day + np.floor(rng.random(n) * (day - prev_day))
    return day, eps, leave, left_on


def draw_trials(
    scenario: Scenario,
    plan: Plan,
    segments: Sequence[tuple[int, int, int]],
    *,
    scored: Collection[str] | None = None,
) -> Trials:
    """Draw the segments ``(seed, chunk, n)`` of a batch (see the module).

    ``scored``: the instruments scored at screening (default every one of the first visit;
    the eligibility thresholds' instruments must be among them).
    """
    keys = [(seed, chunk) for seed, chunk, _ in segments]
    sizes = np.array([n for _, _, n in segments], dtype=np.int64)

    def streams(stream: int) -> Streams:
        return Streams.spawn([(seed, chunk, stream) for seed, chunk in keys], sizes)

    rng_screen, rng_course, rng_items = (
        streams(_STREAM_SCREEN),
        streams(_STREAM_COURSE),
        streams(_STREAM_ITEMS),
    )
    n = int(sizes.sum())
    course = scenario.course
    subjects, eps, first_assessed = _screen(scenario, plan, sizes, rng_screen, scored)
    arm_index = np.concatenate(
        [
            permuted_blocks(g, int(k), plan.ratios)
            for g, k in zip(rng_course.generators, sizes, strict=True)
        ]
    )
    effect = subject_effects(rng_course, scenario.arms, arm_index, subjects, scenario)
    symptom = symptom_effects(streams(_STREAM_SYMPTOMS), scenario.arms, arm_index)
    injected = np.array([product != "none" for product in plan.products])[arm_index]
    placebo = np.where(injected, course.placebo_effect, 0.0)
    lab_effects = np.array(
        [[a.ige_effect, a.il10_effect, a.ifng_effect, a.treg_effect] for a in scenario.arms]
    )[arm_index]
    visits = plan.visits
    day0 = float(visits[0].day)
    present = np.ones(n, dtype=np.bool_)
    last_day = np.full(n, day0)
    prev_day = np.full(n, day0)
    intervals: list[Interval] = []
    out: list[VisitDraw] = []
    z_entry = subjects.usual + eps
    z_prev = z_entry
    for v, visit in enumerate(visits):
        drawn: dict[str, dict[str, ItemColumn]] = {}
        first: Assessed | None = None
        if v == 0:  # the eligibility visit: already assessed during screening
            day, z, sub, first = prev_day, z_entry, subjects, first_assessed
            idx = np.arange(n)
        else:
            day, eps, leave, left_on = _move(
                rng_course,
                scenario,
                visit,
                visits[v - 1],
                prev_day,
                eps=eps,
                worsening=z_prev - z_entry,
            )
            leave &= present
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
            idx = np.flatnonzero(present)
            sub = subjects.take(idx)
            z_symptoms = (z - symptom * f)[idx]
            improvement = np.where(day > 0, z_entry - (z - symptom * f), np.nan)[idx]
            rows = _rows(rng_items.where(present), scenario, sub, z[idx], improvement, z_symptoms)
            drawn = _draw(rows, visit)
        lab_shift = lab_effects[idx] * effect_fraction(day, plan.injection_days, course)[idx, None]
        if visit.labs:
            rng_labs = rng_items.where(present)
            labs = draw_labs(rng_labs, scenario, visit, sub, z[idx], lab_shift)
        else:
            labs = {}
        out.append(VisitDraw(idx, day, drawn, first, labs, sub.age))
        prev_day = day
    treated = last_day >= 0 if plan.injection_days else np.zeros(n, dtype=np.bool_)
    return Trials(
        sizes=sizes,
        subjects=subjects,
        arm_index=arm_index,
        treated=np.asarray(treated, dtype=np.bool_),
        completed=present,
        last_day=last_day,
        visits=tuple(out),
        intervals=tuple(intervals),
    )
