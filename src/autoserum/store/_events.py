"""The security-event stream: logins, failed logins, lockouts, API tokens created and revoked,
password changes, exports and unblinding views (:data:`SECURITY_EVENTS`), apart from the data
changes of the audit trail, append-only and hash-chained by the audit trail's code
(:data:`autoserum.store._chain.SECURITY`; ``autoserum audit verify`` checks it).

Events about accounts are written in the transaction of the change they record (a token and its
``token_created`` event commit together); the others in a short transaction of their own.
Reading them is an administrator's right (``autoserum audit events``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, insert, select, type_coerce
from sqlalchemy.orm import Session

from autoserum.errors import Expected, ValidationError
from autoserum.store._base import Actor, Service
from autoserum.store._chain import SECURITY, link
from autoserum.store._types import dumps, utcnow
from autoserum.store.models import SECURITY_EVENTS, SecurityEventRow

__all__ = ["SECURITY_EVENTS", "SecurityEvent", "SecurityEventService", "append_event"]

logger = logging.getLogger("autoserum.store.security")
_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
MAX_EVENTS = 10_000


@dataclass(frozen=True)
class SecurityEvent:
    """One security event: ``detail`` is the decoded JSON object (or ``None``)."""

    id: int
    at: datetime
    kind: str
    username: str | None
    actor: str
    client: str | None
    detail: Any

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``at`` as ISO 8601 UTC)."""
        out = dict(vars(self))
        out["at"] = self.at.isoformat().replace("+00:00", "Z")
        return out


def _cut(value: str | None, size: int) -> str | None:
    return None if value is None else value[:size]


def append_event(
    s: Session,
    kind: str,
    *,
    actor: str,
    username: str | None = None,
    client: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one event of ``kind`` in the transaction of ``s`` (chained to the last one)."""
    if kind not in SECURITY_EVENTS:  # a programming error, never user input
        raise ValidationError(
            "kind", kind, Expected("one of %(values)s", values=", ".join(SECURITY_EVENTS))
        )
    row: dict[str, Any] = {
        "at": at or utcnow(),
        "kind": kind,
        "username": _cut(username, 200),
        "actor": _cut(actor, 100) or "?",
        "client": _cut(client, 200),
        "detail": None if detail is None else dumps(dict(detail)),
    }
    conn = s.connection()
    link(conn, [row], stream=SECURITY)
    conn.execute(insert(SecurityEventRow), [row])


class SecurityEventService(Service):
    """``store.events``: record and read the security events."""

    def record(
        self,
        kind: str,
        *,
        actor: Actor,
        username: str | None = None,
        client: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Record an event that no other write carries (an export, an unblinding view)."""
        with self._write(actor) as s:
            append_event(
                s, kind, actor=actor.username, username=username, client=client, detail=detail
            )

    def events(
        self,
        *,
        actor: Actor,
        kind: str | None = None,
        username: str | None = None,
        since: datetime | None = None,
        before: int | None = None,
        limit: int = 1000,
    ) -> list[SecurityEvent]:
        """The newest ``limit`` events (at most :data:`MAX_EVENTS`), oldest first, optionally
        of one ``kind``, about or by ``username``, after ``since``, or with an id below
        ``before`` (the cursor of the next older page: the smallest id of a page) (who may
        manage users, and the database owner's CLI). A malformed row is skipped with a warning
        (``audit verify`` reports it)."""
        self._require(actor, "manage_users")
        if kind is not None and kind not in SECURITY_EVENTS:
            raise ValidationError(
                "kind", kind, Expected("one of %(values)s", values=", ".join(SECURITY_EVENTS))
            )
        if not 1 <= limit <= MAX_EVENTS:
            raise ValidationError(
                "limit", limit, Expected("1 to %(max_events)s", max_events=MAX_EVENTS)
            )
        t = SecurityEventRow
        stmt = select(
            t.id,
            type_coerce(t.at, String).label("at"),
            t.kind,
            t.username,
            t.actor,
            t.client,
            t.detail,
        )
        if kind is not None:
            stmt = stmt.where(t.kind == kind)
        if username is not None:
            stmt = stmt.where((t.username == username) | (t.actor == username))
        if since is not None:
            stmt = stmt.where(t.at > since)
        if before is not None:
            stmt = stmt.where(t.id < before)
        with self._read() as s:
            rows = list(s.execute(stmt.order_by(t.id.desc()).limit(limit)))
        out: list[SecurityEvent] = []
        for row in reversed(rows):
            try:
                out.append(
                    SecurityEvent(
                        id=row.id,
                        at=datetime.strptime(row.at, _AT_FORMAT).replace(tzinfo=UTC),
                        kind=row.kind,
                        username=row.username,
                        actor=row.actor,
                        client=row.client,
                        detail=None if row.detail is None else json.loads(row.detail),
                    )
                )
            except (TypeError, ValueError) as err:
                logger.warning("security event %s is malformed and was skipped: %s", row.id, err)
        return out
