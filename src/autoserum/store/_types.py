"""Column types that behave the same on SQLite and PostgreSQL: exact decimals as text, UTC
timestamps, JSON as canonical text.

>>> DecimalText().process_bind_param(Decimal("1.50"), None)
'1.50'
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["DecimalText", "JSONText", "UTCDateTime", "dumps", "utcnow"]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def dumps(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) of a JSON-ready value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as its text (``Decimal('1.50')`` ↔ ``'1.50'``): nothing rounded."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect | None) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"DecimalText needs a finite Decimal, got {value!r}")
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect | None) -> Decimal | None:
        return None if value is None else Decimal(value)


#: the text :class:`UTCDateTime` stores (``datetime.fromisoformat`` reads it ~30x faster than
#: ``strptime``, which still reads, or refuses, anything else)
_STORED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", re.ASCII)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp stored as ISO 8601 text with microseconds (sortable)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise TypeError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def process_result_value(self, value: Any, dialect: Dialect | None) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str) and _STORED_AT.fullmatch(value):  # the stored form: fast
            return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class JSONText(TypeDecorator[Any]):
    """A JSON value stored as canonical text (same bytes on both engines)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect | None) -> str | None:
        return None if value is None else dumps(value)

    def process_result_value(self, value: Any, dialect: Dialect | None) -> Any:
        return None if value is None else json.loads(value)
