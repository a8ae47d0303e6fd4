"""Exact numbers: parsing item values into ``Fraction`` and formatting them for display.

A float is read as the decimal it prints as (``0.1`` is exactly 1/10, not the binary
approximation), so a value typed as ``0.1`` in JSON or CSV is 1/10 in the scalar path. Rounding
happens only in :func:`display_value`: half-up, 1 decimal, 2 where the exact value needs them.

>>> to_fraction(0.1, "pruritus", "a number")
Fraction(1, 10)
>>> display_value(Fraction(127, 10)), display_value(Fraction(3, 20)), display_value(Fraction(1, 3))
('12.7', '0.15', '0.3')
"""

from __future__ import annotations

import math
import numbers
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from autoserum.errors import Expected, ValidationError

__all__ = [
    "Value",
    "describe_number",
    "display_value",
    "format_number",
    "number_expectation",
    "to_fraction",
]

Value = Fraction | str | bool


def to_fraction(value: Any, field: str, expected: str | Expected) -> Fraction:
    """The exact value of a number given as int, float, Decimal, Fraction or numeric text.

    Booleans, NaN, infinities and non-numeric text raise :class:`ValidationError`.
    """
    if isinstance(value, bool):
        raise ValidationError(field, value, expected)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(field, value, expected)
        return Fraction(value)
    if isinstance(value, numbers.Real):
        as_float = float(value)
        if not math.isfinite(as_float):
            raise ValidationError(field, value, expected)
        return Fraction(repr(as_float))
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise ValidationError(field, value, expected) from None
        if not parsed.is_finite():
            raise ValidationError(field, value, expected)
        return Fraction(parsed)
    raise ValidationError(field, value, expected)


def format_number(value: Fraction) -> str:
    """The exact value as a short decimal (``1.5``, ``10``), or ``p/q`` if it does not end."""
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def display_value(value: Fraction) -> str:
    """Round for display only: half-up to 1 decimal, or 2 when the exact value has 2."""
    places = 2 if (value * 100).denominator == 1 and (value * 10).denominator != 1 else 1
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def describe_number(low: Fraction | None, high: Fraction | None, step: Fraction | None) -> str:
    """``a number from 0 to 10 in steps of 0.1`` (what a numeric item accepts)."""
    return str(number_expectation(low, high, step))


def number_expectation(  # noqa: PLR0911 (one literal message per case, for the catalogs)
    low: Fraction | None, high: Fraction | None, step: Fraction | None
) -> Expected:
    """What a numeric item accepts, as a translatable :class:`~autoserum.errors.Expected`.

    >>> str(number_expectation(Fraction(0), Fraction(10), Fraction(1, 10)))
    'a number from 0 to 10 in steps of 0.1'
    """
    integer = step == 1
    stepped = step is not None and step != 1
    lo = None if low is None else format_number(low)
    hi = None if high is None else format_number(high)
    st = None if step is None else format_number(step)
    if low is not None and high is not None:
        if integer:
            return Expected("an integer from %(low)s to %(high)s", low=lo, high=hi)
        if stepped:
            return Expected(
                "a number from %(low)s to %(high)s in steps of %(step)s", low=lo, high=hi, step=st
            )
        return Expected("a number from %(low)s to %(high)s", low=lo, high=hi)
    if low is not None:
        if integer:
            return Expected("an integer ≥ %(low)s", low=lo)
        if stepped:
            return Expected("a number ≥ %(low)s in steps of %(step)s", low=lo, step=st)
        return Expected("a number ≥ %(low)s", low=lo)
    if integer:
        return Expected("an integer")
    if stepped:
        return Expected("a number in steps of %(step)s", step=st)
    return Expected("a number")
