"""ASGI middleware of the web app: security headers (HSTS in production; ``no-store`` on pages
and API responses, which carry subject data; static assets may be cached).

SQLite's one-writer-at-a-time rule is kept by the store itself (a first-come-first-served lock
held for the span of each write transaction, see ``autoserum.store._base.FifoLock``), so that
parsing, validation, scoring and the response of one request overlap another's commit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HSTS", "SECURITY_HEADERS", "SecurityHeaders"]

#: HTTPS only for a year, subdomains included (sent in production, which runs behind TLS).
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

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
    """Add :data:`SECURITY_HEADERS` to every HTTP response, ``Cache-Control: no-store`` to every
    response but static assets, and with ``hsts`` (production, behind TLS)
    ``Strict-Transport-Security``; drop any ``Server`` header."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                names = {k.lower() for k, _ in headers}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if not static and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                if self.hsts:
                    extra.append(HSTS)
                message = {**message, "headers": [*headers, *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
