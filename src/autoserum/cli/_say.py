"""The command line's messages to its user, in the user's language (``docs/i18n.md``).

The command modules import this module (and so the languages) inside the commands, never at
their top: ``autoserum --help`` imports no language (``tests/test_i18n_cli.py``).

A command writes a summary, a confirmation, a warning or the headings of a table as
``translate(lang, "imported into study %(study)s: %(parts)s", study=..., parts=...)`` (the
extraction picks the message up) with ``lang = language()``; the numbers and dates inside go
through :func:`number`, :func:`date` and :func:`when`. What programs read stays as it is: the
``--json`` output, the columns of a CSV or Parquet file, the tab-separated rows of a listing, the
exit codes. English is the language of the sources: it reads no catalog and imports no Babel.

>>> counted("en", {"subjects": 12, "adverse_events": 3})
'12 subjects, 3 adverse events'
>>> counted("ko", {"subjects": 12, "adverse_events": 3})
'대상자 12, 이상반응 3'
>>> when(datetime.datetime(2026, 3, 2, 14, 5, tzinfo=datetime.UTC), "zh-Hans")
'2026年3月2日 14:05'
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from autoserum.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    cli_language,
    format_date,
    format_datetime,
    format_number,
    message_text,
    translate,
)

__all__ = [
    "N_",
    "counted",
    "date",
    "language",
    "note",
    "number",
    "pad",
    "record_type",
    "translate",
    "when",
]


def language() -> str:
    """The command line's language (:func:`autoserum.i18n.cli_language`)."""
    return cli_language()


def note(text: str, lang: str) -> str:
    """A note of an analysis in ``lang`` (an :class:`autoserum.errors.Note` keeps its message;
    any other text as it is)."""
    from autoserum.errors import Note

    return message_text(text.text, lang) if isinstance(text, Note) else text


def number(value: int | float | Decimal | Fraction, lang: str) -> str:
    """A count or measure as ``lang`` writes it, all its digits kept (``12,345``)."""
    return format_number(value, lang)


def date(value: datetime.date | str | None, lang: str) -> str:
    """A date as ``lang`` writes it: ``Mar 2, 2026``, ``2026. 3. 2.``, ``2026年3月2日``."""
    return format_date(value, lang)


def when(value: datetime.datetime | str | None, lang: str) -> str:
    """A time stamp in UTC as ``lang`` writes its date, on the 24-hour clock (``… 14:05``)."""
    return format_datetime(value, lang)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded to ``width`` terminal columns, a Korean or Chinese character taking two
    (East Asian Wide and Fullwidth), so that translated headings line up with their columns.

    >>> pad("날짜", 6) + "|", pad("date", 6) + "|", pad("일", 3, right=True)
    ('날짜  |', 'date  |', ' 일')
    """
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    fill = " " * max(width - columns, 0)
    return fill + text if right else text + fill


def record_type(key: str, lang: str) -> str:
    """The words of a record type named by its table (``adverse_events``): as written in
    English (``adverse events``), its title (or name) of the entity registry otherwise."""
    if lang == DEFAULT_LANGUAGE:
        return key.replace("_", " ")
    from autoserum.study.entities import REGISTRY

    for spec in REGISTRY.values():
        if key in (spec.table, spec.name):
            return translate(lang, spec.title or spec.name)
    return translate(lang, key.replace("_", " "))


def counted(lang: str, counts: Mapping[str, int]) -> str:
    """What an import, export or simulation wrote, per record type: ``12 subjects, 40 visits``."""
    return ", ".join(
        translate(lang, "%(num)s %(what)s", num=number(n, lang), what=record_type(key, lang))
        for key, n in counts.items()
    )
