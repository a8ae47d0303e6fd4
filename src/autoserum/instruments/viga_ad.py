"""vIGA-AD, the validated Investigator Global Assessment for AD (0–4).

One item, ``grade``: 0 clear, 1 almost clear, 2 mild, 3 moderate, 4 severe.

Reference: Simpson E et al. J Am Acad Dermatol 2020;83:839-46 (vIGA-AD™, Eli Lilly and
Company, 2017).

>>> from autoserum.instruments import score
>>> score("viga_ad", {"grade": 1}).band
'almost_clear'
"""

from __future__ import annotations

from autoserum.instruments._build import F, bands, integer_item
from autoserum.instruments._model import BandSet, Instrument
from autoserum.instruments._single import single_item

__all__ = ["GRADES", "VIGA_AD"]

GRADES = {0: "clear", 1: "almost clear", 2: "mild", 3: "moderate", 4: "severe"}

VIGA_AD = Instrument(
    code="viga_ad",
    name="Validated Investigator Global Assessment for AD (vIGA-AD)",
    items=(
        integer_item(
            "grade",
            "investigator's global grade: "
            + ", ".join(f"{code} {label}" for code, label in GRADES.items()),
            4,
        ),
    ),
    minimum=F(0),
    maximum=F(4),
    band_sets={
        "viga_ad": BandSet(
            "viga_ad",
            bands(
                ("clear", "clear", 0, True),
                ("almost_clear", "almost clear", 1, True),
                ("mild", "mild", 2, True),
                ("moderate", "moderate", 3, True),
                ("severe", "severe", None, True),
            ),
            "Simpson E et al. J Am Acad Dermatol 2020;83:839-46",
            "the band is the grade's label",
        )
    },
    default_band_set="viga_ad",
    missing_rule="the grade missing → not scored",
    reference=(
        "Simpson E et al. Validation of the validated Investigator Global Assessment for "
        "Atopic Dermatitis (vIGA-AD). J Am Acad Dermatol 2020;83:839-46"
    ),
    components=(),
    compute=single_item("grade"),
)
