"""Dates, times, numbers and quantities written as the language's locale writes them (Babel,
CLDR data).

>>> format_quantity(30, "days", "en"), format_quantity(30, "days", "ko")
('30 days', '30일')
>>> format_quantity(1, "days", "en"), format_quantity(10, "min", "zh-Hans")
('1 day', '10分钟')
>>> format_quantity(1500, "× g", "ko"), format_quantity(50, "mg/mL", "zh-Hans")
('1,500 × g', '50 mg/mL')

A dose schedule (Pittler 2003's ``1-2-3-2-1 mL``: one volume per injection) is written as one
quantity, its numbers as the language writes them:

>>> format_quantity((1, 2, 3, 2, 1), "mL", "en"), format_quantity("1-2-3-2-1", "mL", "zh-Hans")
('1-2-3-2-1 mL', '1-2-3-2-1毫升')
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Final, Literal

from autoserum.i18n._catalogs import babel_locale, current_language

__all__ = [
    "CLDR_UNITS",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_number",
    "format_quantity",
]

Width = Literal["short", "medium", "long", "full"]


def format_date(
    value: datetime.date | str | None, language: str | None = None, *, width: Width = "medium"
) -> str:
    """A date as ``language`` writes it (the current language by default): ``1 Mar 2026``,
    ``2026. 3. 1.``, ``2026年3月1日``. An ISO text is parsed first; ``None`` is ``""``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value[:10])
    if isinstance(value, datetime.datetime):
        value = value.date()
    from babel import dates

    return dates.format_date(value, width, locale=babel_locale(language or current_language()))


def format_datetime(
    value: datetime.datetime | str | None,
    language: str | None = None,
    *,
    width: Width = "medium",
    tz: datetime.tzinfo | None = datetime.UTC,
) -> str:
    """A time stamp in time zone ``tz`` (UTC by default; ``None``: the offset it was written
    with): the date as ``language`` writes it and the time on the 24-hour clock of clinical
    records (``2026. 3. 1. 14:05``)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    local = value if tz is None else value.astimezone(tz)
    return f"{format_date(local.date(), language, width=width)} {local:%H:%M}"


def format_number(
    value: int | float | Decimal | Fraction | None, language: str | None = None
) -> str:
    """A number with the locale's grouping and decimal signs, all its digits kept."""
    if value is None:
        return ""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    from babel import numbers

    return numbers.format_decimal(
        value, locale=babel_locale(language or current_language()), decimal_quantization=False
    )


def format_decimal(
    value: int | float | Decimal | Fraction | None,
    language: str | None = None,
    *,
    digits: int = 1,
) -> str:
    """A number rounded on display to ``digits`` decimals (``12,345.7``), as the locale writes
    it. Rounding is for display only: nothing stored is rounded."""
    if value is None:
        return ""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    from babel import numbers

    return numbers.format_decimal(
        value, format=pattern, locale=babel_locale(language or current_language())
    )


#: The CLDR unit of each unit a protocol writes (``docs/protocols.md``): a quantity in one of
#: them is written as the language writes it, plural forms included (``1 day``, ``30 days``,
#: ``30일``, ``30天``; ``10 min``, ``10분``, ``10分钟``; ``5 mL``, ``5mL``, ``5毫升``). Any other
#: unit (``mg/mL``, ``× g``: a centrifuge's relative force, never grams) is a symbol written
#: the same in every language, after the number as the language writes it.
CLDR_UNITS: Final[dict[str, str]] = {
    "mL": "volume-milliliter",
    "ml": "volume-milliliter",
    "L": "volume-liter",
    "days": "duration-day",
    "day": "duration-day",
    "weeks": "duration-week",
    "hours": "duration-hour",
    "h": "duration-hour",
    "min": "duration-minute",
    "minutes": "duration-minute",
    "°C": "temperature-celsius",
    "mg": "mass-milligram",
    "g": "mass-gram",
    "%": "concentr-percent",
}


def format_quantity(
    value: int | float | Decimal | str | Sequence[int | float | Decimal] | None,
    unit: str | None,
    language: str | None = None,
) -> str:
    """``value`` with its ``unit`` as ``language`` writes it (the current language by default);
    a schedule of values (a sequence of numbers, or a text of numbers joined by ``-`` such as a
    protocol's ``1-2-3-2-1``) as one quantity; any other text value (not a number) and a value
    without a unit as they are; ``None`` is ``""``."""
    if value is None:
        return ""
    lang = language or current_language()
    if isinstance(value, str):
        if _SCHEDULE.match(value) is None:
            return f"{value} {unit}" if unit else str(value)
        value = [Decimal(part) for part in value.split("-")]
    if not isinstance(value, int | float | Decimal):
        numbers = "-".join(format_number(_whole(v), lang) for v in value)
        if unit in CLDR_UNITS:
            from babel import units

            # the plural form of "several" (2: "other" in every language offered)
            pattern = str(units.format_unit(2, CLDR_UNITS[unit], length="short",
                                            locale=babel_locale(lang)))  # fmt: skip
            return pattern.replace("2", numbers, 1)
        return f"{numbers} {unit}" if unit else numbers
    value = _whole(value)
    if unit in CLDR_UNITS:
        from babel import units

        return str(
            units.format_unit(value, CLDR_UNITS[unit], length="short", locale=babel_locale(lang))
        )
    number = format_number(value, lang)
    return f"{number} {unit}" if unit else number


_SCHEDULE = re.compile(r"^\d+(\.\d+)?(-\d+(\.\d+)?)+$")


def _whole(value: int | float | Decimal) -> int | float | Decimal:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value
