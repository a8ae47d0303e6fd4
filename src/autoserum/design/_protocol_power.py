"""Power of a protocol-library trial by simulating it: :func:`autoserum.simulate.simulate_study`
generates the trial (item-level instrument data, the protocol's visits, its scenario's effect,
placebo response and dropout) and :mod:`autoserum.stats` analyses it as the real trial would be.

The endpoint is the change of an instrument total from baseline (week 0) to ``week``, in the
treated subjects. Tests: single-arm protocols ``paired_t`` or ``wilcoxon``; parallel protocols
``student_t``, ``welch_t``, ``mann_whitney``, ``ancova`` (endpoint value adjusted for baseline) or
``mmrm`` (change at every post-baseline visit up to ``week``; the test at ``week``). Subjects
without the endpoint are missing (complete cases), except in the MMRM, which uses every visit
observed; the MMRMs of up to 250 trials are fitted together (:func:`autoserum.stats.mmrm_batch`,
each trial's p-value the per-trial fit's, ``tests/design/test_batched.py``). Power = share of
replicates with p < α; replicate i uses seed ``seed + i``, so a run can be split into seed
ranges (:func:`count_protocol_rejections`) and the counts added up: a design grid does this, on
as many workers as it likes, and gets the same answer.

``effect_scale`` multiplies every arm's treatment effect and ``dropout_scale`` the scenario's
dropout hazard (1 and 1: the scenario as published).

>>> res = simulate_protocol_power("ast-nahm2023", n_subjects=20, endpoint="scorad", week=8,
...                               test="mann_whitney", reps=20, seed=1)
>>> res.design, res.reps
('ast-nahm2023:mann_whitney', 20)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from autoserum.design._simulation import SimulatedPower
from autoserum.errors import StatisticsError, ValidationError
from autoserum.protocols import load_protocol
from autoserum.simulate import Scenario, get_scenario, simulate_endpoint
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

__all__ = [
    "PROTOCOL_TESTS",
    "ProtocolTrials",
    "count_protocol_rejections",
    "protocol_power",
    "simulate_protocol_power",
]

PROTOCOL_TESTS = {
    "single_arm": ("paired_t", "wilcoxon"),
    "parallel": ("student_t", "welch_t", "mann_whitney", "ancova", "mmrm"),
}


def _p_value(test: str, frame: pl.DataFrame, endpoint: str, week: float, control: str) -> float:
    p = _raw_p_value(test, frame, endpoint, week, control)
    if p is None:
        raise StatisticsError(f"{test} gave no p-value")
    return float(p)


def _raw_p_value(
    test: str, frame: pl.DataFrame, endpoint: str, week: float, control: str
) -> float | None:
    base = frame.filter(pl.col("week") == 0).select("subject_id", pl.col(endpoint).alias("b"))
    post = frame.filter((pl.col("week") > 0) & (pl.col("week") <= week))
    post = post.join(base, on="subject_id").filter(pl.col(endpoint).is_not_null())
    post = post.filter(pl.col("b").is_not_null()).with_columns(
        (pl.col(endpoint) - pl.col("b")).alias("change"),
        (pl.col("arm") != control).cast(pl.Float64).alias("group"),
    )
    if test == "mmrm":
        fit = mmrm(
            post["subject_id"].to_numpy(),
            post["week"].to_numpy(),
            post["group"].to_numpy(),
            post["b"].to_numpy(),
            post["change"].to_numpy(),
        )
        if not fit.converged:
            raise StatisticsError("MMRM did not converge")
        return next(e.p_value for e in fit.per_visit if e.visit == week)
    end = post.filter(pl.col("week") == week)
    change = end["change"].to_numpy()
    if test == "paired_t":
        return paired_t(change).p_value
    if test == "wilcoxon":
        return wilcoxon_signed_rank(change).p_value
    treated = end.filter(pl.col("group") == 1)["change"].to_numpy()
    controls = end.filter(pl.col("group") == 0)["change"].to_numpy()
    if test == "student_t":
        return student_t(treated, controls).p_value
    if test == "welch_t":
        return welch_t(treated, controls).p_value
    if test == "mann_whitney":
        return mann_whitney(treated, controls).p_value
    return ancova(end[endpoint].to_numpy(), end["group"].to_numpy(), end["b"].to_numpy()).p_value


_BATCH = 250  # MMRM trials fitted together


def _mmrm_p_values(
    frames: list[pl.DataFrame], endpoint: str, week: float, control: str
) -> list[float]:
    """The MMRM p-value at ``week`` of each trial (NaN: the analysis failed), as
    :func:`_p_value` gives it: the trials fitted together by :func:`autoserum.stats.mmrm_batch`,
    any trial it does not answer alone by :func:`_p_value`."""
    weeks = sorted({w for f in frames for w in f["week"].unique().to_list() if 0 < w <= week})
    if week not in weeks:
        return [_p_value_or_nan(f, endpoint, week, control) for f in frames]
    width = max(int(f["subject_id"].to_numpy().max(initial=0)) for f in frames) + 1
    reps, t = len(frames), len(weeks)
    y = np.full((reps, width, t), np.nan)
    base = np.full((reps, width), np.nan)
    group = np.zeros((reps, width))
    alone = np.zeros(reps, dtype=bool)
    index = {w: j for j, w in enumerate(weeks)}
    for r, frame in enumerate(frames):
        sid = frame["subject_id"].to_numpy()
        wk = frame["week"].to_numpy()
        value = frame[endpoint].cast(pl.Float64).to_numpy()
        if frame.select("subject_id", "week").is_duplicated().any():
            alone[r] = True  # two rows of a subject at one week: leave it to the per-trial fit
            continue
        at_base = wk == 0
        base[r, sid[at_base]] = value[at_base]
        group[r, sid] = (frame["arm"] != control).cast(pl.Float64).to_numpy()
        post = (wk > 0) & (wk <= week)
        cols = np.array([index[w] for w in wk[post]], dtype=np.intp)
        y[r, sid[post], cols] = value[post]
    y = y - base[:, :, None]
    est = mmrm_batch(group, base, y, visit=index[week])
    assert est.converged is not None
    return [
        float(p) if ok and not alone[r] else _p_value_or_nan(frames[r], endpoint, week, control)
        for r, (p, ok) in enumerate(zip(est.p_value, est.converged, strict=True))
    ]


def _p_value_or_nan(frame: pl.DataFrame, endpoint: str, week: float, control: str) -> float:
    try:
        return _p_value("mmrm", frame, endpoint, week, control)
    except StatisticsError:
        return math.nan


@dataclass(frozen=True)
class ProtocolTrials:
    """Rejections and failed analyses among the trials of one seed range."""

    seed: int
    reps: int
    rejections: int
    failures: int


def _scenario(code: str, effect_scale: float, dropout_scale: float) -> Scenario:
    scenario = get_scenario(code)
    if effect_scale < 0 or not math.isfinite(effect_scale):
        raise ValidationError("effect_scale", effect_scale, "a multiplier >= 0")
    if dropout_scale < 0 or not math.isfinite(dropout_scale):
        raise ValidationError("dropout_scale", dropout_scale, "a multiplier >= 0")
    if effect_scale != 1.0:
        arms = tuple(dataclasses.replace(a, effect=a.effect * effect_scale) for a in scenario.arms)
        scenario = dataclasses.replace(scenario, arms=arms)
    if dropout_scale != 1.0:
        drop = scenario.dropout
        scenario = dataclasses.replace(
            scenario,
            dropout=dataclasses.replace(drop, hazard_per_week=drop.hazard_per_week * dropout_scale),
        )
    return scenario


def _checked(protocol_code: str, test: str, endpoint: str, week: float, probe: pl.DataFrame) -> str:
    """The control arm's code, after checking the test, endpoint and week fit the protocol."""
    protocol = load_protocol(protocol_code)
    kind = "single_arm" if protocol.design == "single_arm" else "parallel"
    if protocol.design not in ("single_arm", "parallel"):
        raise ValidationError("protocol", protocol_code, "a single-arm or parallel protocol")
    if test not in PROTOCOL_TESTS[kind]:
        raise ValidationError("test", test, f"one of {', '.join(PROTOCOL_TESTS[kind])} ({kind})")
    if endpoint not in probe.columns or probe[endpoint].is_null().all():
        raise ValidationError(
            "endpoint", endpoint, f"an instrument total measured in {protocol_code}"
        )
    weeks = sorted(w for w in probe["week"].unique().to_list() if w > 0)
    if week not in weeks:
        raise ValidationError("week", week, f"a post-baseline week of {protocol_code}: {weeks}")
    controls = [a.code for a in protocol.arms if a.is_control]
    return controls[0] if controls else ""


def count_protocol_rejections(
    protocol_code: str,
    *,
    n_subjects: int,
    endpoint: str,
    week: float,
    test: str,
    seed: int,
    reps: int,
    sig_level: float = 0.05,
    effect_scale: float = 1.0,
    dropout_scale: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> ProtocolTrials:
    """Simulate and analyse the trials of seeds ``seed .. seed + reps - 1``; count rejections.

    >>> counts = count_protocol_rejections("ast-nahm2023", n_subjects=20, endpoint="scorad",
    ...                                    week=8, test="mann_whitney", seed=1, reps=2)
    >>> counts.reps, counts.rejections + counts.failures <= 2
    (2, True)
    """
    if not isinstance(reps, int) or reps < 1:
        raise ValidationError("reps", reps, "an integer >= 1")
    if not 0 < sig_level < 1:
        raise ValidationError("sig_level", sig_level, "a number strictly between 0 and 1")
    if isinstance(n_subjects, bool) or not isinstance(n_subjects, int) or n_subjects < 2:
        raise ValidationError("n_subjects", n_subjects, "an integer >= 2")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError("seed", seed, "a non-negative integer")
    scenario = _scenario(protocol_code, effect_scale, dropout_scale)
    rejections = failures = 0
    control = ""
    pending: list[pl.DataFrame] = []
    for i in range(reps):
        frame = simulate_endpoint(scenario, n_subjects, seed + i, endpoint)
        if i == 0:
            control = _checked(protocol_code, test, endpoint, week, frame)
        frame = frame.filter(pl.col("treated"))
        if test == "mmrm":
            pending.append(frame)
            if len(pending) < _BATCH and i < reps - 1:
                continue
            p_values = _mmrm_p_values(pending, endpoint, float(week), control)
            done, pending = len(pending), []
        else:
            try:
                p_values = [_p_value(test, frame, endpoint, float(week), control)]
            except StatisticsError:
                p_values = [math.nan]
            done = 1
        for p in p_values:
            if math.isfinite(p):
                rejections += int(p < sig_level)
            else:
                failures += 1
        if progress is not None:
            progress(done)
    return ProtocolTrials(seed=seed, reps=reps, rejections=rejections, failures=failures)


def simulate_protocol_power(
    protocol_code: str,
    *,
    n_subjects: int,
    endpoint: str,
    week: float,
    test: str,
    reps: int = 200,
    seed: int,
    sig_level: float = 0.05,
    effect_scale: float = 1.0,
    dropout_scale: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> SimulatedPower:
    """Simulated power of ``test`` on ``endpoint`` at ``week`` for ``n_subjects`` enrolled.

    ``progress``, if given, is called with the number of trials each step finished.
    """
    if not isinstance(reps, int) or reps < 10:
        raise ValidationError("reps", reps, "an integer >= 10 replicates")
    counts = count_protocol_rejections(
        protocol_code,
        n_subjects=n_subjects,
        endpoint=endpoint,
        week=week,
        test=test,
        seed=seed,
        reps=reps,
        sig_level=sig_level,
        effect_scale=effect_scale,
        dropout_scale=dropout_scale,
        progress=progress,
    )
    return protocol_power(
        protocol_code,
        counts,
        n_subjects=n_subjects,
        endpoint=endpoint,
        week=week,
        test=test,
        sig_level=sig_level,
        effect_scale=effect_scale,
        dropout_scale=dropout_scale,
    )


def protocol_power(
    protocol_code: str,
    counts: ProtocolTrials,
    *,
    n_subjects: int,
    endpoint: str,
    week: float,
    test: str,
    sig_level: float = 0.05,
    effect_scale: float = 1.0,
    dropout_scale: float = 1.0,
) -> SimulatedPower:
    """The power and its Monte-Carlo error from the counts of a run."""
    reps, seed = counts.reps, counts.seed
    parameters = {"week": float(week), "failed_analyses": float(counts.failures)}
    scaled = ""
    if (effect_scale, dropout_scale) != (1.0, 1.0):
        parameters |= {"effect_scale": effect_scale, "dropout_scale": dropout_scale}
        scaled = f"; effects x {effect_scale:g}, dropout hazard x {dropout_scale:g}"
    power = counts.rejections / reps
    se = math.sqrt(power * (1 - power) / reps)
    return SimulatedPower(
        design=f"{protocol_code}:{test}",
        n=n_subjects,
        reps=reps,
        seed=seed,
        power=power,
        mc_se=se,
        ci_low=max(0.0, power - 1.959963984540054 * se),
        ci_high=min(1.0, power + 1.959963984540054 * se),
        sig_level=sig_level,
        parameters=parameters,
        method=(
            f"Monte-Carlo, {reps} trials from autoserum.simulate.simulate_study('{protocol_code}', "
            f"{n_subjects} enrolled, seeds {seed}..{seed + reps - 1}); change in {endpoint} from "
            f"week 0 to {week:g} in treated subjects; autoserum.stats {test}{scaled}"
        ),
    )
