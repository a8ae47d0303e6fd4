"""Dates, times and numbers as each language writes them (CLDR data through Babel), and the
choice of a language from a tag or an Accept-Language header."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from autoserum.errors import ValidationError
from autoserum.i18n import (
    check_language,
    current_language,
    format_date,
    format_datetime,
    format_decimal,
    format_number,
    format_quantity,
    negotiate,
    using,
)

DAY = dt.date(2026, 3, 1)
STAMP = dt.datetime(2026, 3, 1, 14, 5, tzinfo=dt.UTC)


# CLDR 47 medium date patterns: en "MMM d, y", ko "y. M. d.", zh "y年M月d日"
@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Mar 1, 2026"), ("ko", "2026. 3. 1."), ("zh-Hans", "2026年3月1日")],
)
def test_dates(language: str, expected: str) -> None:
    assert format_date(DAY, language) == expected
    assert format_date("2026-03-01", language) == expected


def test_date_times_are_shown_in_utc_by_default() -> None:
    assert format_datetime(STAMP, "en") == "Mar 1, 2026 14:05"
    assert format_datetime(STAMP, "zh-Hans") == "2026年3月1日 14:05"
    assert format_datetime(STAMP, "ko") == "2026. 3. 1. 14:05"
    seoul = dt.timezone(dt.timedelta(hours=9))
    assert format_datetime(STAMP, "ko", tz=seoul) == "2026. 3. 1. 23:05"
    assert format_datetime("2026-03-01T14:05:00", "en") == "Mar 1, 2026 14:05"  # naive = UTC


@pytest.mark.parametrize("language", ["en", "ko", "zh-Hans"])
def test_numbers_keep_their_digits_and_round_only_on_display(language: str) -> None:
    assert format_number(Decimal("12345.678"), language) == "12,345.678"
    assert format_number(Fraction(1, 4), language) == "0.25"
    assert format_decimal(Decimal("12345.65"), language, digits=1) == "12,345.6"  # half-even
    assert format_decimal(7, language, digits=0) == "7"
    assert format_number(None, language) == ""


# CLDR 47 short unit patterns (Babel 2.18): en "{0} days"/"{0} day", ko "{0}일", zh "{0}天";
# minutes en "{0} min", ko "{0}분", zh "{0}分钟"; millilitres en "{0} mL", ko "{0}mL",
# zh "{0}毫升"; degrees Celsius "{0}°C" in all three.
@pytest.mark.parametrize(
    ("value", "unit", "language", "expected"),
    [
        (30, "days", "en", "30 days"), (1, "days", "en", "1 day"), (30, "days", "ko", "30일"),
        (30.0, "days", "zh-Hans", "30天"), (10, "min", "en", "10 min"), (10, "min", "ko", "10분"),
        (10, "min", "zh-Hans", "10分钟"), (5, "mL", "en", "5 mL"), (5, "mL", "ko", "5mL"),
        (5, "mL", "zh-Hans", "5毫升"), (-20, "°C", "ko", "-20°C"),
        (1500, "× g", "zh-Hans", "1,500 × g"),  # a symbol: the same in every language
        (50, "mg/mL", "ko", "50 mg/mL"), ("plain tube", None, "ko", "plain tube"),
        (None, "mL", "ko", ""),
        # a dose schedule (Pittler 2003: 1-2-3-2-1 mL), as numbers or as the protocol's text,
        # in the plural pattern ("other") of the unit
        ((1, 2, 3, 2, 1), "mL", "en", "1-2-3-2-1 mL"), ("1-2-3-2-1", "mL", "ko", "1-2-3-2-1mL"),
        ("1-2-3-2-1", "mL", "zh-Hans", "1-2-3-2-1毫升"), ("1-2", "days", "en", "1-2 days"),
        ((1.5, 2.0), "mL", "ko", "1.5-2mL"), ("-20", "°C", "en", "-20 °C"),  # a text as it is
    ],
)  # fmt: skip
def test_quantities_are_written_with_the_languages_units(
    value: object, unit: str | None, language: str, expected: str
) -> None:
    assert format_quantity(value, unit, language) == expected  # type: ignore[arg-type]


def test_the_current_language_is_set_for_a_block() -> None:
    assert current_language() == "en"
    with using("ko"):
        assert format_date(DAY) == "2026. 3. 1."
    assert current_language() == "en"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
        ("zh-CN,zh;q=0.9", "zh-Hans"),
        ("zh-TW,en;q=0.5", "en"),  # Traditional Chinese is not offered: the next choice
        ("fr-FR,fr;q=0.9", "en"),
        ("en;q=0.2, ko;q=0.8", "ko"),
        ("ko;q=0", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_accept_language(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_a_language_outside_the_catalogs_is_refused_naming_the_choices() -> None:
    assert check_language("language", "zh_CN") == "zh-Hans"
    with pytest.raises(ValidationError, match="one of en, ko, zh-Hans") as err:
        check_language("user.language", "fr")
    assert err.value.field == "user.language"
