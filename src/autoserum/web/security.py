"""Security primitives of the web app: CSRF and login throttling (password hashing and API
tokens live in :mod:`autoserum.accounts`, shared with the store and the CLI).

* CSRF: a synchronizer token kept in the signed session, sent back in a hidden form field
  ``csrf_token`` or, for htmx requests, in the ``X-CSRF-Token`` header (OWASP CSRF cheat sheet).
* Failed logins are throttled per client address (sliding window) on top of the per-account
  lockout kept by the store.

Example::

    >>> csrf_matches(new_csrf_token(), "forged")
    False
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

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
    """Sliding-window limit of failed logins per client address (thread-safe, in memory).

    >>> t = LoginThrottle(limit=2, window=60.0)
    >>> t.failure("10.0.0.1", now=0.0); t.failure("10.0.0.1", now=1.0)
    >>> t.blocked("10.0.0.1", now=2.0), t.blocked("10.0.0.1", now=61.5)
    (True, False)
    """

    def __init__(self, *, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def blocked(self, key: str, *, now: float | None = None) -> bool:
        """True when ``key`` has reached the limit of failures within the window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return len(self._prune(key, now)) >= self.limit

    def failure(self, key: str, *, now: float | None = None) -> None:
        """Record one failed login from ``key``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._prune(key, now).append(now)
