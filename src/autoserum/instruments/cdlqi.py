"""CDLQI, the Children's Dermatology Life Quality Index (0–30), children 4 to < 16 years.

Answers ``very_much`` 3, ``quite_a_lot`` 2, ``only_a_little`` 1, ``not_at_all`` 0; q7 also
``prevented_school`` 3 (school-time or holiday-time version; one of the two is answered). One
unanswered question scores 0; two or more → not scored.

Reference: Lewis-Jones MS, Finlay AY. Br J Dermatol 1995;132:942-9; bands Waters A et al.
Br J Dermatol 2010;163(Suppl 1):121.

>>> from autoserum.instruments import score
>>> score("cdlqi", {f"q{i}": "not_at_all" for i in range(1, 11)}).band
'no_effect'
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from autoserum.instruments._build import F, bands, choice_item
from autoserum.instruments._model import BandSet, Computed, Instrument
from autoserum.instruments._questionnaire import sum_with_one_missing
from autoserum.instruments._values import Value

__all__ = ["CDLQI", "CDLQI_SUBSCALES"]

ANSWERS = {"very_much": 3, "quite_a_lot": 2, "only_a_little": 1, "not_at_all": 0}
Q7 = {"prevented_school": 3, **ANSWERS}
#: What each question is about: autoserum's own short topic labels for data entry, **not** the
#: CDLQI's wording, which is licensed (© MS Lewis-Jones, AY Finlay 1993) and never shipped; a
#: site that holds a licence installs the wording per language
#: (``autoserum.instruments.texts``).
QUESTIONS = {
    "q1": "symptoms: itch, scratching, soreness, pain",
    "q2": "feelings: embarrassment, self-consciousness, upset, sadness",
    "q3": "personal relationships: friendships",
    "q4": "leisure: clothes or shoes changed",
    "q5": "leisure: going out, playing, hobbies",
    "q6": "leisure: swimming or other sports avoided",
    "q7": "school or holidays: school work (or enjoyment of the holiday)",
    "q8": "personal relationships: name-calling, teasing, bullying, questions, avoidance",
    "q9": "sleep: sleep affected",
    "q10": "treatment: problems caused by the treatment",
}
CDLQI_SUBSCALES = {
    "symptoms_feelings": ("q1", "q2"),
    "leisure": ("q4", "q5", "q6"),
    "school_holidays": ("q7",),
    "personal_relationships": ("q3", "q8"),
    "sleep": ("q9",),
    "treatment": ("q10",),
}


def _compute(values: Mapping[str, Value | None]) -> Computed:
    points: dict[str, Fraction | None] = {}
    for q in QUESTIONS:
        value = values[q]
        points[q] = None if value is None else F(Q7[str(value)])
    return sum_with_one_missing(points, CDLQI_SUBSCALES)


CDLQI = Instrument(
    code="cdlqi",
    reported_by="patient",
    wording_licence="© MS Lewis-Jones, AY Finlay 1993 (Children's Dermatology Life Quality Index)",
    name="Children's Dermatology Life Quality Index (CDLQI)",
    items=tuple(
        choice_item(q, text, Q7 if q == "q7" else ANSWERS) for q, text in QUESTIONS.items()
    ),
    minimum=F(0),
    maximum=F(30),
    band_sets={
        "waters2010": BandSet(
            "waters2010",
            bands(
                ("no_effect", "no effect on the child's life", 1, True),
                ("small", "small effect", 6, True),
                ("moderate", "moderate effect", 12, True),
                ("very_large", "very large effect", 18, True),
                ("extremely_large", "extremely large effect", None, True),
            ),
            "Waters A et al. Br J Dermatol 2010;163(Suppl 1):121",
            "0–1, 2–6, 7–12, 13–18, 19–30",
        )
    },
    default_band_set="waters2010",
    missing_rule=(
        "one unanswered question scores 0 and the total is summed as usual; two or more "
        "unanswered → not scored; a subscale containing the unanswered question is not scored"
    ),
    reference=(
        "Lewis-Jones MS, Finlay AY. The Children's Dermatology Life Quality Index (CDLQI): "
        "initial validation and practical use. Br J Dermatol 1995;132:942-9"
    ),
    components=tuple(CDLQI_SUBSCALES),
    compute=_compute,
    note="Children 4 to < 16 years; q7 is the school-time or the holiday-time version.",
)
