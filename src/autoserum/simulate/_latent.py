"""The latent disease course: subject-level severity, fluctuation, drift, placebo and treatment.

The latent state of subject *i* on study day *t* is a log activity

    z_i(t) = m_i + e_i(t) + drift·(t − t_0)/7 − (P + E_i) · f(t)

with m_i ~ N(mu, sigma) the subject's usual severity, e_i an Ornstein-Uhlenbeck process
(stationary SD ``fluctuation_sd``, correlation exp(−|Δt| / ``fluctuation_days``)), P the
placebo (non-specific) response of every injected arm, E_i the subject's specific treatment
effect and f(t) the time course of the effect: it builds from the first injection with time
constant ``onset_days`` until ``effect_lag_days`` after the last injection, then fades with
half-life ``offset_half_life_days`` towards the fraction ``persistence`` of its peak. The
activity a = exp(z) drives every item (see ``_items``).

Reference: Ornstein-Uhlenbeck exact discretisation, e.g. Gillespie, Phys Rev E 1996;54:2084.

>>> import numpy as np
>>> from autoserum.simulate._model import Course
>>> float(effect_fraction(np.array([0.0]), (0, 7), Course())[0])
0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from autoserum.simulate._model import ArmSpec, Course, Population, Scenario
from autoserum.simulate._streams import Draws, Streams

__all__ = [
    "Subjects",
    "draw_subjects",
    "effect_fraction",
    "ou_step",
    "subject_effects",
    "symptom_effects",
]

FloatArray = NDArray[np.float64]
N_REGIONS = 4


@dataclass(frozen=True)
class Subjects:
    """Subject-level draws, one entry per subject (``rho`` is subjects × 4 EASI regions)."""

    age: FloatArray
    female: NDArray[np.bool_]
    usual: FloatArray
    rho: FloatArray
    extent: FloatArray
    itch: FloatArray
    qol: FloatArray
    eos: FloatArray
    ige: FloatArray
    il10: FloatArray
    ifng: FloatArray
    treg: FloatArray

    def take(self, index: NDArray[np.int64]) -> Subjects:
        """The subset (or reordering) of subjects at ``index``."""
        return Subjects(**{name: getattr(self, name)[index] for name in self.__dataclass_fields__})


def _truncated_normal(
    rng: Draws, n: int, mean: float, sd: float, low: float, high: float
) -> FloatArray:
    """Normal draws restricted to [low, high] by rejection (vectorised, a few passes)."""
    if sd == 0:
        return np.full(n, mean)
    out = rng.normal(mean, sd, n)
    bad = (out < low) | (out > high)
    while bad.any():  # each trial of a batch redraws its own rows from its own stream
        again = rng.where(bad) if isinstance(rng, Streams) else rng
        out[bad] = again.normal(mean, sd, int(bad.sum()))
        bad = (out < low) | (out > high)
    return out


def draw_subjects(rng: Draws, n: int, scenario: Scenario) -> Subjects:
    """Draw ``n`` candidate subjects of the scenario's population."""
    pop: Population = scenario.population
    labs = scenario.labs
    age = np.floor(
        _truncated_normal(rng, n, pop.age_mean, pop.age_sd, pop.age_min, pop.age_max + 0.999)
    )
    female = rng.random(n) < pop.female_fraction
    usual = rng.normal(pop.severity_mean, pop.severity_sd, n)
    deviation = usual - pop.severity_mean
    rho = np.exp(rng.normal(0.0, pop.region_sd, (n, N_REGIONS)))
    extent = np.exp(rng.normal(0.0, pop.extent_sd, n))
    itch = np.exp(rng.normal(0.0, pop.itch_sd, n))
    qol = np.exp(rng.normal(0.0, pop.qol_sd, n))
    # Labs: log-normal, correlated with the subject's usual severity.
    eos = labs.eos_log_mean + labs.eos_severity_slope * deviation
    eos = eos + rng.normal(0.0, labs.eos_log_sd, n)
    ige = labs.ige_log_mean + labs.ige_severity_slope * deviation
    ige = ige + rng.normal(0.0, labs.ige_log_sd, n)
    il10 = rng.normal(labs.il10_log_mean, labs.il10_log_sd, n)
    ifng = rng.normal(labs.ifng_log_mean, labs.ifng_log_sd, n)
    treg = rng.normal(labs.treg_log_mean, labs.treg_log_sd, n)
    return Subjects(age, female, usual, rho, extent, itch, qol, eos, ige, il10, ifng, treg)


def subject_effects(
    rng: Draws,
    arms: tuple[ArmSpec, ...],
    arm_index: NDArray[np.int64],
    subjects: Subjects,
    scenario: Scenario,
) -> FloatArray:
    """Each subject's specific effect E_i (log scale), with the scenario's effect modifiers.

    Older subjects and subjects with lower eosinophils respond better when the modifiers are
    set (the ASIM pilot's EASI-50 responders, Choi 2024). Control arms (effect 0) get none.
    """
    course = scenario.course
    mean = np.array([arm.effect for arm in arms])[arm_index]
    sd = np.array([arm.effect_sd for arm in arms])[arm_index]
    effect = mean + sd * rng.standard_normal(arm_index.shape[0])
    modifier = course.age_modifier_per_decade * (subjects.age - scenario.population.age_mean) / 10
    modifier = modifier - course.eosinophil_modifier * (subjects.eos - scenario.labs.eos_log_mean)
    return np.where(mean != 0, effect + modifier, 0.0)


def symptom_effects(
    rng: Draws, arms: tuple[ArmSpec, ...], arm_index: NDArray[np.int64]
) -> FloatArray:
    """Each subject's extra effect on symptoms (log scale; 0 where the arm has none)."""
    mean = np.array([arm.symptom_effect for arm in arms])[arm_index]
    sd = np.array([arm.effect_sd for arm in arms])[arm_index]
    return np.where(mean != 0, mean + sd * rng.standard_normal(arm_index.shape[0]), 0.0)


def effect_fraction(
    days: FloatArray, injection_days: tuple[int, ...], course: Course
) -> FloatArray:
    """Time course f(t) in [0, 1] of the placebo and treatment effects on study day ``days``."""
    if not injection_days:
        return np.zeros_like(days, dtype=np.float64)
    first = float(min(injection_days))
    end = float(max(injection_days)) + course.effect_lag_days
    since = np.clip(days - first, 0.0, None)
    building = 1.0 - np.exp(-np.minimum(since, end - first) / course.onset_days)
    after = np.clip(days - end, 0.0, None)
    fade = course.persistence + (1.0 - course.persistence) * np.exp2(
        -after / course.offset_half_life_days
    )
    return np.where(days < first, 0.0, building * fade)


def ou_step(rng: Draws, state: FloatArray, dt_days: FloatArray, course: Course) -> FloatArray:
    """Advance the Ornstein-Uhlenbeck fluctuation by ``dt_days`` (exact discretisation)."""
    phi = np.exp(-np.abs(dt_days) / course.fluctuation_days)
    noise = rng.standard_normal(state.shape[0])
    return phi * state + course.fluctuation_sd * np.sqrt(1.0 - phi * phi) * noise
