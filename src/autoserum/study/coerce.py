"""Coercion of user values (API, form, import, corrections) to typed values, with clear errors.

The converters of :mod:`autoserum.study.entities` are built on these; the store's import and
recording paths call them too.

>>> as_decimal("volume_ml", "2.5")
Decimal('2.5')
>>> as_date("visit_date", "2026-03-02")
datetime.date(2026, 3, 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from autoserum.errors import Expected, ValidationError

__all__ = [
    "AN_ISO_DATE",
    "AN_ISO_DATETIME",
    "A_MAPPING",
    "A_NON_EMPTY_TEXT",
    "A_NUMBER",
    "A_TEXT",
    "A_WHOLE_NUMBER",
    "TRUE_OR_FALSE",
    "as_bool",
    "as_date",
    "as_decimal",
    "as_int",
    "as_text",
    "number_between",
    "one_of",
    "optional",
    "text_of_at_most",
]

# What the common checks expect, as translatable messages (the pages render them in the
# reader's language: autoserum.i18n.error_text).
A_NUMBER = Expected("a number")
A_FINITE_NUMBER = Expected("a finite number")
A_WHOLE_NUMBER = Expected("a whole number")
AN_ISO_DATE = Expected("an ISO date YYYY-MM-DD")
AN_ISO_DATETIME = Expected("an ISO date and time with its UTC offset")
TRUE_OR_FALSE = Expected("true or false")
A_TEXT = Expected("a text")
A_NON_EMPTY_TEXT = Expected("a non-empty text")
A_MAPPING = Expected("a mapping of names to values")


def one_of(values: Iterable[str]) -> Expected:
    """``one of a, b, c`` (a vocabulary; the codes are not translated).

    >>> str(one_of(["mild", "moderate"]))
    'one of mild, moderate'
    """
    return Expected("one of %(values)s", values=", ".join(values))


def number_between(
    low: Decimal | None, high: Decimal | None, *, whole: bool = False, unit: str = ""
) -> Expected:
    """``a number from 0 to 250 mmHg`` / ``a whole number ≥ 1`` / ``a number``."""
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        if whole:
            return Expected(
                "a whole number from %(low)s to %(high)s%(unit)s", low=low, high=high, unit=unit
            )
        return Expected("a number from %(low)s to %(high)s%(unit)s", low=low, high=high, unit=unit)
    if low is not None:
        if whole:
            return Expected("a whole number ≥ %(low)s%(unit)s", low=low, unit=unit)
        return Expected("a number ≥ %(low)s%(unit)s", low=low, unit=unit)
    return A_WHOLE_NUMBER if whole else A_NUMBER


def text_of_at_most(limit: int | None, *, required: bool) -> Expected:
    """``a non-empty text of at most 200 characters`` (or without the limit)."""
    if limit is None:
        return A_NON_EMPTY_TEXT if required else A_TEXT
    if required:
        return Expected("a non-empty text of at most %(limit)s characters", limit=limit)
    return Expected("a text of at most %(limit)s characters", limit=limit)


def as_decimal(field: str, value: Any) -> Decimal:
    """An exact decimal from a Decimal, int, float (by its shortest repr) or numeric text."""
    if isinstance(value, bool):
        raise ValidationError(field, value, A_NUMBER)
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, int | float | str):
        try:
            dec = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(field, value, A_NUMBER) from None
    else:
        raise ValidationError(field, value, A_NUMBER)
    if not dec.is_finite():
        raise ValidationError(field, value, A_FINITE_NUMBER)
    return dec


def as_int(field: str, value: Any) -> int:
    """An integer (an integral decimal is accepted)."""
    dec = as_decimal(field, value)
    if dec != dec.to_integral_value():
        raise ValidationError(field, value, A_WHOLE_NUMBER)
    return int(dec)


def as_date(field: str, value: Any) -> date:
    """A date from a ``date`` or ISO ``YYYY-MM-DD`` text."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(field, value, AN_ISO_DATE)


_TRUTH = {"true": True, "yes": True, "false": False, "no": False}


def as_bool(field: str, value: Any) -> bool:
    """``True``/``False`` from a bool or the texts ``true``/``false`` (a form's ``yes``/``no``).

    >>> as_bool("serious", "yes"), as_bool("serious", "false")
    (True, False)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUTH:
        return _TRUTH[value.strip().lower()]
    raise ValidationError(field, value, TRUE_OR_FALSE)


def as_text(field: str, value: Any) -> str:
    """A non-empty text."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, value, A_NON_EMPTY_TEXT)
    return value


def optional(conv: Any, field: str, value: Any) -> Any:
    """``conv(field, value)`` unless ``value`` is ``None``."""
    return None if value is None else conv(field, value)
