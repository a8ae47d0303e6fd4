"""Bounded requests: a body-size limit enforced before anything parses the body, and API
requests refused before their body is read when they carry no bearer token.

The limit is read from ``Content-Length`` (a larger declared body is refused at once, unread)
and counted on the streamed body (a chunked or lying client is cut off when the count passes the
limit): HTTP 413 in both cases. Multipart uploads get the upload limit, everything else the JSON
and form limit (``AUTOSERUM_MAX_BODY_BYTES``, ``AUTOSERUM_MAX_UPLOAD_BYTES``).
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "BodyTooLarge"]


class BodyTooLarge(HTTPException):
    """The streamed body passed the limit (HTTP 413 through the app's error handlers)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the limit of {limit} bytes")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


async def _respond(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies over ``max_body`` (``max_upload`` for ``multipart/form-data``) with 413,
    and API writes without ``Authorization: Bearer`` with 401, before the body is read."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = (_header(scope, b"content-type") or b"").lower()
        limit = self.max_upload if content_type.startswith(b"multipart/") else self.max_body
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            await _respond(send, 413, f"request body over the limit of {limit} bytes", [])
            return
        path = str(scope.get("path", ""))
        auth = (_header(scope, b"authorization") or b"").strip()
        has_body = declared not in (None, b"0") or _header(scope, b"transfer-encoding") is not None
        if path.startswith("/api/") and has_body and not auth.lower().startswith(b"bearer "):
            detail = "missing API token: send 'Authorization: Bearer <token>'"
            await _respond(send, 401, detail, [(b"www-authenticate", b"Bearer")])
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await _respond(send, 413, f"request body over the limit of {limit} bytes", [])
