"""Login sessions: a random session id in the signed cookie, its hash in the store.

The cookie (Starlette's ``SessionMiddleware``, signed with the app's secret by ``itsdangerous``)
is HttpOnly, SameSite=Lax and, in production, Secure. It holds the session id, the CSRF token
and the time of last use; the store keeps only the SHA-256 of the session id with its absolute
expiry, so logging out (or an administrator deleting sessions) ends a session for good. A
session expires ``session_max_age`` seconds after login or ``session_idle_timeout`` seconds
after its last use.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

from fastapi import Request

from autoserum.accounts import hash_token
from autoserum.store import Store, UserRecord
from autoserum.web.security import new_csrf_token
from autoserum.web.settings import Settings

__all__ = [
    "MAX_FLASH",
    "csrf_token",
    "end_session",
    "flash",
    "pop_flash",
    "session_user",
    "start_session",
]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


def start_session(request: Request, store: Store, settings: Settings, username: str) -> None:
    """Log ``username`` in with a fresh session id and CSRF token (no session fixation)."""
    request.session.clear()
    sid = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(seconds=settings.session_max_age)
    store.accounts.create_session(username, hash_token(sid), expires)
    request.session.update({"sid": sid, "seen_at": int(time.time())})
    csrf_token(request)


def end_session(request: Request, store: Store) -> None:
    """Log out: delete the session in the store and forget the cookie's content."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        store.accounts.delete_session(hash_token(sid))
    request.session.clear()


def session_user(request: Request, store: Store, settings: Settings) -> UserRecord | None:
    """The logged-in user, or None when absent, expired or idle too long (then cleared)."""
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        return None
    now = int(time.time())
    seen_at = request.session.get("seen_at", 0)
    record = None
    if isinstance(seen_at, int) and now - seen_at <= settings.session_idle_timeout:
        record = store.accounts.user_for_session(hash_token(sid))
    if record is None:
        end_session(request, store)
        return None
    if now - seen_at >= 30:  # refresh the idle clock without rewriting the cookie every request
        request.session["seen_at"] = now
    return record


#: a flash message rides in the signed session cookie, which browsers drop beyond 4096 bytes;
#: longer messages are cut (the record itself is on the page the user is sent to)
MAX_FLASH = 200


def flash(request: Request, message: str) -> None:
    """Show ``message`` once, on the next page rendered (at most :data:`MAX_FLASH` characters).

    >>> from starlette.requests import Request
    >>> request = Request({"type": "http", "session": {}})
    >>> flash(request, "Adverse event " + "x" * 20_000 + " recorded.")
    >>> message = request.session["flash"]
    >>> len(message) == MAX_FLASH, "…" in message, message.endswith(" recorded.")
    (True, True, True)
    """
    if len(message) > MAX_FLASH:
        keep = MAX_FLASH - 12
        message = message[: keep // 2] + "…" + message[len(message) - (MAX_FLASH - 1 - keep // 2) :]
    request.session["flash"] = message


def pop_flash(request: Request) -> str | None:
    """The pending flash message (removed from the session)."""
    message = request.session.pop("flash", None)
    return message if isinstance(message, str) else None
