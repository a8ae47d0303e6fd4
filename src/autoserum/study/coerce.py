"""Coercion of user values (API, form, import, corrections) to typed values, with clear errors.

The converters of :mod:`autoserum.study.entities` are built on these; the store's import and
recording paths call them too.

>>> as_decimal("volume_ml", "2.5")
Decimal('2.5')
>>> as_date("visit_date", "2026-03-02")
datetime.date(2026, 3, 2)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from autoserum.errors import ValidationError

__all__ = ["as_bool", "as_date", "as_decimal", "as_int", "as_text", "optional"]


def as_decimal(field: str, value: Any) -> Decimal:
    """An exact decimal from a Decimal, int, float (by its shortest repr) or numeric text."""
    if isinstance(value, bool):
        raise ValidationError(field, value, "a number")
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, int | float | str):
        try:
            dec = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(field, value, "a number") from None
    else:
        raise ValidationError(field, value, "a number")
    if not dec.is_finite():
        raise ValidationError(field, value, "a finite number")
    return dec


def as_int(field: str, value: Any) -> int:
    """An integer (an integral decimal is accepted)."""
    dec = as_decimal(field, value)
    if dec != dec.to_integral_value():
        raise ValidationError(field, value, "a whole number")
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
    raise ValidationError(field, value, "an ISO date YYYY-MM-DD")


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
    raise ValidationError(field, value, "true or false")


def as_text(field: str, value: Any) -> str:
    """A non-empty text."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, value, "a non-empty text")
    return value


def optional(conv: Any, field: str, value: Any) -> Any:
    """``conv(field, value)`` unless ``value`` is ``None``."""
    return None if value is None else conv(field, value)
