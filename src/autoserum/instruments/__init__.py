"""Outcome instruments for atopic dermatitis (pure core): exact scores, one module per
instrument, one registry, responder definitions and batch scoring.

Reference: docs/instruments.md (items, allowed values, ranges, band sets, missing rules); the
licensed wordings a site installs: :func:`load_texts` (docs/i18n.md).

>>> from autoserum.instruments import score
>>> region = {"erythema": 2, "induration": 1, "excoriation": 1, "lichenification": 0, "area": 2}
>>> zero = {"erythema": 0, "induration": 0, "excoriation": 0, "lichenification": 0, "area": 0}
>>> s = score("easi", {"age": 34, "head_neck": region, "upper_limbs": zero, "trunk": zero,
...                    "lower_limbs": zero})
>>> float(s.total), s.band
(0.8, 'almost_clear')
"""

from typing import TYPE_CHECKING, Any

from autoserum.instruments._diary import DiaryRule, WeeklyMean
from autoserum.instruments._model import Band, BandSet, Instrument, Item, Score
from autoserum.instruments._registry import get_instrument, instrument_codes, score
from autoserum.instruments._texts import (
    InstrumentText,
    ItemText,
    Questionnaire,
    QuestionText,
    TextLibrary,
    load_text_file,
    load_texts,
    question_texts,
)
from autoserum.instruments._values import display_value

if TYPE_CHECKING:
    from autoserum.instruments._batch import score_batch

__all__ = [
    "Band",
    "BandSet",
    "DiaryRule",
    "Instrument",
    "InstrumentText",
    "Item",
    "ItemText",
    "QuestionText",
    "Questionnaire",
    "Score",
    "TextLibrary",
    "WeeklyMean",
    "display_value",
    "get_instrument",
    "instrument_codes",
    "load_text_file",
    "load_texts",
    "question_texts",
    "score",
    "score_batch",
]


def __getattr__(name: str) -> Any:
    """``score_batch`` (NumPy and Polars) is loaded on first use: scoring one assessment, as
    ``autoserum score`` does, needs neither."""
    if name == "score_batch":
        from autoserum.instruments._batch import score_batch

        return score_batch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
