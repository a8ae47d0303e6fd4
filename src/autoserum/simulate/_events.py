"""Arm allocation, adverse events: the subject-level events of a simulated study.

Allocation uses permuted blocks (two copies of the allocation ratio per block) in order of
enrolment. Adverse events: injection-site pain and bruising per injection received, the
protocol's flare risk (``atopic dermatitis exacerbation``) per treated subject, and other
events (headache, nasopharyngitis, fatigue) at a weekly rate over the time in the study; none
of them serious, each with its end after a duration typical of it (:data:`DURATION_DAYS`) or
ongoing at the subject's last day. **Serious** adverse events (ICH E2A) come at a rate per
subject-year from day 0 (``AdverseEvents.serious_per_year``), each one of
:data:`SERIOUS_EVENTS` with its seriousness criteria, relatedness to the product and to the
injection procedure and action taken (an injection-site infection only after an injection
received); each also gets what its 24-hour
clock and follow-up need: when the site became aware (0-2 days after onset, in working hours),
when it was reported (within 24 hours, late, or not yet), and when it ended (or ongoing).
Injection-site events are caused by the injection procedure; expectedness and special
interest follow from the protocol's safety information (``simulate/_study.py``), as the store
derives them.

Reference: the adverse-event file of ``docs/data-format.md``.

>>> import numpy as np
>>> arms = permuted_blocks(np.random.default_rng(1), 8, (1, 1))
>>> int((arms == 0).sum())
4
>>> [e.term for e in SERIOUS_EVENTS][:2]
['injection site cellulitis', 'eczema herpeticum']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from autoserum.simulate._model import AdverseEvents, Scenario
from autoserum.study.safety import SERIOUSNESS_CRITERIA as CRITERIA
from autoserum.study.tidy import AE_SCHEMA

__all__ = [
    "AE_SCHEMA",
    "DURATION_DAYS",
    "SERIOUS_EVENTS",
    "SeriousEvent",
    "adverse_events",
    "permuted_blocks",
]

OTHER_TERMS = ("headache", "nasopharyngitis", "fatigue")


@dataclass(frozen=True)
class SeriousEvent:
    """A serious adverse event a simulated subject may have, as the site records it."""

    term: str
    #: relative frequency among the serious events
    weight: float
    #: ICH E2A seriousness criteria (``autoserum.study.safety.SERIOUSNESS_CRITERIA``)
    criteria: tuple[str, ...]
    #: WHO-UMC relatedness to the product and to the injection procedure
    related: str
    related_procedure: str
    #: action taken with the study treatment (SDTM AEACN; ``not_applicable`` without one)
    action_taken: str
    #: the site's narrative (synthetic)
    narrative: str
    #: only after an injection received (an injection-site infection)
    after_injection: bool = False


#: The serious events of the simulation (assumption: the hazards of repeated intramuscular
#: injections of autologous material in AD, and an unrelated admission; weights assumed).
SERIOUS_EVENTS: tuple[SeriousEvent, ...] = (
    SeriousEvent(
        "injection site cellulitis", 0.3, ("hospitalisation",), "possible", "probable",
        "drug_interrupted", "Admitted for intravenous antibiotics after an injection "
        "(synthetic).", after_injection=True,
    ),
    SeriousEvent(
        "eczema herpeticum", 0.2, ("hospitalisation", "important_medical_event"), "unlikely",
        "not_related", "drug_interrupted", "Admitted for intravenous aciclovir (synthetic).",
    ),
    SeriousEvent(
        "atopic dermatitis exacerbation", 0.3, ("hospitalisation",), "unlikely", "not_related",
        "dose_not_changed", "Admitted for a generalised flare; wet wraps and topical steroids "
        "(synthetic).",
    ),
    SeriousEvent(
        "appendicitis", 0.2, ("hospitalisation",), "not_related", "not_related",
        "dose_not_changed", "Admitted for appendicectomy (synthetic).",
    ),
)  # fmt: skip


def permuted_blocks(rng: np.random.Generator, n: int, ratios: tuple[int, ...]) -> NDArray[np.int64]:
    """Arm index of ``n`` subjects by permuted blocks of twice the ratio sum."""
    base = np.repeat(np.arange(len(ratios)), [2 * r for r in ratios])
    n_blocks = -(-n // base.size)
    order = np.argsort(rng.random((n_blocks, base.size)), axis=1)
    allocation: NDArray[np.int64] = base[order].reshape(-1)[:n].astype(np.int64)
    return allocation


def _frame(
    subject: NDArray[np.int64],
    term: list[str] | NDArray[np.str_],
    day: NDArray[np.float64],
    severity: NDArray[np.str_],
    related: str | NDArray[np.str_],
) -> pl.DataFrame:
    n = subject.shape[0]
    return pl.DataFrame(
        {
            "subject": subject,
            "term": np.broadcast_to(np.asarray(term, dtype=object), (n,)),
            "onset_week": np.round(day / 7.0, 2),
            "severity": severity,
            "related": np.broadcast_to(np.asarray(related, dtype=object), (n,)),
            "onset_day": day,
        },
        schema_overrides={
            "term": pl.String, "severity": pl.String, "related": pl.String,
            "onset_day": pl.Float64,
        },
    )  # fmt: skip


def adverse_events(
    rng: np.random.Generator,
    scenario: Scenario,
    arm_products: tuple[str, ...],
    injection_days: tuple[int, ...],
    arm_index: NDArray[np.int64],
    *,
    first_day: NDArray[np.float64],
    last_day: NDArray[np.float64],
    serious_from: float = 0.0,
) -> pl.DataFrame:
    """Adverse events of the subjects: columns ``subject`` (index), term, onset_week, ...

    ``first_day``/``last_day``: each subject's first and last day in the study; injections at
    or before ``last_day`` count as received (a subject withdrawn before day 0 received none).
    Serious events start on or after day ``serious_from`` (after the screening visit) and carry
    the clock columns of :func:`_serious` (empty for the others).
    """
    n = arm_index.shape[0]
    products = np.array(arm_products)[arm_index]
    injected = products != "none"
    ae = scenario.adverse
    frames: list[pl.DataFrame] = []

    def severity(k: int) -> NDArray[np.str_]:
        severe = rng.random(k) < ae.severe_fraction
        moderate = rng.random(k) < 0.2
        return np.where(severe, "severe", np.where(moderate, "moderate", "mild"))

    days = np.array(injection_days, dtype=np.float64)
    if days.size:
        received = injected[:, None] & (days[None, :] <= last_day[:, None])
        for term, p in (
            ("injection site pain", ae.injection_site_pain),
            ("injection site bruising", ae.injection_site_bruising),
        ):
            hit = received & (rng.random(received.shape) < p)
            subj, inj = np.nonzero(hit)
            frames.append(_frame(subj, [term], days[inj], np.full(subj.size, "mild"), "definite"))
    treated = injected & (last_day >= 0)
    risk = np.array([arm.exacerbation_risk for arm in scenario.arms])[arm_index]
    flare = treated & (rng.random(n) < risk)
    subj = np.nonzero(flare)[0]
    onset = np.floor(rng.random(subj.size) * (last_day[subj] + 1))
    frames.append(
        _frame(subj, ["atopic dermatitis exacerbation"], onset, severity(subj.size), "unlikely")
    )
    span = np.clip(last_day - first_day, 0.0, None)
    count = rng.poisson(ae.other_per_week * span / 7.0)
    subj = np.repeat(np.arange(n), count)
    onset = first_day[subj] + np.floor(rng.random(subj.size) * (span[subj] + 1))
    other = np.array(OTHER_TERMS)[rng.integers(0, len(OTHER_TERMS), subj.size)]
    causality = np.where(rng.random(subj.size) < 0.7, "not_related", "unlikely")
    frames.append(_frame(subj, other, onset, severity(subj.size), causality))
    out = pl.concat(frames)
    local = pl.col("term").str.starts_with("injection site")
    out = out.with_columns(
        serious=pl.lit(False),
        **{f"sae_{c}": pl.lit(False) for c in CRITERIA},
        related_procedure=pl.when(local).then(pl.lit("definite")).otherwise(pl.lit("not_related")),
        action_taken=pl.Series(
            np.where(injected[out["subject"].to_numpy()], "dose_not_changed", "not_applicable"),
            dtype=pl.String,
        ),
    )
    serious = _serious(rng, ae, injected, days, last_day, serious_from=serious_from)
    out = _ended(rng, out, last_day)
    return pl.concat([out, serious], how="diagonal").sort(
        "subject", "onset_week", "term", maintain_order=True
    )


#: How long a non-serious event lasts, in whole days from its onset (assumption: the usual
#: course of each; an event still going on at the subject's last day in the study is ongoing).
DURATION_DAYS: dict[str, tuple[int, int]] = {
    "injection site pain": (1, 3),
    "injection site bruising": (3, 10),
    "atopic dermatitis exacerbation": (7, 28),
    "headache": (1, 2),
    "nasopharyngitis": (5, 10),
    "fatigue": (2, 7),
}


def _ended(
    rng: np.random.Generator, out: pl.DataFrame, last_day: NDArray[np.float64]
) -> pl.DataFrame:
    """The end of each non-serious event (``end_days`` after its onset, :data:`DURATION_DAYS`)
    and its outcome: ``recovered`` with its end date, or ``recovering`` with none while it
    still goes on at the subject's last day in the study (drawn after the serious events, so
    adding it changed no earlier draw)."""
    terms = out["term"].to_list()
    low = np.array([DURATION_DAYS[t][0] for t in terms], dtype=np.float64)
    high = np.array([DURATION_DAYS[t][1] for t in terms], dtype=np.float64)
    length = low + np.floor(rng.random(len(terms)) * (high - low + 1))
    onset = out["onset_day"].to_numpy()
    ongoing = onset + length > last_day[out["subject"].to_numpy()]
    return out.with_columns(
        end_days=pl.Series(np.where(ongoing, np.nan, length), nan_to_null=True),
        outcome=pl.Series(np.where(ongoing, "recovering", "recovered"), dtype=pl.String),
    )


def _serious(
    rng: np.random.Generator,
    ae: AdverseEvents,
    injected: NDArray[np.bool_],
    days: NDArray[np.float64],
    last_day: NDArray[np.float64],
    *,
    serious_from: float,
) -> pl.DataFrame:
    """The serious events: Poisson at ``serious_per_year`` over each subject's days from
    ``serious_from`` to ``last_day``, with their clock and follow-up (hours from the onset day's
    midnight to awareness, hours from awareness to the report, days from onset to the end)."""
    span = np.clip(last_day - serious_from, 0.0, None)
    days_at_risk = np.where(last_day >= serious_from, span + 1, 0)
    count = rng.poisson(ae.serious_per_year * days_at_risk / 365.25)
    subj = np.repeat(np.arange(last_day.shape[0]), count)
    k = subj.size
    onset = serious_from + np.floor(rng.random(k) * (span[subj] + 1))
    weights = np.array([e.weight for e in SERIOUS_EVENTS])
    pick = rng.choice(len(SERIOUS_EVENTS), size=k, p=weights / weights.sum())
    systemic = np.array([not e.after_injection for e in SERIOUS_EVENTS])
    fallback = rng.choice(
        np.nonzero(systemic)[0], size=k, p=weights[systemic] / weights[systemic].sum()
    )
    after = injected[subj] & (days.size > 0) & (onset > (days.min() if days.size else 0.0))
    pick = np.where(systemic[pick] | after, pick, fallback)
    # an injection-site infection starts 1-3 days after the last injection before the draw
    lag = 1.0 + np.floor(rng.random(k) * 3)
    if days.size:
        before = days[np.clip(np.searchsorted(days, onset, side="right") - 1, 0, None)]
        onset = np.where(systemic[pick], onset, before + lag)
    severity = np.where(rng.random(k) < 0.7, "severe", "moderate")
    aware_hours = 24.0 * np.floor(rng.random(k) * 3) + 8.0 + np.round(rng.random(k) * 10.0, 2)
    u = rng.random(k)
    late = 25.0 + np.round(rng.random(k) * 47.0, 2)
    in_time = 1.0 + np.round(rng.random(k) * 20.0, 2)
    report_hours = np.where(
        u < ae.serious_unreported,
        np.nan,
        np.where(u < ae.serious_unreported + ae.serious_reported_late, late, in_time),
    )
    ongoing = rng.random(k) < ae.serious_ongoing
    end_days = np.where(ongoing, np.nan, 3.0 + np.floor(rng.random(k) * 18))
    events = [SERIOUS_EVENTS[i] for i in pick]
    action = np.array([e.action_taken for e in events], dtype=object)
    return pl.DataFrame(
        {
            "subject": subj.astype(np.int64),
            "term": [e.term for e in events],
            "onset_week": np.round(onset / 7.0, 2),
            "severity": severity,
            "related": [e.related for e in events],
            "serious": np.ones(k, dtype=bool),
            **{f"sae_{c}": [c in e.criteria for e in events] for c in CRITERIA},
            "related_procedure": [e.related_procedure for e in events],
            "action_taken": np.where(injected[subj], action, "not_applicable"),
            "outcome": np.where(ongoing, "recovering", "recovered"),
            "onset_day": onset,
            "aware_hours": aware_hours,
            "report_hours": report_hours,
            "end_days": end_days,
            "narrative": [e.narrative for e in events],
        },
        schema_overrides={
            "term": pl.String, "severity": pl.String, "related": pl.String,
            "related_procedure": pl.String, "action_taken": pl.String, "outcome": pl.String,
            "narrative": pl.String, "onset_day": pl.Float64, "aware_hours": pl.Float64,
            "report_hours": pl.Float64, "end_days": pl.Float64,
        **{f"sae_{c}": pl.Boolean for c in CRITERIA},
        },
        nan_to_null=True,
    )  # fmt: skip
