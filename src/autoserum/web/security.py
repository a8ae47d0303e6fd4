"""Security primitives of the web app: CSRF and login throttling (password hashing and API
tokens live in :mod:`autoserum.accounts`, shared with the store and the CLI).

* CSRF: a synchronizer token kept in the signed session, sent back in a hidden form field
  ``csrf_token`` or, for htmx requests, in the ``X-CSRF-Token`` header (OWASP CSRF cheat sheet).
* Failed logins are throttled per client address (sliding window, counted in the database so
  that all server processes share it) on top of the per-account lockout kept by the store.

Example::

    >>> csrf_matches(new_csrf_token(), "forged")
    False
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autoserum.store import Store

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "LoginThrottle", "csrf_matches", "new_csrf_token"]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def new_csrf_token() -> str:
    """A new CSRF synchronizer token."""
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one sent."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class LoginThrottle:
    """Sliding-window limit of failed logins per client address, kept in the database so that
    every server process counts the same failures.

    >>> from datetime import UTC, datetime, timedelta
    >>> from autoserum.store import open_store
    >>> t = LoginThrottle(open_store("sqlite://"), limit=2, window=60.0)
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> t.failure("10.0.0.1", now=t0); t.failure("10.0.0.1", now=t0 + timedelta(seconds=1))
    >>> t.blocked("10.0.0.1", now=t0 + timedelta(seconds=2))
    True
    >>> t.blocked("10.0.0.1", now=t0 + timedelta(seconds=61.5))
    False
    """

    def __init__(self, store: Store, *, limit: int, window: float = 60.0) -> None:
        self.store = store
        self.limit = limit
        self.window = timedelta(seconds=window)

    def blocked(self, key: str, *, now: datetime | None = None) -> bool:
        """True when ``key`` has reached the limit of failures within the window."""
        now = datetime.now(UTC) if now is None else now
        return self.store.accounts.login_failures(key, since=now - self.window) >= self.limit

    def failure(self, key: str, *, now: datetime | None = None) -> None:
        """Record one failed login from ``key``."""
        now = datetime.now(UTC) if now is None else now
        self.store.accounts.record_login_failure(key, at=now, keep=self.window)
