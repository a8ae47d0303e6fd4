"""One endpoint of many simulated trials at once, as arrays: what a design simulation analyses.

:func:`simulate_endpoints` draws a batch of whole trials with the simulator's one core
(:func:`autoserum.simulate._trials.draw_trials`; every item and lab is drawn, so each trial's
random streams move on exactly as in the full study) and scores only the endpoint (and the
instruments the eligibility thresholds read). Trial ``seeds[r]`` gets the values
:func:`~autoserum.simulate.simulate_scenario` gives for that seed, whatever the other trials of
the batch (``tests/design/test_batched.py``). :func:`simulate_endpoint` is the same for one
trial, as a frame.

>>> from autoserum.simulate import get_scenario
>>> trials = simulate_endpoints(get_scenario("ast-nahm2023"), 20, [1, 2], "scorad")
>>> trials.values.shape, trials.weeks.tolist()
((2, 20, 4), [-2.0, 0.0, 4.0, 8.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from autoserum.errors import Expected, ValidationError
from autoserum.simulate._items import ItemColumn
from autoserum.simulate._model import Scenario
from autoserum.simulate._plan import plan_for
from autoserum.simulate._score import score_items
from autoserum.simulate._study import CHUNK, MAX_SUBJECTS
from autoserum.simulate._trials import concat_columns, draw_trials

__all__ = ["EndpointTrials", "simulate_endpoint", "simulate_endpoints"]

FloatArray = NDArray[np.float64]

#: Totals that are not an instrument's own total: the instrument that yields them.
_SCORED_BY = {"oscorad": "scorad"}


@dataclass(frozen=True)
class EndpointTrials:
    """One endpoint of a batch of trials: trials × subjects × visits.

    ``values`` is NaN where the subject was not seen at the visit or the endpoint is missing;
    ``present`` says whether the subject was seen. ``dtype`` is the endpoint's column type in
    the long format (``None``: no visit measures it).
    """

    seeds: tuple[int, ...]
    endpoint: str
    weeks: FloatArray
    arm_codes: tuple[str, ...]
    arm_index: NDArray[np.int64]
    treated: NDArray[np.bool_]
    present: NDArray[np.bool_]
    values: FloatArray
    dtype: pl.DataType | None

    def frame(self, trial: int = 0) -> pl.DataFrame:
        """Trial ``trial`` as rows ``subject_id`` (the subject's number), ``arm``, ``week``,
        ``treated`` and the endpoint, one per subject and visit seen, in subject order."""
        subject, visit = np.nonzero(self.present[trial])
        arms = np.asarray(self.arm_codes, dtype=object)
        columns = [
            pl.Series("subject_id", subject, dtype=pl.Int64),
            pl.Series("arm", arms[self.arm_index[trial, subject]], dtype=pl.String),
            pl.Series("week", self.weeks[visit], dtype=pl.Float64),
            pl.Series("treated", self.treated[trial, subject], dtype=pl.Boolean),
        ]
        if self.dtype is not None:
            values = pl.Series(self.endpoint, self.values[trial, subject, visit], nan_to_null=True)
            columns.append(values.cast(self.dtype))
        return pl.DataFrame(columns)


def simulate_endpoints(
    scenario: Scenario, n_subjects: int, seeds: Sequence[int], endpoint: str
) -> EndpointTrials:
    """``endpoint`` of the trials of ``seeds`` (``n_subjects`` enrolled each), drawn together."""
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
    if not seeds:
        raise ValidationError("seeds", list(seeds), Expected("at least one seed"))
    plan = plan_for(scenario)
    instrument = _SCORED_BY.get(endpoint, endpoint)
    scored = frozenset({instrument, *(_SCORED_BY.get(t.column, t.column) for t in plan.thresholds)})
    segments = [
        (seed, chunk, min(CHUNK, n_subjects - start))
        for seed in seeds
        for chunk, start in enumerate(range(0, n_subjects, CHUNK))
    ]
    trials = draw_trials(scenario, plan, segments, scored=scored)
    reps, n, n_visits = len(seeds), n_subjects, len(plan.visits)
    present = np.zeros((reps * n, n_visits), dtype=np.bool_)
    values = np.full((reps * n, n_visits), np.nan)
    dtype: pl.DataType | None = None
    pending: list[tuple[int, dict[str, ItemColumn], FloatArray, NDArray[np.int64]]] = []
    for v, visit in enumerate(trials.visits):
        present[visit.index, v] = True
        if visit.first is not None:
            total = visit.first.get(endpoint)
            if isinstance(total, pl.Series):
                values[visit.index, v] = total.cast(pl.Float64).to_numpy()
                dtype = total.dtype
        elif instrument in visit.drawn:
            pending.append((v, visit.drawn[instrument], visit.age, visit.index))
    if pending:  # every visit's endpoint scored in one call
        names = list(pending[0][1])
        items = {name: concat_columns([p[1][name] for p in pending]) for name in names}
        age = np.concatenate([p[2] for p in pending])
        total = score_items(instrument, items, age).get(endpoint)  # type: ignore[arg-type]
        if total is not None:
            dtype = total.dtype
            scores = total.cast(pl.Float64).to_numpy()
            start = 0
            for v, _, part_age, index in pending:
                values[index, v] = scores[start : start + part_age.shape[0]]
                start += part_age.shape[0]
    return EndpointTrials(
        seeds=tuple(seeds),
        endpoint=endpoint,
        weeks=np.array([v.week for v in plan.visits], dtype=np.float64),
        arm_codes=plan.arm_codes,
        arm_index=trials.arm_index.reshape(reps, n),
        treated=trials.treated.reshape(reps, n),
        present=present.reshape(reps, n, n_visits),
        values=values.reshape(reps, n, n_visits),
        dtype=dtype,
    )


def simulate_endpoint(
    scenario: Scenario, n_subjects: int, seed: int, endpoint: str
) -> pl.DataFrame:
    """One endpoint of one simulated trial: the columns ``subject_id``, ``arm``, ``week``,
    ``treated`` and ``endpoint`` of :func:`simulate_scenario`'s visits, with the same values
    for the same seed, except that ``subject_id`` is the subject's number (0, 1, …).

    >>> from autoserum.simulate import get_scenario
    >>> lean = simulate_endpoint(get_scenario("ast-nahm2023"), 20, 1, "scorad")
    >>> lean.columns
    ['subject_id', 'arm', 'week', 'treated', 'scorad']
    """
    return simulate_endpoints(scenario, n_subjects, [seed], endpoint).frame(0)
