"""DLQI, the Dermatology Life Quality Index (0–30), adults from 16 years, recall: last week.

Answers ``very_much`` 3, ``a_lot`` 2, ``a_little`` 1, ``not_at_all`` 0, ``not_relevant`` 0
(offered on q3–q10 only: it is an error on q1–q2). Q7 is two-part: ``q7`` is ``yes`` (3),
``no`` or ``not_relevant`` (0); when ``q7`` is ``no``, ``q7b`` (``a_lot`` 2, ``a_little`` 1,
``not_at_all`` 0) gives the score. One unanswered question scores 0; two or more → not scored.

Reference: Finlay AY, Khan GK. Clin Exp Dermatol 1994;19:210-16; bands Hongbo Y et al.
J Invest Dermatol 2005;125:659-64.

>>> from autoserum.instruments import score
>>> answers = {f"q{i}": "very_much" for i in (1, 2, 3, 4, 5, 6, 8, 9)}
>>> score("dlqi", {**answers, "q7": "yes"}).total
Fraction(27, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from autoserum.errors import Expected, ValidationError
from autoserum.instruments._build import F, bands, choice_item
from autoserum.instruments._model import BandSet, Computed, Instrument, Item
from autoserum.instruments._questionnaire import sum_with_one_missing
from autoserum.instruments._values import Value

__all__ = ["DLQI", "DLQI_SUBSCALES"]

ANSWERS = {"very_much": 3, "a_lot": 2, "a_little": 1, "not_at_all": 0}
ANSWERS_NR = {**ANSWERS, "not_relevant": 0}
Q7 = {"yes": 3, "no": 0, "not_relevant": 0}
Q7B = {"a_lot": 2, "a_little": 1, "not_at_all": 0}
#: What each question is about: autoserum's own short topic labels for data entry, **not** the
#: DLQI's wording, which is licensed (© AY Finlay, GK Khan 1992) and never shipped; a site that
#: holds a licence installs the wording per language (``autoserum.instruments.texts``).
QUESTIONS = {
    "q1": "symptoms: itch, soreness, pain, stinging",
    "q2": "feelings: embarrassment, self-consciousness",
    "q3": "daily activities: shopping, looking after the home",
    "q4": "daily activities: clothes worn",
    "q5": "leisure: social or leisure activities",
    "q6": "leisure: sport",
    "q7": "work or study: prevented (yes, no, not relevant)",
    "q8": "personal relationships: partner, close friends, relatives",
    "q9": "personal relationships: sexual difficulties",
    "q10": "treatment: problems caused by the treatment",
}
DLQI_SUBSCALES = {
    "symptoms_feelings": ("q1", "q2"),
    "daily_activities": ("q3", "q4"),
    "leisure": ("q5", "q6"),
    "work_school": ("q7",),
    "personal_relationships": ("q8", "q9"),
    "treatment": ("q10",),
}


def _items() -> tuple[Item, ...]:
    items = []
    for q, text in QUESTIONS.items():
        answers = ANSWERS if q in ("q1", "q2") else Q7 if q == "q7" else ANSWERS_NR
        items.append(choice_item(q, text, answers))
        if q == "q7":
            items.append(
                choice_item(
                    "q7b",
                    "work or study, when q7 is no: how much of a problem",
                    Q7B,
                    condition=("q7", "no"),
                )
            )
    return tuple(items)


def _q7_points(values: Mapping[str, Value | None]) -> Fraction | None:
    q7, q7b = values["q7"], values["q7b"]
    if q7b is not None and q7 != "no":
        raise ValidationError(
            "q7b", q7b, Expected("no answer unless q7 is 'no' (q7 is %(q7)s)", q7=repr(q7))
        )
    if q7 is None:
        return None
    if q7 == "no":
        return None if q7b is None else F(Q7B[str(q7b)])
    return F(Q7[str(q7)])


def _compute(values: Mapping[str, Value | None]) -> Computed:
    points: dict[str, Fraction | None] = {}
    for q in QUESTIONS:
        if q == "q7":
            points[q] = _q7_points(values)
        else:
            value = values[q]
            points[q] = None if value is None else F(ANSWERS_NR[str(value)])
    return sum_with_one_missing(points, DLQI_SUBSCALES)


DLQI = Instrument(
    code="dlqi",
    reported_by="patient",
    wording_licence="© AY Finlay, GK Khan 1992 (Dermatology Life Quality Index)",
    name="Dermatology Life Quality Index (DLQI)",
    items=_items(),
    minimum=F(0),
    maximum=F(30),
    band_sets={
        "hongbo2005": BandSet(
            "hongbo2005",
            bands(
                ("no_effect", "no effect on the patient's life", 1, True),
                ("small", "small effect", 5, True),
                ("moderate", "moderate effect", 10, True),
                ("very_large", "very large effect", 20, True),
                ("extremely_large", "extremely large effect", None, True),
            ),
            "Hongbo Y et al. J Invest Dermatol 2005;125:659-64",
            "0–1, 2–5, 6–10, 11–20, 21–30",
        )
    },
    default_band_set="hongbo2005",
    missing_rule=(
        "one unanswered question scores 0 and the total is summed as usual (q7 with q7b counts "
        "as one question; q7 = no without q7b is unanswered); two or more unanswered → not "
        "scored; a subscale containing the unanswered question is not scored"
    ),
    reference=(
        "Finlay AY, Khan GK. Dermatology Life Quality Index (DLQI): a simple practical measure "
        "for routine clinical use. Clin Exp Dermatol 1994;19:210-16"
    ),
    components=tuple(DLQI_SUBSCALES),
    compute=_compute,
    note=(
        "Adults from 16 years; recall: the last week. not_relevant is offered on q3–q10 only. "
        "q7b is answered only when q7 = no."
    ),
)
