"""Synthetic subject history of a simulated study (pure core): demographics beyond age and sex,
the age at onset of atopic dermatitis, atopic comorbidities and previous systemic treatments,
plausible and within the rules of :mod:`autoserum.study.history`.

Per subject, drawn once from its own seeded stream: ethnicity and race among the categories
given (by default weighted towards ``NOT HISPANIC OR LATINO`` and ``ASIAN``, as in the Korean
trials of the library; any category the caller declares can occur), the Fitzpatrick type
(III 45 %, IV 30 %, II 15 %, V 7 %, I and VI 3 %), the age at onset (60 % in the first five
years of life, 25 % from 5 to 18, the rest later, never above the age), each atopic comorbidity
with its own probability (asthma 30 %, allergic rhinitis 45 %, allergic conjunctivitis 20 %,
food allergy 15 %), and up to two previous systemic treatments (none for 55 %) from the shipped
drug list (:data:`autoserum.study.medication.DRUGS`), started after the onset and ended by the
year before the study. The numbers are synthetic: nothing is calibrated to a published cohort;
they exist so that a demo study shows a subject's history and the report's baseline table.

>>> import polars as pl
>>> subjects = pl.DataFrame({"subject_id": ["A", "B"], "age": [30.0, 8.0]})
>>> history = simulate_history(subjects, seed=1, year=2026)
>>> history.subjects.columns
['subject_id', 'ethnicity', 'race', 'fitzpatrick', 'ad_onset_age']
>>> bool((history.subjects["ad_onset_age"].cast(pl.Float64) <= subjects["age"]).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl

from autoserum.study.history import (
    DEFAULT_ETHNICITIES,
    DEFAULT_RACES,
    FITZPATRICK_TYPES,
    RESPONSES,
)
from autoserum.study.medication import DRUGS

__all__ = ["SimulatedHistory", "simulate_history"]

_ETHNICITY_WEIGHTS = {"NOT HISPANIC OR LATINO": 0.95, "NOT REPORTED": 0.05}
_RACE_WEIGHTS = {"ASIAN": 0.88, "WHITE": 0.06, "OTHER": 0.03, "NOT REPORTED": 0.03}
_FITZPATRICK_WEIGHTS = (0.015, 0.15, 0.45, 0.30, 0.07, 0.015)
_COMORBIDITY_RISK = {
    "asthma": 0.30,
    "allergic_rhinitis": 0.45,
    "allergic_conjunctivitis": 0.20,
    "food_allergy": 0.15,
}
_SYSTEMIC = tuple(
    d for d in DRUGS if d.drug_class in ("systemic_corticosteroid", "systemic_immunosuppressant",
                                          "biologic", "jak_inhibitor")
)  # fmt: skip
_RESPONSE_WEIGHTS = (0.2, 0.45, 0.25, 0.1)  # none, partial, good, unknown
_REASONS = ("lack_of_efficacy", "loss_of_response", "adverse_event", "course_completed")


@dataclass(frozen=True)
class SimulatedHistory:
    """The history of the simulated subjects: one row per subject (demographics and age at
    onset), one per atopic comorbidity, one per previous systemic treatment."""

    subjects: pl.DataFrame
    comorbidities: pl.DataFrame
    prior_treatments: pl.DataFrame


def _weights(categories: Sequence[str], preferred: dict[str, float]) -> np.ndarray:
    """Weights over ``categories``: the preferred ones as given, a small share for the rest."""
    raw = np.array([preferred.get(c, 0.01) for c in categories], dtype=float)
    out: np.ndarray = raw / raw.sum()
    return out


def _onset(rng: np.random.Generator, age: float) -> Decimal:
    band = rng.random()
    if band < 0.60:
        onset = rng.uniform(0.3, 5)
    elif band < 0.85:
        onset = rng.uniform(5, 18)
    else:
        onset = rng.uniform(18, 40)
    return Decimal(str(round(min(onset, max(age, 0.0)), 1)))


def simulate_history(
    subjects: pl.DataFrame,
    *,
    seed: int,
    year: int,
    ethnicities: Sequence[str] = DEFAULT_ETHNICITIES,
    races: Sequence[str] = DEFAULT_RACES,
) -> SimulatedHistory:
    """The history of each subject of ``subjects`` (columns ``subject_id`` and ``age`` in
    years; one row per subject), ``year`` the calendar year the study starts (treatments end
    before it). Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    eth_p, race_p = _weights(ethnicities, _ETHNICITY_WEIGHTS), _weights(races, _RACE_WEIGHTS)
    people, conditions, treatments = [], [], []
    for subject_id, age in subjects.select("subject_id", "age").iter_rows():
        years = float(age) if age is not None else 30.0
        onset = _onset(rng, years)
        people.append({
            "subject_id": subject_id,
            "ethnicity": str(rng.choice(list(ethnicities), p=eth_p)),
            "race": str(rng.choice(list(races), p=race_p)),
            "fitzpatrick": str(rng.choice(FITZPATRICK_TYPES, p=_FITZPATRICK_WEIGHTS)),
            "ad_onset_age": str(onset),
        })  # fmt: skip
        for condition, risk in _COMORBIDITY_RISK.items():
            if rng.random() < risk:
                at = Decimal(str(round(rng.uniform(0.5, max(years, 1.0)), 1)))
                conditions.append({
                    "subject_id": subject_id, "condition": condition,
                    "onset_age": str(min(at, Decimal(str(years)))),
                    "ongoing": bool(rng.random() < 0.7),
                })  # fmt: skip
        first = year - int(years - float(onset))  # the first calendar year with AD
        count = int(rng.choice((0, 1, 2), p=(0.55, 0.30, 0.15)))
        for _ in range(count if first < year else 0):
            drug = _SYSTEMIC[int(rng.integers(len(_SYSTEMIC)))]
            start = int(rng.integers(max(first, year - 15), year))
            treatments.append({
                "subject_id": subject_id, "drug": drug.name, "atc_code": drug.atc,
                "start_year": start, "end_year": int(rng.integers(start, year)),
                "response": str(rng.choice(RESPONSES, p=_RESPONSE_WEIGHTS)),
                "stop_reason": str(rng.choice(_REASONS)),
            })  # fmt: skip
    return SimulatedHistory(
        subjects=pl.DataFrame(
            people,
            schema={
                "subject_id": pl.String,
                "ethnicity": pl.String,
                "race": pl.String,
                "fitzpatrick": pl.String,
                "ad_onset_age": pl.String,
            },
            orient="row",
        ),
        comorbidities=pl.DataFrame(
            conditions,
            schema={
                "subject_id": pl.String,
                "condition": pl.String,
                "onset_age": pl.String,
                "ongoing": pl.Boolean,
            },
            orient="row",
        ),
        prior_treatments=pl.DataFrame(
            treatments,
            schema={
                "subject_id": pl.String,
                "drug": pl.String,
                "atc_code": pl.String,
                "start_year": pl.Int64,
                "end_year": pl.Int64,
                "response": pl.String,
                "stop_reason": pl.String,
            },
            orient="row",
        ),
    )
