"""Concomitant and rescue medication of a simulated study.

**Rescue**: over each interval between post-baseline visits, a subject still in the study
starts a rescue course of a topical corticosteroid with probability
``1 - exp(-rate · weeks · exp(β · worsening))``, where *worsening* is the rise of the latent
log activity since entry at the interval's visit (``Rescue.worsening_log_hr`` = β): subjects
who do worse, and so placebo subjects, take more rescue. A course starts on a uniform day of
the interval (before the subject left), lasts about ``course_days`` days, and uses a weekly
amount drawn log-normally in grams, recorded in fingertip units for a fraction of courses.
**Background**: a fraction of subjects take an oral antihistamine from before screening,
ongoing (not rescue). Each rescue course is applied to one of :data:`BODY_AREAS` (drawn last,
so that adding it changed no earlier draw), with its dose as written on a prescription.

Reference: the concomitant-medication file of ``docs/data-format.md``; the drugs and codes are
:data:`autoserum.study.medication.DRUGS`.

>>> import numpy as np
>>> from autoserum.simulate._model import Rescue
>>> frame = con_meds(np.random.default_rng(1), Rescue(), [], np.zeros(3, dtype=np.int64),
...                  first_day=np.full(3, -14.0))
>>> frame.columns[:4]
['subject', 'drug', 'atc_code', 'drug_class']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from autoserum.simulate._model import Rescue
from autoserum.study.medication import GRAMS_PER_FTU, drug

__all__ = ["BODY_AREAS", "Interval", "con_meds"]

FloatArray = NDArray[np.float64]

#: The rescue steroids drawn (potent, European class III, and moderately potent, class II).
_RESCUE_DRUGS = (
    "mometasone furoate 0.1% cream",
    "methylprednisolone aceponate 0.1% cream",
    "clobetasone butyrate 0.05% cream",
)
_BACKGROUND = "cetirizine"


@dataclass(frozen=True)
class Interval:
    """One post-baseline visit interval of every subject of a chunk: its start and end day,
    who was in the study at its start, the day each left (or the end day) and the worsening of
    the latent log activity since entry at its visit."""

    start: FloatArray
    end: FloatArray
    present: NDArray[np.bool_]
    worsening: FloatArray


def con_meds(
    rng: np.random.Generator,
    rescue: Rescue,
    intervals: Sequence[Interval],
    subjects: NDArray[np.int64],
    *,
    first_day: FloatArray,
) -> pl.DataFrame:
    """Con-meds of the chunk's subjects (``subjects``: their indices): columns ``subject``, the
    coded drug, amount, ``start_day``/``end_day`` (``end_day`` null = ongoing) and ``rescue``."""
    rows: list[pl.DataFrame] = []
    for interval in intervals:
        weeks = np.clip(interval.end - interval.start, 0.0, None) / 7.0
        hazard = rescue.rate_per_week * weeks * np.exp(rescue.worsening_log_hr * interval.worsening)
        starts = interval.present & (rng.random(weeks.shape[0]) < 1.0 - np.exp(-hazard))
        chosen = np.nonzero(starts)[0]
        span = interval.end[chosen] - interval.start[chosen]
        start = interval.start[chosen] + 1 + np.floor(rng.random(chosen.size) * np.maximum(span, 1))
        length = 1 + rng.poisson(max(rescue.course_days - 1.0, 0.0), chosen.size)
        grams = np.exp(
            rescue.grams_log_mean + rescue.grams_log_sd * rng.standard_normal(chosen.size)
        )
        ftu = rng.random(chosen.size) < rescue.ftu_fraction
        which = rng.integers(0, len(_RESCUE_DRUGS), chosen.size)
        rows.append(
            _frame(
                subjects[chosen],
                [_RESCUE_DRUGS[i] for i in which],
                amount=np.where(ftu, np.round(grams / GRAMS_PER_FTU), np.round(grams, 1)),
                unit=np.where(ftu, "ftu", "g"),
                start=start,
                end=start + length - 1,
                rescue=True,
            )
        )
    takes = rng.random(subjects.size) < rescue.antihistamine_fraction
    chosen = np.nonzero(takes)[0]
    rows.append(
        _frame(
            subjects[chosen],
            [_BACKGROUND] * chosen.size,
            amount=np.full(chosen.size, np.nan),
            unit=np.full(chosen.size, None, dtype=object),
            start=first_day[chosen] - 30 - np.floor(rng.random(chosen.size) * 335),
            end=np.full(chosen.size, np.nan),
            rescue=False,
        )
    )
    out = pl.concat(rows)
    # where a rescue steroid was applied, drawn last so that no earlier draw changed
    area = np.array(BODY_AREAS)[rng.integers(0, len(BODY_AREAS), out.height)]
    return out.with_columns(
        body_area=pl.when(pl.col("rescue")).then(pl.Series(area, dtype=pl.String)),
        dose=pl.when(pl.col("rescue"))
        .then(pl.lit("thin layer once daily"))
        .when(pl.col("drug") == _BACKGROUND)
        .then(pl.lit("10 mg once daily")),
    ).sort("subject", "start_day", "drug", maintain_order=True)


#: The body areas a simulated rescue steroid is applied to (assumption: AD's usual sites).
BODY_AREAS: tuple[str, ...] = ("face and neck", "flexures", "trunk", "arms", "legs", "hands")


def _frame(
    subject: NDArray[np.int64],
    names: list[str],
    *,
    amount: FloatArray,
    unit: NDArray[np.object_] | NDArray[np.str_],
    start: FloatArray,
    end: FloatArray,
    rescue: bool,
) -> pl.DataFrame:
    coded = [drug(name) for name in names]
    return pl.DataFrame(
        {
            "subject": pl.Series(subject, dtype=pl.Int64),
            "drug": pl.Series(names, dtype=pl.String),
            "atc_code": pl.Series([d.atc for d in coded], dtype=pl.String),
            "drug_class": pl.Series([d.drug_class for d in coded], dtype=pl.String),
            "potency_eu": pl.Series([d.potency_eu for d in coded], dtype=pl.String),
            "potency_us": pl.Series([d.potency_us for d in coded], dtype=pl.String),
            "amount": pl.Series(amount, dtype=pl.Float64, nan_to_null=True),
            "amount_unit": pl.Series(unit.tolist(), dtype=pl.String),
            "start_day": pl.Series(start, dtype=pl.Float64).cast(pl.Int64),
            "end_day": pl.Series(end, dtype=pl.Float64, nan_to_null=True).cast(pl.Int64),
            "indication": pl.Series(
                ["atopic dermatitis flare" if rescue else "pruritus"] * len(names),
                dtype=pl.String,
            ),
            "rescue": pl.Series([rescue] * len(names), dtype=pl.Boolean),
        }
    )
