"""ASGI middleware of the web app: security headers, and the SQLite write gate.

:class:`SQLiteWriteGate`: SQLite allows one writer at a time; concurrent writers otherwise spin
on the busy timeout (SQLite's busy handler sleeps 1, 2, 5 … 100 ms between retries), which
makes the latency tail long. The gate queues mutating requests (POST, PUT, PATCH, DELETE) in
the event loop, first come first served, so each reaches the database when the previous one
is done. Requests that do not write study data (login, the live score) pass freely.
PostgreSQL needs no gate.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SECURITY_HEADERS", "SQLiteWriteGate", "SecurityHeaders"]

#: Sent with every response: no framing, no MIME sniffing, assets from this origin only.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
)


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
