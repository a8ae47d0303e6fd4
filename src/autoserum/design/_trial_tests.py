"""The analysis of each simulated trial of a batch (:class:`autoserum.simulate.EndpointTrials`):
the p-value of ``test`` on the change of the endpoint from baseline (week 0) to ``week``, in
the treated subjects, as the real trial would be analysed by :mod:`autoserum.stats`.

Single-arm protocols: ``paired_t`` or ``wilcoxon``; parallel protocols: ``student_t``,
``welch_t``, ``mann_whitney``, ``ancova`` (endpoint value adjusted for baseline) or ``mmrm``
(change at every post-baseline visit up to ``week``; the test at ``week``). Subjects without
the endpoint are missing (complete cases), except in the MMRM, which uses every visit observed.
The MMRMs of the batch are fitted together (:func:`autoserum.stats.mmrm_batch`); a trial the
batch fit does not answer is fitted alone (:func:`autoserum.stats.mmrm`), which gives it its
answer or its error. A trial whose analysis fails gets NaN.

>>> from autoserum.simulate import get_scenario, simulate_endpoints
>>> trials = simulate_endpoints(get_scenario("ast-nahm2023"), 20, [1, 2], "scorad")
>>> p = trial_p_values("welch_t", trials, week=8, control="placebo")
>>> p.shape, bool(((0 < p) & (p < 1)).all())
((2,), True)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from autoserum.errors import Message, StatisticsError
from autoserum.simulate import EndpointTrials
from autoserum.stats import (
    ancova,
    mann_whitney,
    mmrm,
    mmrm_batch,
    paired_t,
    student_t,
    welch_t,
    wilcoxon_signed_rank,
)

__all__ = ["trial_p_values"]

FloatArray = NDArray[np.float64]

#: the most visits :func:`autoserum.stats.mmrm_batch` fits together
_BATCH_VISITS = 6


def _baseline(trials: EndpointTrials, control: str) -> tuple[FloatArray, FloatArray]:
    """Baseline values (NaN for the untreated and the unmeasured) and the group (1 = not the
    control arm), trials × subjects."""
    (column,) = np.flatnonzero(trials.weeks == 0)
    base = np.where(trials.treated, trials.values[:, :, column], np.nan)
    codes = list(trials.arm_codes)
    control_index = codes.index(control) if control in codes else -1
    return base, (trials.arm_index != control_index).astype(np.float64)


def _one(test: str, value: FloatArray, base: FloatArray, group: FloatArray) -> float | None:
    """The p-value of a complete-case test of one trial (``value``: subjects × visits at the
    week, rows kept in subject order)."""
    change = value - base[:, None]
    keep = np.isfinite(change)
    b = np.broadcast_to(base[:, None], keep.shape)[keep]
    g = np.broadcast_to(group[:, None], keep.shape)[keep]
    diff = change[keep]
    if test == "paired_t":
        return paired_t(diff).p_value
    if test == "wilcoxon":
        return wilcoxon_signed_rank(diff).p_value
    treated, controls = diff[g == 1], diff[g == 0]
    if test == "student_t":
        return student_t(treated, controls).p_value
    if test == "welch_t":
        return welch_t(treated, controls).p_value
    if test == "mann_whitney":
        return mann_whitney(treated, controls).p_value
    return ancova(value[keep], g, b).p_value


def _mmrm_alone(
    y: FloatArray, weeks: FloatArray, base: FloatArray, group: FloatArray, week: float
) -> float | None:
    """The per-trial MMRM (``y``: change, subjects × post-baseline visits)."""
    observed = np.isfinite(y)
    subject, column = np.nonzero(observed)
    fit = mmrm(subject, weeks[column], group[subject], base[subject], y[observed])
    if not fit.converged:
        raise StatisticsError(Message("MMRM did not converge"))
    return next((e.p_value for e in fit.per_visit if e.visit == week), None)


def _safe(p: float | None) -> float:
    return math.nan if p is None else float(p)


def _mmrm(trials: EndpointTrials, base: FloatArray, group: FloatArray, week: float) -> FloatArray:
    post = np.flatnonzero((trials.weeks > 0) & (trials.weeks <= week))
    y = trials.values[:, :, post] - base[:, :, None]
    weeks = trials.weeks[post]
    # visits no trial of the batch measured are no visits of any trial's fit
    seen = np.isfinite(y).any(axis=(0, 1))
    y, weeks = y[:, :, seen], weeks[seen]
    p = np.full(y.shape[0], np.nan)
    batched = np.zeros(y.shape[0], dtype=np.bool_)
    unique = np.unique(weeks).size == weeks.size
    if week in weeks and unique and y.shape[1] >= 4 and weeks.size <= _BATCH_VISITS:
        est = mmrm_batch(group, base, y, visit=int(np.flatnonzero(weeks == week)[0]))
        assert est.converged is not None
        batched = est.converged
        p[batched] = est.p_value[batched]
    for r in np.flatnonzero(~batched).tolist():
        try:
            p[r] = _safe(_mmrm_alone(y[r], weeks, base[r], group[r], week))
        except StatisticsError:
            p[r] = math.nan
    return p


def trial_p_values(test: str, trials: EndpointTrials, *, week: float, control: str) -> FloatArray:
    """The p-value of ``test`` at ``week`` of every trial of the batch (NaN: the analysis
    failed). ``control``: the control arm's code (``""`` for a single-arm protocol)."""
    base, group = _baseline(trials, control)
    if test == "mmrm":
        return _mmrm(trials, base, group, float(week))
    columns = np.flatnonzero(trials.weeks == week)
    p = np.full(base.shape[0], np.nan)
    for r in range(base.shape[0]):
        try:
            p[r] = _safe(_one(test, trials.values[r][:, columns], base[r], group[r]))
        except StatisticsError:
            p[r] = math.nan
    return p
