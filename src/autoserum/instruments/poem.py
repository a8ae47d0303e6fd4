"""POEM, the Patient-Oriented Eczema Measure (0–28).

Seven questions on the number of days in the last week: ``itch``, ``sleep`` (nights disturbed),
``bleeding``, ``oozing``, ``cracking``, ``flaking``, ``dryness``. Answer codes: no days 0,
1–2 days 1, 3–4 days 2, 5–6 days 3, every day 4. One unanswered item scores 0; two or more →
not scored.

Reference: Charman CR et al. Arch Dermatol 2004;140:1513-19; bands Charman CR et al.
Br J Dermatol 2013;169:1326-32.

>>> from autoserum.instruments import score
>>> score("poem", {item: 4 for item in POEM_ITEMS}).band
'very_severe'
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from autoserum.instruments._build import F, bands, integer_item
from autoserum.instruments._model import BandSet, Computed, Instrument
from autoserum.instruments._questionnaire import sum_with_one_missing
from autoserum.instruments._values import Value

__all__ = ["POEM", "POEM_ITEMS"]

POEM_ITEMS = {
    "itch": "days with itchy skin",
    "sleep": "nights with sleep disturbed because of the eczema",
    "bleeding": "days with bleeding skin",
    "oozing": "days with weeping or oozing clear fluid",
    "cracking": "days with cracked skin",
    "flaking": "days with flaking skin",
    "dryness": "days with dry or rough skin",
}
DAYS = "0 no days, 1 = 1–2 days, 2 = 3–4 days, 3 = 5–6 days, 4 every day"


def _compute(values: Mapping[str, Value | None]) -> Computed:
    points: dict[str, Fraction | None] = {}
    for item in POEM_ITEMS:
        value = values[item]
        points[item] = value if isinstance(value, Fraction) else None
    return sum_with_one_missing(points, {})


POEM = Instrument(
    code="poem",
    reported_by="patient",
    wording_licence="© The University of Nottingham (Patient-Oriented Eczema Measure)",
    name="Patient-Oriented Eczema Measure (POEM)",
    items=tuple(
        integer_item(item, f"{label} in the last week ({DAYS})", 4)
        for item, label in POEM_ITEMS.items()
    ),
    minimum=F(0),
    maximum=F(28),
    band_sets={
        "charman2013": BandSet(
            "charman2013",
            bands(
                ("clear_almost_clear", "clear or almost clear", 2, True),
                ("mild", "mild", 7, True),
                ("moderate", "moderate", 16, True),
                ("severe", "severe", 24, True),
                ("very_severe", "very severe", None, True),
            ),
            "Charman CR et al. Br J Dermatol 2013;169:1326-32",
            "0–2, 3–7, 8–16, 17–24, 25–28",
        )
    },
    default_band_set="charman2013",
    missing_rule="one unanswered item scores 0; two or more unanswered → not scored",
    reference=(
        "Charman CR, Venn AJ, Williams HC. The patient-oriented eczema measure: development and "
        "initial validation of a new tool for measuring atopic eczema severity from the "
        "patients' perspective. Arch Dermatol 2004;140:1513-19"
    ),
    components=(),
    compute=_compute,
    note="Answer codes, not days: " + DAYS + ".",
)
