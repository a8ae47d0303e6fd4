"""Where a bad cell is: a file line, or a study's subject and visit (a database read)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LINE", "Where"]

#: The row-number column the validator adds while it checks a table.
LINE = "__line"


@dataclass(frozen=True)
class Where:
    """How to name a row in an error: ``source, line N`` for a file (``first_line`` is the line
    of the first data row), ``source, subject S, visit V`` for records (``first_line=None``).

    >>> Where("visits.csv", 2).at({LINE: 5}, "age")
    "visits.csv, line 5, column 'age'"
    >>> Where("study AST", None).at({"subject_id": "S1", "visit": "week_4", LINE: 0}, "age")
    "study AST, subject S1, visit week_4, column 'age'"
    """

    source: str
    first_line: int | None = 2

    @property
    def offset(self) -> int:
        """The number given to the first row in the ``__line`` column."""
        return 0 if self.first_line is None else self.first_line

    def at(self, row: Mapping[str, Any], column: str | None = None) -> str:
        """The location of ``row`` (a dict of the checked table, with ``__line``)."""
        col = "" if column is None else f", column {column!r}"
        if self.first_line is not None:
            return f"{self.source}, line {row[LINE]}{col}"
        subject = row.get("subject_id")
        visit = row.get("visit")
        week = row.get("week")
        if visit is None and week is not None:
            visit = f"week {week}"
        parts = [self.source]
        if subject is not None:
            parts.append(f"subject {subject}")
        if visit is not None:
            parts.append(f"visit {visit}")
        return ", ".join(parts) + col
