"""Input checks shared by the statistical functions: clear errors, no silent clipping."""

from __future__ import annotations

import math
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from autoserum.errors import Expected, ValidationError

__all__ = ["Alternative", "as_sample", "check_alternative", "check_conf_level", "check_count"]

FloatArray = npt.NDArray[np.float64]

#: The alternative hypothesis of a test, as R's ``alternative = "two.sided" | "less" |
#: "greater"`` (``less``: the estimate, e.g. treatment − control, is below the null value).
Alternative = Literal["two-sided", "less", "greater"]


def check_alternative(alternative: Any) -> Alternative:
    """``alternative`` must be ``two-sided``, ``less`` or ``greater``."""
    if alternative not in ("two-sided", "less", "greater"):
        raise ValidationError("alternative", alternative, Expected("two-sided, less or greater"))
    return cast("Alternative", alternative)


def as_sample(values: Any, field: str) -> FloatArray:
    """A 1-D float array with missing values (NaN, None) removed, as R's ``na.omit``.

    Infinite values are refused: they are data errors, not observations.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, _short(values), Expected("a sequence of numbers")) from exc
    if arr.ndim != 1:
        raise ValidationError(
            field, f"array of shape {arr.shape}", Expected("a 1-D sequence of numbers")
        )
    if np.isinf(arr).any():
        bad = float(arr[np.isinf(arr)][0])
        raise ValidationError(field, bad, Expected("finite numbers (missing values as NaN)"))
    return arr[~np.isnan(arr)]


def check_conf_level(conf_level: float) -> float:
    """``conf_level`` must lie strictly between 0 and 1 (R: ``'conf.level' must be ...``)."""
    try:
        level = float(conf_level)
    except (TypeError, ValueError) as exc:
        raise ValidationError("conf_level", conf_level, Expected("a number in (0, 1)")) from exc
    if not (0.0 < level < 1.0) or math.isnan(level):
        raise ValidationError("conf_level", conf_level, Expected("a number in (0, 1)"))
    return level


def check_count(value: Any, field: str, *, minimum: int = 0) -> int:
    """A whole number ``>= minimum`` (counts of subjects or responders)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        else:
            raise ValidationError(
                field, value, Expected("a whole number >= %(minimum)s", minimum=minimum)
            )
    if int(value) < minimum:
        raise ValidationError(
            field, value, Expected("a whole number >= %(minimum)s", minimum=minimum)
        )
    return int(value)


def _short(values: Any) -> str:
    text = repr(values)
    return text if len(text) <= 60 else text[:57] + "..."
