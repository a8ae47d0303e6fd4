"""ASGI middleware of the web app.

:class:`SQLiteWriteGate`: SQLite allows one writer at a time; concurrent writers otherwise spin
on the busy timeout (SQLite's busy handler sleeps 1, 2, 5 … 100 ms between retries), which
makes the latency tail long. The gate queues mutating requests (POST, PUT, PATCH, DELETE) in
the event loop, first come first served, so each reaches the database when the previous one
is done. Requests that do not write study data (login, the live score) pass freely.
PostgreSQL needs no gate.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["SQLiteWriteGate"]

_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FREE_PATHS = ("/login",)
_FREE_SUFFIXES = ("/score",)


class SQLiteWriteGate:
    """Serialise mutating HTTP requests (one at a time, in arrival order)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lock: asyncio.Lock | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if (
            scope["type"] != "http"
            or scope.get("method") not in _MUTATING
            or path in _FREE_PATHS
            or path.endswith(_FREE_SUFFIXES)
        ):
            await self.app(scope, receive, send)
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            await self.app(scope, receive, send)
