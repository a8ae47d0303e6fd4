"""Data queries (discrepancy notes): a question about a record, or one field of it, raised by
a monitor, an administrator or an automatic check (author ``system:check:<rule>``), answered by
the site, closed or re-opened by the monitor, or cancelled when raised in error.

Statuses and what moves a query between them (ICH E6(R3) 3.11.4, data queries and
corrections; REDCap's Data Resolution Workflow, OpenClinica's discrepancy notes)::

    open ──answer──▶ answered ──close──▶ closed
     ▲  ╲                │  ╲               │
     │   ╲──close────────┼───╲─────────────▶│
     └──────reopen───────┴────────reopen────┘
    open / answered ──cancel──▶ cancelled

Every step is a message of the query's thread (who, when, the text, and for an answer the
correction made with it).

>>> next_status("open", "answer")
'answered'
>>> next_status("closed", "reopen")
'open'
>>> next_status("closed", "answer")
Traceback (most recent call last):
...
autoserum.errors.StateError: a closed query cannot be answered (from closed: reopen)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import datetime
from typing import Any, Final

from autoserum.errors import Expected, Message, StateError, ValidationError

__all__ = [
    "CHECK_AUTHOR",
    "OPEN_STATUSES",
    "QUERY_STATUSES",
    "STEPS",
    "Query",
    "QueryMessage",
    "check_author",
    "next_status",
]

QUERY_STATUSES: Final[tuple[str, ...]] = ("open", "answered", "closed", "cancelled")
"""A query's statuses (the ``queries.status`` CHECK lists the same)."""

OPEN_STATUSES: Final[frozenset[str]] = frozenset({"open", "answered"})
"""Statuses of a query still awaiting the monitor."""

#: step → (statuses it may start from, status it leads to)
STEPS: Final[Mapping[str, tuple[frozenset[str], str]]] = {
    "answer": (frozenset({"open"}), "answered"),
    "close": (frozenset({"open", "answered"}), "closed"),
    "reopen": (frozenset({"answered", "closed"}), "open"),
    "cancel": (frozenset({"open", "answered"}), "cancelled"),
}

MESSAGE_KINDS: Final[tuple[str, ...]] = ("open", *STEPS)

CHECK_AUTHOR: Final[str] = "system:check:"
"""The prefix of the author of a query raised by an automatic check (``system:check:<rule>``)."""

_PARTICIPLE = {
    "answer": "answered",
    "close": "closed",
    "reopen": "re-opened",
    "cancel": "cancelled",
}


def next_status(status: str, step: str) -> str:
    """The status a query in ``status`` moves to by ``step`` (answer, close, reopen, cancel);
    :class:`StateError` when the step does not apply."""
    if step not in STEPS:
        raise ValidationError("step", step, Expected("one of %(values)s", values=", ".join(STEPS)))
    starts, to = STEPS[step]
    if status not in starts:
        possible = [s for s, (f, _) in STEPS.items() if status in f]
        hint = f" (from {status}: {', '.join(possible)})" if possible else " (it is final)"
        raise StateError(
            Message(
                "a %(status)s query cannot be %(participle)s%(hint)s",
                status=status,
                participle=_PARTICIPLE[step],
                hint=hint,
            )
        )
    return to


def check_author(rule: str) -> str:
    """The author of a query raised by the automatic check ``rule``.

    >>> check_author("visit_window")
    'system:check:visit_window'
    """
    return CHECK_AUTHOR + rule


@dataclass(frozen=True)
class QueryMessage:
    """One message of a query's thread: its kind (open, answer, close, reopen, cancel), who
    wrote it and when (UTC), the text, and the correction made with an answer."""

    id: int
    kind: str
    author: str
    at: datetime
    text: str
    correction: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "kind": self.kind,
            "author": self.author,
            "at": self.at.isoformat(),
            "text": self.text,
            "correction": None if self.correction is None else dict(self.correction),
        }


@dataclass(frozen=True)
class Query:
    """A data query on a record (``field`` ``None``) or one field of it, with its thread.

    ``rule`` names the automatic check that raised it (``None``: raised by a person);
    ``age_days`` counts the days since it was opened (until it was closed or cancelled).
    """

    id: int
    subject_id: str
    site: str
    entity: str
    record_id: int
    field: str | None
    status: str
    opened_by: str
    opened_at: datetime
    version: int
    rule: str | None = None
    closed_at: datetime | None = None
    messages: tuple[QueryMessage, ...] = _field(default=())
    age_days: int = 0

    @property
    def text(self) -> str:
        """The question (the text of the opening message)."""
        return self.messages[0].text if self.messages else ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the thread."""
        return {
            "id": self.id,
            "subject_id": self.subject_id,
            "site": self.site,
            "entity": self.entity,
            "record_id": self.record_id,
            "field": self.field,
            "status": self.status,
            "rule": self.rule,
            "opened_by": self.opened_by,
            "opened_at": self.opened_at.isoformat(),
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "age_days": self.age_days,
            "version": self.version,
            "text": self.text,
            "messages": [m.to_dict() for m in self.messages],
        }
