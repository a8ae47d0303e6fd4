"""Outcome instruments for atopic dermatitis (pure core): exact scores, one module per
instrument, one registry, responder definitions and batch scoring.

Reference: docs/instruments.md (items, allowed values, ranges, band sets, missing rules).

>>> from autoserum.instruments import score
>>> region = {"erythema": 2, "induration": 1, "excoriation": 1, "lichenification": 0, "area": 2}
>>> zero = {"erythema": 0, "induration": 0, "excoriation": 0, "lichenification": 0, "area": 0}
>>> s = score("easi", {"age": 34, "head_neck": region, "upper_limbs": zero, "trunk": zero,
...                    "lower_limbs": zero})
>>> float(s.total), s.band
(0.8, 'almost_clear')
"""

from autoserum.instruments._batch import score_batch
from autoserum.instruments._model import Band, BandSet, Instrument, Item, Score
from autoserum.instruments._registry import get_instrument, instrument_codes, score
from autoserum.instruments._values import display_value

__all__ = [
    "Band",
    "BandSet",
    "Instrument",
    "Item",
    "Score",
    "display_value",
    "get_instrument",
    "instrument_codes",
    "score",
    "score_batch",
]
