"""Audit records grouped into change events, the unit a monitor reviews: one record changed in
one transaction (who, when, which record, why) with the differences of its fields beneath.

A JSON object value (an instrument's item payload, a deleted record) is compared key by key,
so a correction of one item of a 20-item instrument shows that one item, and an insert shows
the items recorded (empty items left out). The ``version`` counter is not a change of its own:
it is the event's ``version``.

>>> from datetime import UTC, datetime
>>> at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
>>> def rec(i, field, old, new):
...     return AuditRecord(i, "t1", at, "ada", "admin", "assessment", 7, "update", field,
...                        old, new, "typo", "S01")
>>> [event] = change_events([
...     rec(1, "payload", {"itch": 3, "sleep": 2}, {"itch": 4, "sleep": 2}),
...     rec(2, "total", "5", "6"),
...     rec(3, "version", 1, 2),
... ])
>>> event.record, event.version, [(c.field, c.old, c.new) for c in event.changes]
('assessment 7', 2, [('payload.itch', 3, 4), ('total', '5', '6')])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from autoserum.store._trail import AuditRecord

__all__ = ["ChangeEvent", "FieldChange", "change_events", "field_changes", "import_changes"]


@dataclass(frozen=True)
class FieldChange:
    """One field (or one item of a JSON field, ``payload.item``) from ``old`` to ``new``."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ChangeEvent:
    """One record changed in one transaction: who, when, which record, why, and how."""

    first_id: int
    txn: str
    at: datetime
    username: str
    role: str
    entity: str
    record_id: int
    action: str
    reason: str | None
    subject_id: str | None
    version: int | None
    changes: tuple[FieldChange, ...]

    @property
    def record(self) -> str:
        """The record as ``entity id``."""
        return f"{self.entity} {self.record_id}"


def _flat(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key in sorted(value):
            yield from _flat(f"{prefix}.{key}" if prefix else str(key), value[key])
    else:
        yield prefix, value


def field_changes(field: str | None, old: Any, new: Any) -> list[FieldChange]:
    """The differences of one audit record: key by key for JSON objects (unchanged keys and
    keys empty on both sides left out), else the field itself."""
    if isinstance(old, Mapping) or isinstance(new, Mapping):
        before = dict(_flat(field or "", old if isinstance(old, Mapping) else {}))
        after = dict(_flat(field or "", new if isinstance(new, Mapping) else {}))
        return [
            FieldChange(key, before.get(key), after.get(key))
            for key in sorted(before.keys() | after.keys())
            if before.get(key) != after.get(key)
        ]
    return [FieldChange(field or "", old, new)]


def import_changes(value: Any) -> list[FieldChange]:
    """What an import's batch row shows a reviewer: how many records and their ids, the file,
    its lines and the hashes (the records themselves are in the row, for replay)."""
    if not isinstance(value, Mapping) or not isinstance(value.get("records"), Mapping):
        return [FieldChange("", None, value)]
    ids = value["records"].get("ids") or [None]
    lines = value.get("lines") or [None, None]
    return [
        FieldChange("records", None, f"{len(ids)} (ids {ids[0]}–{ids[-1]})"),
        FieldChange("file", None, value.get("file")),
        FieldChange("lines", None, f"{lines[0]}–{lines[-1]}"),
        FieldChange("file_sha256", None, value.get("file_sha256")),
        FieldChange("content_sha256", None, value.get("content_sha256")),
    ]


def change_events(records: Iterable[AuditRecord]) -> list[ChangeEvent]:
    """``records`` (oldest first) as change events, in the order of their first record."""
    groups: dict[tuple[str, str, int, str], list[AuditRecord]] = {}
    for r in records:
        groups.setdefault((r.txn, r.entity, r.record_id, r.action), []).append(r)
    events = []
    for members in groups.values():
        first = members[0]
        version = None
        changes: list[FieldChange] = []
        for r in members:
            if r.action == "import":
                changes += import_changes(r.new_value)
                continue
            if r.action == "remove" and isinstance(r.old_value, Mapping):
                ids = r.old_value.get("ids") or [None]
                changes.append(FieldChange("records", f"{len(ids)} (ids {ids[0]}–{ids[-1]})", None))
                continue
            if r.field == "version":
                version = r.new_value if isinstance(r.new_value, int) else None
                continue
            changes += field_changes(r.field, r.old_value, r.new_value)
        events.append(
            ChangeEvent(
                first_id=first.id,
                txn=first.txn,
                at=first.at,
                username=first.username,
                role=first.role,
                entity=first.entity,
                record_id=first.record_id,
                action=first.action,
                reason=first.reason,
                subject_id=first.subject_id,
                version=version,
                changes=tuple(changes),
            )
        )
    return events
