"""Multiplicity adjustment of p-values, as R ``p.adjust``."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from autoserum.errors import Expected, ValidationError

__all__ = ["p_adjust"]

_METHODS = ("holm", "BH", "bonferroni")


def p_adjust(
    p_values: Any, method: Literal["holm", "BH", "bonferroni"] = "holm"
) -> npt.NDArray[np.float64]:
    """Adjusted p-values: Holm's step-down (``"holm"``), Benjamini–Hochberg false discovery
    rate (``"BH"``) or Bonferroni. Missing values (NaN) stay missing and do not count in the
    number of tests, as R ``p.adjust(p, method)`` with its default ``n = length(p[!is.na(p)])``.

    Reference: Holm (1979) Scand J Stat 6:65; Benjamini & Hochberg (1995) JRSS B 57:289.

    >>> p_adjust([0.01, 0.04, 0.03], "holm").tolist()  # R: p.adjust(p, "holm")
    [0.03, 0.06, 0.06]
    """
    if method not in _METHODS:
        raise ValidationError("method", method, Expected("one of holm, BH, bonferroni"))
    try:
        p = np.asarray(p_values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            "p_values", repr(p_values)[:60], Expected("a sequence of p-values")
        ) from exc
    if p.ndim != 1:
        raise ValidationError("p_values", f"array of shape {p.shape}", Expected("a 1-D sequence"))
    present = ~np.isnan(p)
    bad = present & ((p < 0) | (p > 1))
    if bad.any():
        raise ValidationError(
            "p_values", float(p[bad][0]), Expected("p-values in [0, 1] (NaN = missing)")
        )
    out = np.full(p.shape, np.nan)
    values = p[present]
    n = values.size
    if n == 0:
        return out
    if method == "bonferroni":
        adjusted = np.minimum(1.0, n * values)
    elif method == "holm":
        order = np.argsort(values, kind="stable")
        i = np.arange(1, n + 1)
        adjusted = np.empty(n)
        adjusted[order] = np.minimum(1.0, np.maximum.accumulate((n - i + 1) * values[order]))
    else:
        order = np.argsort(-values, kind="stable")
        i = np.arange(n, 0, -1)
        adjusted = np.empty(n)
        adjusted[order] = np.minimum(1.0, np.minimum.accumulate(n / i * values[order]))
    out[present] = adjusted
    return out
