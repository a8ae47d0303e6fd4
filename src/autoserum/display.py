"""How numbers are shown to people: one owner for the CLI, the web app and the report.

Nothing stored or computed is rounded (style principle 6); these functions only turn a value
into text at the edge.

* :func:`number`: a statistic with a fixed number of decimals, ``–`` when missing or not
  finite, a typographic minus, no ``−0.0``.
* :func:`p_value`: a p-value with a fixed number of decimals, ``< 0.001`` below the smallest.
* :func:`exact_number`: an exact score (an ``int``, ``Fraction`` or ``Decimal``, as the
  instruments return) rounded half-up to one decimal, or two when one would not show it exactly
  (EASI regions are multiples of 0.05).

Example::

    >>> number(-0.04), number(2.345, 2), number(None), number(float("nan"))
    ('0.0', '2.35', '–', '–')
    >>> number(-1.25, 2)
    '−1.25'
    >>> p_value(0.0004), p_value(0.04321), p_value(0.04321, digits=4, relation=True)
    ('< 0.001', '0.043', '= 0.0432')
    >>> from fractions import Fraction
    >>> exact_number(Fraction(281, 20)), exact_number(Fraction(14)), exact_number(Fraction(1, 3))
    ('14.05', '14.0', '0.3')
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

__all__ = ["MISSING", "exact_number", "number", "p_value"]

#: shown for a missing or non-finite statistic
MISSING = "–"


def number(value: Any, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals (``–`` when missing or not finite)."""
    if value is None:
        return MISSING
    x = float(value)
    if not math.isfinite(x):
        return MISSING
    text = f"{x:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


def p_value(value: Any, *, digits: int = 3, relation: bool = False) -> str:
    """A p-value with ``digits`` decimals, ``< 0.001`` (for 3) below the smallest shown;
    ``relation=True`` prefixes ``= `` to a shown value (``p = 0.043`` / ``p < 0.001``)."""
    if value is None or not math.isfinite(float(value)):
        return MISSING
    p = float(value)
    smallest = 10.0**-digits
    if p < smallest:
        return f"< {smallest:.{digits}f}"
    shown = f"{p:.{digits}f}"
    return f"= {shown}" if relation else shown


def exact_number(value: Any) -> str:
    """An exact value rounded half-up to 1 decimal (2 when needed); text passes through."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | Fraction | Decimal | float):
        exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
        d = Decimal(exact.numerator) / Decimal(exact.denominator)
        one = d.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if Fraction(one) == exact:
            return str(one)
        two = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return str(two) if Fraction(two) == exact else str(one)
    return str(value)
