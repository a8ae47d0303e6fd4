"""The worked examples of the scoring specification as data, shared by the API and CLI tests.

Source of every expected value: docs/instruments.md of the shared specification
(``/work/shared/docs/instruments.md``), section named in ``source``; tolerance: exact
(``Fraction`` equality in the API, float equality of the JSON in the CLI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

F = Fraction


def easi_region(e: float, i: float, x: float, li: float, area: int) -> dict[str, Any]:
    return {
        "erythema": e,
        "induration": i,
        "excoriation": x,
        "lichenification": li,
        "area": area,
    }


ZERO = easi_region(0, 0, 0, 0, 0)
EASI_EXAMPLE = {
    "head_neck": easi_region(2, 1, 1, 0, 2),
    "upper_limbs": easi_region(2, 2, 1, 1, 3),
    "trunk": easi_region(1, 1, 0, 0, 2),
    "lower_limbs": easi_region(2, 2, 2, 1, 3),
}
EASI_MAX = {r: easi_region(3, 3, 3, 3, 6) for r in EASI_EXAMPLE}


def scorad(a: float, b: tuple[int, ...], pruritus: float, sleeplessness: float) -> dict[str, Any]:
    signs = ("erythema", "edema", "oozing", "excoriation", "lichenification", "dryness")
    return {
        "extent": a,
        **dict(zip(signs, b, strict=True)),
        "pruritus": pruritus,
        "sleeplessness": sleeplessness,
    }


DLQI_EXAMPLE = {
    "q1": "very_much",
    "q2": "a_lot",
    "q3": "a_little",
    "q4": "a_little",
    "q5": "very_much",
    "q6": "very_much",
    "q7": "no",
    "q7b": "a_little",
    "q8": "not_at_all",
    "q9": "a_little",
    "q10": "a_lot",
}


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    instrument: str
    payload: dict[str, Any]
    total: Fraction | None
    band: str | None
    components: dict[str, Fraction | None] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    # spec § EASI, worked example 1: 0.8 + 3.6 + 1.2 + 8.4 = 14.0 (moderate), exact.
    Case(
        "easi_adult",
        "EASI worked example 1",
        "easi",
        {"age": 34, **EASI_EXAMPLE},
        F(14),
        "moderate",
        {
            "head_neck": F(8, 10),
            "upper_limbs": F(36, 10),
            "trunk": F(12, 10),
            "lower_limbs": F(84, 10),
        },
    ),
    # spec § EASI, worked example 2: age 5 → 1.6 + 3.6 + 1.2 + 6.3 = 12.7 (moderate), exact.
    Case(
        "easi_child",
        "EASI worked example 2",
        "easi",
        {"age": 5, **EASI_EXAMPLE},
        F(127, 10),
        "moderate",
        {
            "head_neck": F(16, 10),
            "upper_limbs": F(36, 10),
            "trunk": F(12, 10),
            "lower_limbs": F(63, 10),
        },
    ),
    # spec § EASI, worked example 3: all signs 3, all areas 6 → 72 (very severe), adult.
    Case(
        "easi_max_adult",
        "EASI worked example 3",
        "easi",
        {"age": 40, **EASI_MAX},
        F(72),
        "very_severe",
    ),
    # spec § EASI, worked example 3: … at any age → 72 (the child maximum is 72, not 79.2).
    Case(
        "easi_max_child",
        "EASI worked example 3",
        "easi",
        {"age": 3, **EASI_MAX},
        F(72),
        "very_severe",
    ),
    # spec § EASI, worked example 4: only head_neck erythema 1 with area 1 → 0.1 (almost clear).
    Case(
        "easi_minimal",
        "EASI worked example 4",
        "easi",
        {
            "age": 30,
            "head_neck": easi_region(1, 0, 0, 0, 1),
            "upper_limbs": ZERO,
            "trunk": ZERO,
            "lower_limbs": ZERO,
        },
        F(1, 10),
        "almost_clear",
    ),
    # spec § SCORAD worked example 1: A 20, B 5 (1,1,0,1,1,1), pruritus 4, sleeplessness 2
    # → SCORAD 27.5, oSCORAD 21.5 (exact).
    Case(
        "scorad_1",
        "SCORAD worked example 1",
        "scorad",
        scorad(20, (1, 1, 0, 1, 1, 1), 4, 2),
        F(55, 2),
        "moderate",
        {"extent_a": F(20), "intensity_b": F(5), "subjective_c": F(6)},
        {"objective": F(43, 2), "objective_band": "moderate"},
    ),
    # spec § SCORAD worked example 2: A 10, B 2, C 2 → 11 (the split of B and C over the items
    # is ours; any split gives the same total).
    Case(
        "scorad_2",
        "SCORAD worked example 2",
        "scorad",
        scorad(10, (1, 1, 0, 0, 0, 0), 1, 1),
        F(11),
        "mild",
        {"extent_a": F(10), "intensity_b": F(2), "subjective_c": F(2)},
        {"objective": F(9), "objective_band": "mild"},
    ),
    # spec § SCORAD worked example 3: A 60, B 12, C 15 → 69, oSCORAD 54.
    Case(
        "scorad_3",
        "SCORAD worked example 3",
        "scorad",
        scorad(60, (2, 2, 2, 2, 2, 2), 8, 7),
        F(69),
        "severe",
        {"extent_a": F(60), "intensity_b": F(12), "subjective_c": F(15)},
        {"objective": F(54), "objective_band": "severe"},
    ),
    # spec § SCORAD worked example 4: A 100, B 18, C 20 → 103, oSCORAD 83 (the maxima).
    Case(
        "scorad_4",
        "SCORAD worked example 4",
        "scorad",
        scorad(100, (3, 3, 3, 3, 3, 3), 10, 10),
        F(103),
        "severe",
        {"extent_a": F(100), "intensity_b": F(18), "subjective_c": F(20)},
        {"objective": F(83), "objective_band": "severe"},
    ),
    # spec § DLQI worked example 1: → 17 (subscales 5/2/6/1/1/2), band very large (11–20).
    Case(
        "dlqi_1",
        "DLQI worked example 1",
        "dlqi",
        DLQI_EXAMPLE,
        F(17),
        "very_large",
        {
            "symptoms_feelings": F(5),
            "daily_activities": F(2),
            "leisure": F(6),
            "work_school": F(1),
            "personal_relationships": F(1),
            "treatment": F(2),
        },
    ),
    # spec § DLQI worked example 2: q1–q9 at their maximum (q7 yes), q10 missing → 27.
    Case(
        "dlqi_2",
        "DLQI worked example 2",
        "dlqi",
        {**{f"q{i}": "very_much" for i in (1, 2, 3, 4, 5, 6, 8, 9)}, "q7": "yes", "q10": None},
        F(27),
        "extremely_large",
    ),
    # spec § DLQI worked example 3: q1–q5 answered, q6–q10 missing → not scored.
    Case(
        "dlqi_3",
        "DLQI worked example 3",
        "dlqi",
        {f"q{i}": "a_little" for i in range(1, 6)},
        None,
        None,
    ),
]
