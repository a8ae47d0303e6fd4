"""PP-NRS, the peak pruritus numerical rating scale (0–10; 10 = worst itch imaginable).

One item, ``score``: the worst itch in the last 24 hours, an integer 0–10.

Reference: Yosipovitch G et al. Br J Dermatol 2019;181:761-9; bands Silverberg JI et al.
J Am Acad Dermatol 2018 (severity strata of the itch NRS).

>>> from autoserum.instruments import score
>>> score("pp_nrs", {"score": 7}).band
'severe'
"""

from __future__ import annotations

from autoserum.instruments._build import F, bands, integer_item
from autoserum.instruments._diary import DIARY_24H
from autoserum.instruments._model import BandSet, Instrument
from autoserum.instruments._single import single_item

__all__ = ["PP_NRS"]

PP_NRS = Instrument(
    code="pp_nrs",
    reported_by="patient",
    name="Peak Pruritus Numerical Rating Scale (PP-NRS)",
    items=(integer_item("score", "worst itch in the last 24 hours (0 none – 10 worst)", 10),),
    minimum=F(0),
    maximum=F(10),
    band_sets={
        "silverberg2018": BandSet(
            "silverberg2018",
            bands(
                ("none", "no itch", 0, True),
                ("mild", "mild", 3, True),
                ("moderate", "moderate", 6, True),
                ("severe", "severe", None, True),
            ),
            "Silverberg JI et al. J Am Acad Dermatol 2018 (itch NRS severity strata)",
            "0 none; 1–3 mild; 4–6 moderate; 7–10 severe",
        )
    },
    default_band_set="silverberg2018",
    missing_rule="the item missing → not scored",
    reference=(
        "Yosipovitch G et al. Peak Pruritus Numerical Rating Scale: psychometric validation and "
        "responder definition for assessing itch in moderate-to-severe atopic dermatitis. "
        "Br J Dermatol 2019;181:761-9"
    ),
    components=(),
    compute=single_item("score"),
    diary=DIARY_24H,
    polarity="higher_worse",
    note="Polarity: 10 = worst.",
)
