"""Power of a protocol-library trial by simulating it: the simulator
(:func:`autoserum.simulate.simulate_endpoints`, the same core as
:func:`autoserum.simulate.simulate_study`) generates whole trials (item-level instrument data,
the protocol's visits, its scenario's effect, placebo response and dropout), many at once, and
:mod:`autoserum.design._trial_tests` analyses each as the real trial would be.

The endpoint is the change of an instrument total from baseline (week 0) to ``week``, in the
treated subjects (tests: :func:`autoserum.design._trial_tests.trial_p_values`). Power = share of
replicates with p < α; replicate i uses seed ``seed + i`` and its own random streams, so its
data and its analysis do not depend on the trials simulated with it: a run can be split into
seed ranges (:func:`count_protocol_rejections`) and the counts added up, one trial at a time
(a batch of one) or on as many Dask workers as a design grid likes, with the same answer
(``tests/design/test_batched.py``, ``tests/design/test_grid.py``).

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

from autoserum.design._simulation import SimulatedPower
from autoserum.design._trial_tests import trial_p_values
from autoserum.errors import Expected, ValidationError
from autoserum.protocols import load_protocol
from autoserum.simulate import EndpointTrials, Scenario, get_scenario, simulate_endpoints

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

#: trials simulated and analysed together, and the most subjects (of all of them) in a batch
_BATCH = 250
_BATCH_SUBJECTS = 60_000


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
        raise ValidationError("effect_scale", effect_scale, Expected("a multiplier >= 0"))
    if dropout_scale < 0 or not math.isfinite(dropout_scale):
        raise ValidationError("dropout_scale", dropout_scale, Expected("a multiplier >= 0"))
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


def _checked(
    protocol_code: str, test: str, endpoint: str, week: float, probe: EndpointTrials
) -> str:
    """The control arm's code, after checking the test, endpoint and week fit the protocol."""
    protocol = load_protocol(protocol_code)
    kind = "single_arm" if protocol.design == "single_arm" else "parallel"
    if protocol.design not in ("single_arm", "parallel"):
        raise ValidationError(
            "protocol", protocol_code, Expected("a single-arm or parallel protocol")
        )
    if test not in PROTOCOL_TESTS[kind]:
        raise ValidationError(
            "test",
            test,
            Expected(
                "one of %(values)s (%(kind)s)", values=", ".join(PROTOCOL_TESTS[kind]), kind=kind
            ),
        )
    if probe.dtype is None or np.isnan(probe.values[0]).all():
        raise ValidationError(
            "endpoint",
            endpoint,
            Expected(
                "an instrument total measured in %(protocol_code)s", protocol_code=protocol_code
            ),
        )
    if np.count_nonzero(probe.weeks == 0) != 1:
        raise ValidationError(
            "protocol", protocol_code, Expected("a protocol with one visit at week 0")
        )
    weeks = sorted({float(w) for w in probe.weeks if w > 0})
    if week not in weeks:
        raise ValidationError(
            "week",
            week,
            Expected(
                "a post-baseline week of %(protocol_code)s: %(weeks)s",
                protocol_code=protocol_code,
                weeks=weeks,
            ),
        )
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
        raise ValidationError("reps", reps, Expected("an integer >= 1"))
    if not 0 < sig_level < 1:
        raise ValidationError("sig_level", sig_level, Expected("a number strictly between 0 and 1"))
    if isinstance(n_subjects, bool) or not isinstance(n_subjects, int) or n_subjects < 2:
        raise ValidationError("n_subjects", n_subjects, Expected("an integer >= 2"))
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError("seed", seed, Expected("a non-negative integer"))
    scenario = _scenario(protocol_code, effect_scale, dropout_scale)
    rejections = failures = 0
    control = ""
    size = max(1, min(_BATCH, _BATCH_SUBJECTS // n_subjects))
    for start in range(0, reps, size):
        seeds = range(seed + start, seed + min(reps, start + size))
        trials = simulate_endpoints(scenario, n_subjects, seeds, endpoint)
        if start == 0:
            control = _checked(protocol_code, test, endpoint, week, trials)
        p_values = trial_p_values(test, trials, week=float(week), control=control)
        finite = np.isfinite(p_values)
        rejections += int(np.count_nonzero(p_values[finite] < sig_level))
        failures += int(np.count_nonzero(~finite))
        if progress is not None:
            progress(len(seeds))
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
        raise ValidationError("reps", reps, Expected("an integer >= 10 replicates"))
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
