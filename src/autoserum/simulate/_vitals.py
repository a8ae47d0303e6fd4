"""Synthetic vital signs of a simulated study (pure core): one record per visit of each
subject, plausible adult values that stay within the limits of :mod:`autoserum.study.vitals`.

A subject's resting values are drawn once (systolic pressure ~ N(120, 12) mmHg, diastolic
~ N(76, 8) and kept at least 20 below the systolic, pulse ~ N(72, 9) beats/min, weight
~ N(68, 12) kg, height ~ N(168, 9) cm, measured at the first visit only) and vary from visit to
visit by small noise (SD 5 mmHg, 4 beats/min, 0.2 °C around 36.7 °C, 0.5 kg). The numbers are
synthetic: nothing is calibrated to a published cohort; they exist so that a demo study shows
vital signs on its pages and in SDTM VS.

>>> import polars as pl
>>> visits = pl.DataFrame({"subject_id": ["A", "A"], "visit": ["baseline", "week_4"]})
>>> frame = simulate_vital_signs(visits, seed=1)
>>> frame.columns[:3], frame.height, frame["height"].null_count()
(['subject_id', 'visit', 'systolic_bp'], 2, 1)
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl

from autoserum.study.vitals import VITAL_SIGNS

__all__ = ["simulate_vital_signs"]


def _clip(name: str, value: float, digits: int) -> int | str:
    sign = VITAL_SIGNS[name]
    low, high = float(sign.low), float(sign.high)
    kept = min(max(value, low), high)
    if sign.whole:
        return round(kept)
    return str(Decimal(str(round(kept, digits))))


def simulate_vital_signs(visits: pl.DataFrame, *, seed: int) -> pl.DataFrame:
    """The vital signs of each (``subject_id``, ``visit``) row of ``visits`` (in that order):
    columns ``subject_id``, ``visit`` and the signs of :data:`~autoserum.study.vitals.VITAL_SIGNS`
    (whole numbers for pressures and pulse, decimal text for the others; height at a
    subject's first visit only). Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    resting: dict[str, tuple[float, ...]] = {}
    for subject_id, visit in visits.select("subject_id", "visit").iter_rows():
        first = subject_id not in resting
        if first:
            systolic = rng.normal(120, 12)
            resting[subject_id] = (
                systolic, min(rng.normal(76, 8), systolic - 20), rng.normal(72, 9),
                rng.normal(68, 12), rng.normal(168, 9),
            )  # fmt: skip
        sys_bp, dia_bp, pulse, weight, height = resting[subject_id]
        noise = rng.normal(0, 1, size=5)
        systolic = sys_bp + 5 * noise[0]
        diastolic = min(dia_bp + 5 * noise[1], systolic - 20)
        rows.append({
            "subject_id": subject_id, "visit": visit,
            "systolic_bp": _clip("systolic_bp", systolic, 0),
            "diastolic_bp": _clip("diastolic_bp", diastolic, 0),
            "pulse": _clip("pulse", pulse + 4 * noise[2], 0),
            "temperature": _clip("temperature", 36.7 + 0.2 * noise[3], 1),
            "weight": _clip("weight", weight + 0.5 * noise[4], 1),
            "height": _clip("height", height, 0) if first else None,
        })  # fmt: skip
    schema = {"subject_id": pl.String, "visit": pl.String, "systolic_bp": pl.Int64,
              "diastolic_bp": pl.Int64, "pulse": pl.Int64, "temperature": pl.String,
              "weight": pl.String, "height": pl.String}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")
