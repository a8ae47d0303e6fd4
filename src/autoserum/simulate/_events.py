"""Arm allocation, adverse events: the subject-level events of a simulated study.

Allocation uses permuted blocks (two copies of the allocation ratio per block) in order of
enrolment. Adverse events: injection-site pain and bruising per injection received, the
protocol's flare risk (``atopic dermatitis exacerbation``) per treated subject, and other
events (headache, nasopharyngitis, fatigue) at a weekly rate over the time in the study. A
severe event is serious (ICH E2A criterion: hospitalisation); injection-site events are caused
by the injection procedure; expectedness and special interest are left to the store, which
derives them from the protocol's safety information on import.

Reference: the adverse-event file of ``docs/data-format.md``.

>>> import numpy as np
>>> arms = permuted_blocks(np.random.default_rng(1), 8, (1, 1))
>>> int((arms == 0).sum())
4
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray

from autoserum.simulate._model import Scenario
from autoserum.study.safety import SERIOUSNESS_CRITERIA as CRITERIA
from autoserum.study.tidy import AE_SCHEMA

__all__ = ["AE_SCHEMA", "adverse_events", "permuted_blocks"]

OTHER_TERMS = ("headache", "nasopharyngitis", "fatigue")


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
        },
        schema_overrides={"term": pl.String, "severity": pl.String, "related": pl.String},
    )


def adverse_events(
    rng: np.random.Generator,
    scenario: Scenario,
    arm_products: tuple[str, ...],
    injection_days: tuple[int, ...],
    arm_index: NDArray[np.int64],
    *,
    first_day: NDArray[np.float64],
    last_day: NDArray[np.float64],
) -> pl.DataFrame:
    """Adverse events of the subjects: columns ``subject`` (index), term, onset_week, ...

    ``first_day``/``last_day``: each subject's first and last day in the study; injections at
    or before ``last_day`` count as received (a subject withdrawn before day 0 received none).
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
    serious = pl.col("severity") == "severe"
    local = pl.col("term").str.starts_with("injection site")
    return out.with_columns(
        serious=serious,
        # ICH E2A: a severe event is simulated as serious by hospitalisation
        **{f"sae_{c}": serious if c == "hospitalisation" else pl.lit(False) for c in CRITERIA},
        related_procedure=pl.when(local).then(pl.lit("definite")).otherwise(pl.lit("not_related")),
        action_taken=pl.lit("dose_not_changed"),
        outcome=pl.lit("recovered"),
    ).sort("subject", "onset_week", "term", maintain_order=True)
