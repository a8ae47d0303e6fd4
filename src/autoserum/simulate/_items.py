"""Instrument items drawn consistently from the latent activity a = exp(z).

One latent activity per subject and visit drives every instrument; subject-level facets
(regional propensity ``rho``, extent, itch, quality-of-life sensitivity) and assessor noise
per item make the instruments correlate as they do in clinic, not perfectly. Values are
always on each item's allowed grid of the scoring specification
(``/work/shared/docs/instruments.md``): EASI signs in {0, 1, 1.5, 2, 2.5, 3}, area scores 0-6
from the percentage of the region involved (the same percentages give SCORAD's extent by the
rule of nines), SCORAD intensities 0-3 and VAS 0-10 in tenths, DLQI answer codes, POEM codes
0-4 from the number of days, NRS integers, vIGA-AD 0-4 and SASSAD grades 0-3.

Reference: Hanifin 2001 (EASI); European Task Force 1993 (SCORAD); Finlay & Khan 1994 (DLQI);
Charman 2004 (POEM); Berth-Jones 1996 (SASSAD); Simpson 2020 (vIGA-AD).

>>> import numpy as np
>>> float(easi_grid(np.array([0.4, 0.6, 1.3, 2.9]))[2])
1.5
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from autoserum.simulate._model import ItemModel
from autoserum.simulate._streams import Draws, Streams

__all__ = [
    "DLQI_ANSWERS",
    "DLQI_Q7",
    "DLQI_Q7B",
    "EASI_REGIONS",
    "GENERATORS",
    "Coded",
    "ItemColumn",
    "Rows",
    "easi_grid",
    "region_percent",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int8]

EASI_REGIONS = ("head_neck", "upper_limbs", "trunk", "lower_limbs")
EASI_SIGNS = {"erythema": 1.1, "induration": 1.0, "excoriation": 0.9, "lichenification": 0.8}
#: Rule-of-nines weight (% of body surface) of each EASI region, for SCORAD's extent.
REGION_BSA = (9.0, 18.0, 36.0, 36.0)
SCORAD_SIGNS = {
    "erythema": 1.1,
    "edema": 1.0,
    "oozing": 0.5,
    "excoriation": 0.9,
    "lichenification": 0.8,
    "dryness": 1.0,
}
SASSAD_SITES = {  # site: (EASI region index, site factor)
    "arms": (1, 1.0),
    "hands": (1, 0.9),
    "legs": (3, 1.0),
    "feet": (3, 0.7),
    "head_neck": (0, 1.0),
    "trunk": (2, 0.9),
}
SASSAD_SIGNS = {
    "erythema": 1.0,
    "exudation": 0.5,
    "excoriation": 0.9,
    "dryness": 1.1,
    "cracking": 0.6,
    "lichenification": 0.8,
}
POEM_ITEMS = {
    "itch": 1.3,
    "sleep": 0.8,
    "bleeding": 0.5,
    "oozing": 0.5,
    "cracking": 0.7,
    "flaking": 0.9,
    "dryness": 1.3,
}
DLQI_WEIGHTS = (1.3, 1.1, 0.6, 0.9, 0.8, 0.6, 0.6, 0.5, 0.5, 0.8)
#: DLQI answer codes by score 0-3, then ``not_relevant`` (code 4).
DLQI_ANSWERS = ("not_at_all", "a_little", "a_lot", "very_much", "not_relevant")
DLQI_Q7 = ("no", "yes", "not_relevant")
DLQI_Q7B = ("not_at_all", "a_little", "a_lot")


@dataclass(frozen=True)
class Coded:
    """An answer-code column: integer codes into ``categories``; -1 is missing."""

    codes: IntArray
    categories: tuple[str, ...]


ItemColumn = FloatArray | IntArray | Coded


@dataclass(frozen=True)
class Rows:
    """What the item generators see for each row (subject × visit).

    ``improvement``: fall of the log activity since entry, NaN until after the first injection
    (drives the patient's rating of treatment effectiveness). ``symptom_activity``: the
    activity seen by symptoms and quality of life, lower than ``activity`` when the arm acts
    on symptoms more than on signs (``ArmSpec.symptom_effect``).
    """

    rng: Draws
    activity: FloatArray
    rho: FloatArray
    extent: FloatArray
    itch: FloatArray
    qol: FloatArray
    model: ItemModel
    improvement: FloatArray | None = None
    symptom_activity: FloatArray | None = None

    @property
    def symptoms(self) -> FloatArray:
        """Activity driving the symptoms and quality of life (itch, sleep, POEM, DLQI, patient
        ratings): the objective activity unless a symptom-specific effect applies."""
        return self.activity if self.symptom_activity is None else self.symptom_activity

    def noise(self, sd: float) -> FloatArray:
        """Assessor noise, one draw per row."""
        return np.asarray(sd * self.rng.standard_normal(self.activity.shape[0]), dtype=np.float64)

    def noises(self, sds: Sequence[float]) -> FloatArray:
        """Assessor noise of several items, one row per SD in ``sds``: the same numbers as
        :meth:`noise` called once per SD in turn, in one draw."""
        n = self.activity.shape[0]
        if isinstance(self.rng, Streams):
            z = self.rng.standard_normal_rows(len(sds))
        else:
            z = self.rng.standard_normal((len(sds), n))
        return np.asarray(np.asarray(sds, dtype=np.float64)[:, None] * z, dtype=np.float64)


def easi_grid(x: FloatArray) -> FloatArray:
    """Round a continuous sign intensity to EASI's grid {0, 1, 1.5, 2, 2.5, 3}."""
    halves = np.clip(np.round(x * 2.0) / 2.0, 0.0, 3.0)
    return np.where(x < 0.5, 0.0, np.maximum(halves, 1.0))


def _grade(x: FloatArray, top: int) -> IntArray:
    """Round to an integer grade 0..top."""
    return np.clip(np.rint(x), 0, top).astype(np.int8)


def _tenths(x: FloatArray, top: float) -> FloatArray:
    """Round to tenths within 0..top (a VAS read to one decimal)."""
    tenths: FloatArray = np.clip(np.rint(x * 10.0), 0.0, top * 10.0) / 10.0
    return tenths


def region_percent(rows: Rows) -> FloatArray:
    """Percentage (integer 0-100) of each EASI region with active eczema, rows × 4."""
    m = rows.model
    load = (rows.activity[:, None] * rows.rho) ** m.area_power * rows.extent[:, None]
    noise = np.exp(m.area_noise_sd * rows.rng.standard_normal(load.shape))
    percent = 100.0 * (1.0 - np.exp(-m.area_scale * load)) * noise
    rounded: FloatArray = np.clip(np.rint(percent), 0.0, 100.0)
    return rounded


def _area_score(percent: FloatArray) -> IntArray:
    """EASI area score 0-6 from the percentage of the region involved."""
    edges = np.array([0.0, 10.0, 30.0, 50.0, 70.0, 90.0])
    score = np.searchsorted(edges, percent, side="right").astype(np.int8)
    return np.where(percent == 0, 0, score).astype(np.int8)


def easi(rows: Rows, percent: FloatArray) -> dict[str, ItemColumn]:
    """EASI: four signs on the half-point grid and the area score for each region."""
    out: dict[str, ItemColumn] = {}
    noise = iter(rows.noises([rows.model.sign_noise_sd] * len(EASI_REGIONS) * len(EASI_SIGNS)))
    for r, region in enumerate(EASI_REGIONS):
        level = rows.activity * rows.rho[:, r]
        for sign, weight in EASI_SIGNS.items():
            out[f"{region}_{sign}"] = easi_grid(level * weight + next(noise))
        out[f"{region}_area"] = _area_score(percent[:, r])
    return out


def _itch_level(rows: Rows) -> FloatArray:
    level: FloatArray = 10.0 * (1.0 - np.exp(-rows.model.itch_scale * rows.symptoms * rows.itch))
    return level


def _sleep_level(rows: Rows) -> FloatArray:
    level: FloatArray = 10.0 * (1.0 - np.exp(-rows.model.sleep_scale * rows.symptoms * rows.itch))
    return level


def scorad(rows: Rows, percent: FloatArray) -> dict[str, ItemColumn]:
    """SCORAD: extent (rule of nines over the EASI regions), six intensities, two VAS."""
    m = rows.model
    extent = np.rint(percent @ np.array(REGION_BSA) / 100.0)
    out: dict[str, ItemColumn] = {"extent": extent}
    level = rows.activity * rows.rho.mean(axis=1)
    noise = iter(
        rows.noises([m.sign_noise_sd] * len(SCORAD_SIGNS) + [m.itch_noise_sd, m.sleep_noise_sd])
    )
    for sign, weight in SCORAD_SIGNS.items():
        out[sign] = _grade(level * weight + next(noise), 3)
    out["pruritus"] = _tenths(_itch_level(rows) + next(noise), 10.0)
    out["sleeplessness"] = _tenths(_sleep_level(rows) + next(noise), 10.0)
    return out


def pp_nrs(rows: Rows, percent: FloatArray) -> dict[str, ItemColumn]:
    """Peak pruritus NRS 0-10 (item ``score``) from the itch level."""
    return {"score": _grade(_itch_level(rows) + rows.noise(rows.model.nrs_noise_sd), 10)}


def sleep_nrs(rows: Rows, percent: FloatArray) -> dict[str, ItemColumn]:
    """Sleep disturbance NRS 0-10 (10 = worst) from the sleep level."""
    return {"score": _grade(_sleep_level(rows) + rows.noise(rows.model.nrs_noise_sd), 10)}


def poem(rows: Rows, percent: FloatArray) -> dict[str, ItemColumn]:
    """POEM: days with each symptom in the last week, coded 0-4."""
    m = rows.model
    out: dict[str, ItemColumn] = {}
    noise = iter(rows.noises([m.poem_noise_sd] * len(POEM_ITEMS)))
    for item, weight in POEM_ITEMS.items():
        days = 7.0 * (1.0 - np.exp(-m.poem_scale * rows.symptoms * rows.itch * weight))
        days_int = np.clip(np.rint(days + next(noise)), 0, 7)
        out[item] = np.array([0, 1, 1, 2, 2, 3, 3, 4], dtype=np.int8)[days_int.astype(np.intp)]
    return out


def dlqi(rows: Rows, percent: FloatArray) -> dict[str, ItemColumn]:
    """DLQI q1-q10 answer codes (q7 two-part with q7b)."""
    m = rows.model
    burden = m.dlqi_scale * rows.symptoms * rows.qol
    out: dict[str, ItemColumn] = {}
    for q, weight in enumerate(DLQI_WEIGHTS, start=1):
        level = _grade(burden * weight + rows.noise(m.dlqi_noise_sd), 3)
        irrelevant = (level == 0) & (rows.rng.random(level.shape[0]) < m.dlqi_not_relevant)
        if q == 7:
            q7 = np.where(level == 3, 1, np.where(irrelevant, 2, 0)).astype(np.int8)
            q7b = np.where(q7 == 0, level, -1).astype(np.int8)
            out["q7"] = Coded(q7, DLQI_Q7)
            out["q7b"] = Coded(q7b, DLQI_Q7B)
            continue
        codes = np.where(irrelevant & (q > 2), 4, level).astype(np.int8)
        out[f"q{q}"] = Coded(codes, DLQI_ANSWERS)
    return out


def sassad(rows: Rows, percent: FloatArray) -> dict[str, ItemColumn]:
    """SASSAD: six signs graded 0-3 at six sites."""
    out: dict[str, ItemColumn] = {}
    noise = iter(rows.noises([rows.model.sign_noise_sd] * len(SASSAD_SITES) * len(SASSAD_SIGNS)))
    for site, (region, factor) in SASSAD_SITES.items():
        level = rows.activity * rows.rho[:, region] * factor
        for sign, weight in SASSAD_SIGNS.items():
            noisy = level * weight + next(noise)
            out[f"{site}_{sign}"] = _grade(noisy, 3)
    return out


def viga_ad(rows: Rows, percent: FloatArray) -> dict[str, ItemColumn]:
    """vIGA-AD 0-4 from the overall sign intensity."""
    level = rows.activity * rows.rho.mean(axis=1) * np.exp(rows.noise(rows.model.iga_noise_sd))
    edges = np.array([0.15, 0.45, 0.9, 1.6])
    return {"grade": np.searchsorted(edges, level, side="right").astype(np.int8)}


def patient_global(rows: Rows, percent: FloatArray) -> dict[str, ItemColumn]:
    """Patient's global ratings: disease status (0 very good ... 4 very poor) and, once
    treated, treatment effectiveness (0 very effective ... 4 not effective; missing before)."""
    level = rows.symptoms * rows.itch * np.exp(rows.noise(rows.model.iga_noise_sd * 2))
    status = np.searchsorted(np.array([0.2, 0.55, 1.0, 1.7]), level, side="right")
    improvement = rows.improvement
    if improvement is None:
        improvement = np.full(level.shape[0], np.nan)
    felt = improvement + rows.noise(rows.model.iga_noise_sd)
    grade = 4 - np.searchsorted(np.array([0.05, 0.2, 0.4, 0.7]), felt, side="right")
    effectiveness = np.where(np.isnan(improvement), np.nan, grade.astype(np.float64))
    return {"status": status.astype(np.int8), "effectiveness": effectiveness}


#: Item generator of each instrument code: (rows, region percentages) -> flat item columns.
GENERATORS: dict[str, Callable[[Rows, FloatArray], dict[str, ItemColumn]]] = {
    "easi": easi,
    "scorad": scorad,
    "dlqi": dlqi,
    "poem": poem,
    "sassad": sassad,
    "pp_nrs": pp_nrs,
    "sleep_nrs": sleep_nrs,
    "viga_ad": viga_ad,
    "patient_global": patient_global,
}
