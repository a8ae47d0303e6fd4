"""Security primitives of the web app: password hashing, API tokens, CSRF, login throttling.

* Passwords are hashed with argon2id (``argon2-cffi``, RFC 9106 low-memory profile defaults).
* Personal API tokens are 256-bit random strings shown once; only their SHA-256 is stored (a
  token has full entropy, so a fast hash is the right tool, as GitHub and Django REST do).
* CSRF: a synchronizer token kept in the signed session, sent back in a hidden form field
  ``csrf_token`` or, for htmx requests, in the ``X-CSRF-Token`` header (OWASP CSRF cheat sheet).
* Failed logins are throttled per client address (sliding window, counted in the database so
  that all server processes share it) on top of the per-account lockout kept by the store.

Example::

    >>> h = hash_password("correct horse battery staple")
    >>> verify_password(h, "correct horse battery staple")
    True
    >>> verify_password(h, "wrong")
    False
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

if TYPE_CHECKING:
    from autoserum.store import Store

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "TOKEN_PREFIX",
    "LoginThrottle",
    "csrf_matches",
    "hash_password",
    "hash_token",
    "needs_rehash",
    "new_csrf_token",
    "new_token",
    "verify_password",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
TOKEN_PREFIX = "ast_"

_hasher = PasswordHasher()
# A hash of a random password, verified against when the user does not exist so that the
# response time does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted, with its parameters encoded)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True iff ``password`` matches ``password_hash``; constant work when the hash is None."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A new personal API token (shown to the user once, never stored in clear)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of an API token: hex SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
        return self.store.login_failures(key, since=now - self.window) >= self.limit

    def failure(self, key: str, *, now: datetime | None = None) -> None:
        """Record one failed login from ``key``."""
        now = datetime.now(UTC) if now is None else now
        self.store.record_login_failure(key, at=now, keep=self.window)
