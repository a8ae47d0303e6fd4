"""The parameters of the generative model, as frozen dataclasses.

A :class:`Scenario` holds every number the generator uses for one protocol: the population,
the disease course (latent severity, fluctuation, drift, placebo response, treatment effect),
dropouts, adverse events, rescue medication, labs, eligibility, the visit plan and the
published targets the scenario reproduces. Every numeric leaf has a provenance string in
:attr:`Scenario.sources` (``"assumption: ..."`` when no source gives the value);
``parameter_table()`` lists them and ``docs/simulate.md`` is generated from it.

Reference: the model is described in ``docs/simulate.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AdverseEvents",
    "ArmSpec",
    "Course",
    "Dropout",
    "Eligibility",
    "ItemModel",
    "Labs",
    "Population",
    "Rescue",
    "Scenario",
    "Target",
    "Threshold",
    "VisitSpec",
    "numeric_leaves",
    "replace_parameter",
]


@dataclass(frozen=True)
class VisitSpec:
    """One planned visit: code, target study day (day 0 = first injection) and window (days).

    >>> VisitSpec("week_4", 28, 3, 3, ("easi",)).week
    4.0
    """

    code: str
    day: int
    window_before: int
    window_after: int
    instruments: tuple[str, ...]
    labs: tuple[str, ...] = ()

    @property
    def week(self) -> float:
        """Nominal week of the visit (day / 7)."""
        return self.day / 7


@dataclass(frozen=True)
class ArmSpec:
    """The effects of one arm of the protocol (product and ratio come from the protocol).

    ``effect``: specific reduction of the latent log activity (signs, extent and symptoms);
    ``symptom_effect``: an extra reduction seen only by symptoms and quality of life (itch,
    sleep, POEM, DLQI, patient ratings), for products that help symptoms more than signs.
    """

    code: str
    effect: float
    effect_sd: float
    exacerbation_risk: float
    il10_effect: float = 0.0
    ifng_effect: float = 0.0
    ige_effect: float = 0.0
    treg_effect: float = 0.0
    symptom_effect: float = 0.0


@dataclass(frozen=True)
class Population:
    """Who is screened: age, sex, and the subject-level latent severity and its facets."""

    age_mean: float
    age_sd: float
    age_min: float
    age_max: float
    female_fraction: float
    severity_mean: float
    severity_sd: float
    region_sd: float = 0.35
    extent_sd: float = 0.3
    itch_sd: float = 0.3
    qol_sd: float = 0.35


@dataclass(frozen=True)
class Course:
    """The disease course on the log scale of the latent activity."""

    fluctuation_sd: float = 0.3
    fluctuation_days: float = 10.0
    drift_per_week: float = 0.0
    placebo_effect: float = 0.0
    onset_days: float = 14.0
    effect_lag_days: float = 7.0
    offset_half_life_days: float = 56.0
    persistence: float = 0.0
    age_modifier_per_decade: float = 0.0
    eosinophil_modifier: float = 0.0


@dataclass(frozen=True)
class Dropout:
    """Withdrawal: a weekly hazard, informative through worsening, and run-in losses."""

    hazard_per_week: float = 0.01
    informative_log_hr: float = 1.0
    run_in_loss: float = 0.0


@dataclass(frozen=True)
class AdverseEvents:
    """Adverse-event rates: per injection at the injection site, per week for the others; the
    serious adverse events (ICH E2A) per subject-year from day 0, and how their 24-hour
    reporting went (late, not yet reported) and how many are still ongoing."""

    injection_site_pain: float = 0.08
    injection_site_bruising: float = 0.04
    other_per_week: float = 0.01
    severe_fraction: float = 0.0
    serious_per_year: float = 0.15
    serious_reported_late: float = 0.15
    serious_unreported: float = 0.1
    serious_ongoing: float = 0.15


@dataclass(frozen=True)
class Rescue:
    """Concomitant and rescue medication: a weekly hazard of starting rescue topical steroids,
    raised by worsening since entry (so more in placebo and in worse subjects), the course
    length and weekly amount of a rescue, and a background antihistamine."""

    rate_per_week: float = 0.03
    worsening_log_hr: float = 2.0
    course_days: float = 10.0
    grams_log_mean: float = 2.7
    grams_log_sd: float = 0.5
    ftu_fraction: float = 0.3
    antihistamine_fraction: float = 0.2


@dataclass(frozen=True)
class Labs:
    """Log-normal labs tied to the subject's severity."""

    ige_log_mean: float = 6.0
    ige_log_sd: float = 1.2
    ige_severity_slope: float = 1.0
    ige_visit_sd: float = 0.12
    ige_upper_normal: float = 100.0
    eos_log_mean: float = -1.05
    eos_log_sd: float = 0.55
    eos_severity_slope: float = 0.5
    eos_visit_sd: float = 0.2
    leukocytes_log_mean: float = 1.9
    leukocytes_log_sd: float = 0.25
    treg_log_mean: float = 0.5
    treg_log_sd: float = 0.4
    il10_log_mean: float = 1.6
    il10_log_sd: float = 0.5
    ifng_log_mean: float = 2.3
    ifng_log_sd: float = 0.6
    cytokine_visit_sd: float = 0.2


@dataclass(frozen=True)
class ItemModel:
    """How items are drawn from the latent activity (shared by every scenario)."""

    sign_noise_sd: float = 0.3
    area_scale: float = 0.5
    area_power: float = 1.3
    area_noise_sd: float = 0.25
    itch_scale: float = 0.55
    itch_noise_sd: float = 0.9
    sleep_scale: float = 0.35
    sleep_noise_sd: float = 1.1
    nrs_noise_sd: float = 0.8
    poem_scale: float = 0.6
    poem_noise_sd: float = 1.0
    dlqi_scale: float = 1.2
    dlqi_noise_sd: float = 0.55
    dlqi_not_relevant: float = 0.15
    iga_noise_sd: float = 0.2


@dataclass(frozen=True)
class Threshold:
    """An inclusion threshold on an observed column (instrument total or item)."""

    column: str
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Eligibility:
    """Thresholds the scenario assumes where the protocol publishes none.

    They are applied, with the protocol's own evaluable rules, to the observed (noisy) values
    at the protocol's first visit.
    """

    thresholds: tuple[Threshold, ...] = ()


@dataclass(frozen=True)
class Target:
    """A published result the scenario reproduces; the calibration tests check it.

    statistic: ``mean_pct_change`` (mean of per-subject % change from baseline, completers),
    ``mean_change_difference`` (reduction in the arm minus reduction in ``control``),
    ``dropout`` (fraction of treated subjects without the ``week`` visit),
    ``correlation`` / ``spearman`` (``column`` vs ``other`` over all rows),
    ``not_treated`` (fraction never injected), ``proportion_at_most`` (fraction of the arm at
    ``week`` with ``column`` <= ``float(other)``).
    """

    name: str
    statistic: str
    column: str
    arm: str
    week: float
    value: float
    tolerance: float
    source: str
    control: str = ""
    other: str = ""


@dataclass(frozen=True)
class Scenario:
    """Everything the generator needs for one protocol, with the provenance of every value."""

    code: str
    arms: tuple[ArmSpec, ...]
    sites: tuple[str, ...]
    eligibility: Eligibility
    population: Population
    course: Course
    dropout: Dropout
    adverse: AdverseEvents
    labs: Labs = field(default_factory=Labs)
    items: ItemModel = field(default_factory=ItemModel)
    rescue: Rescue = field(default_factory=Rescue)
    targets: tuple[Target, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    start_date: str = (
        "2024-01-08"  # every simulated visit date lies in the past (import refuses future dates)
    )
    recruitment_days: int = 365

    def arm(self, code: str) -> ArmSpec:
        """The arm with this code."""
        for arm in self.arms:
            if arm.code == code:
                return arm
        raise KeyError(code)


def numeric_leaves(obj: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    """Yield ``(path, value)`` for every number in a (nested) parameter dataclass.

    Arms are addressed by code (``arms.serum.effect``), visits and targets are not parameters.

    >>> dict(numeric_leaves(Dropout()))["hazard_per_week"]
    0.01
    """
    if isinstance(obj, bool):
        return
    if isinstance(obj, int | float):
        yield prefix, float(obj)
        return
    if isinstance(obj, tuple):
        for element in obj:
            key = getattr(element, "code", None) or getattr(element, "column", None)
            yield from numeric_leaves(element, f"{prefix}.{key}" if prefix else str(key))
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for fld in dataclasses.fields(obj):
            if fld.name in {"visits", "targets", "sources", "injection_days", "code"}:
                continue
            value = getattr(obj, fld.name)
            yield from numeric_leaves(value, f"{prefix}.{fld.name}" if prefix else fld.name)


def replace_parameter(obj: Any, path: str, value: float) -> Any:
    """A copy of a (nested) parameter dataclass with the numeric leaf at ``path`` replaced.

    Paths are those of :func:`numeric_leaves`; arms are addressed by code.

    >>> replace_parameter(Dropout(), "hazard_per_week", 0.5).hazard_per_week
    0.5
    """
    head, _, rest = path.partition(".")
    if isinstance(obj, tuple):
        return tuple(
            replace_parameter(el, rest, value) if getattr(el, "code", None) == head else el
            for el in obj
        )
    if not rest:
        return dataclasses.replace(obj, **{head: value})
    return dataclasses.replace(obj, **{head: replace_parameter(getattr(obj, head), rest, value)})
