"""Questionnaires summed over answered items with a "one unanswered item scores 0" rule.

Shared by DLQI, CDLQI and POEM: one unanswered question scores 0 and the total is summed as
usual; two or more unanswered questions leave the questionnaire not scored. A subscale that
contains the unanswered question is reported as ``None`` (the official rule is stated for the
total only, so autoserum does not extend it to subscales).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from autoserum.instruments._build import F
from autoserum.instruments._model import Computed

__all__ = ["sum_with_one_missing"]


def sum_with_one_missing(
    points: Mapping[str, Fraction | None],
    subscales: Mapping[str, Sequence[str]],
) -> Computed:
    """Total and subscales of question points (``None`` = unanswered)."""
    unanswered = [q for q, p in points.items() if p is None]
    components: dict[str, Fraction | None] = {}
    for name, questions in subscales.items():
        parts = [points[q] for q in questions]
        components[name] = (
            None
            if any(p is None for p in parts)
            else sum((p for p in parts if p is not None), F(0))
        )
    if len(unanswered) >= 2:
        reason = (
            f"{len(unanswered)} questions unanswered ({', '.join(unanswered)}); "
            "two or more unanswered → not scored"
        )
        return Computed(None, components, reason)
    total = sum((p for p in points.values() if p is not None), F(0))
    return Computed(total, components, None)
