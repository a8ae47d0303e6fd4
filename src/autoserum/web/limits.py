"""Bounded requests: API requests authenticated before their body is read, and a body-size
limit enforced before anything parses the body.

An ``/api/`` request carrying ``Authorization: Bearer`` has its token checked here, first (a
database read, never a write for an unknown token): a made-up token gets 401 with its body
unread, whatever its size or shape; a valid one's user is handed to the routes
(:func:`api_user_of`), so the token is looked up once per request. An ``/api/`` request with a
body but no bearer token gets 401 unread too.

The size limit is read from ``Content-Length`` (a larger declared body is refused at once,
unread) and counted on the streamed body (a chunked or lying client is cut off when the count
passes the limit): HTTP 413 in both cases. Multipart uploads get the upload limit, everything
else the JSON and form limit (``AUTOSERUM_MAX_BODY_BYTES``, ``AUTOSERUM_MAX_UPLOAD_BYTES``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autoserum.accounts import hash_token
from autoserum.store import UserRecord

__all__ = ["API_USER", "BodyLimit", "BodyTooLarge", "api_user_of"]

API_USER = "autoserum_api_user"
"""The key of the authenticated API user in the request's state (``scope["state"]``)."""
_MISSING = "missing API token: send 'Authorization: Bearer <token>'"
_INVALID = "invalid, expired or revoked API token"


def api_user_of(scope: Scope) -> UserRecord | None:
    """The user whose API token :class:`BodyLimit` accepted for this request, if any."""
    state: Any = scope.get("state") or {}
    user = state.get(API_USER)
    return user if isinstance(user, UserRecord) else None


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
    """Check API tokens (``lookup``: token hash → user or ``None``) and refuse API requests with
    a body but no valid token with 401; refuse bodies over ``max_body`` (``max_upload`` for
    ``multipart/form-data``) with 413; all before the body is read."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        max_upload: int,
        lookup: Callable[[str], UserRecord | None],
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.lookup = lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if str(scope.get("path", "")).startswith("/api/"):
            has_body = (
                declared not in (None, b"0") or _header(scope, b"transfer-encoding") is not None
            )
            refused = await self._authenticate(scope, has_body=has_body)
            if refused is not None:
                await _respond(send, 401, refused, [(b"www-authenticate", b"Bearer")])
                return
        content_type = (_header(scope, b"content-type") or b"").lower()
        limit = self.max_upload if content_type.startswith(b"multipart/") else self.max_body
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            await _respond(send, 413, f"request body over the limit of {limit} bytes", [])
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

    async def _authenticate(self, scope: Scope, *, has_body: bool) -> str | None:
        """Check the bearer token of an API request (its user goes into the request's state);
        the reason to refuse it unread, or ``None``."""
        header = (_header(scope, b"authorization") or b"").decode("latin-1").strip()
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _MISSING if has_body else None  # routes without a body answer 401 themselves
        user = await run_in_threadpool(self.lookup, hash_token(token.strip()))
        if user is None:
            return _INVALID
        scope.setdefault("state", {})[API_USER] = user
        return None
