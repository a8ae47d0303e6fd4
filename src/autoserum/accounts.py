"""Credentials of the web app's accounts: password hashing and policy, personal API tokens.

Pure functions, used by the web app (login, sessions, tokens), the store's account service and
the CLI (``autoserum user add|passwd|token``), so that none of them imports another to hash a
password.

* Passwords are hashed with argon2id (``argon2-cffi``, RFC 9106 low-memory profile defaults) and
  must have at least :data:`MIN_PASSWORD_LENGTH` characters (NIST SP 800-63B §5.1.1.2 asks for at
  least 8; 12 is the OWASP recommendation for accounts without a second factor).
* Personal API tokens are 256-bit random strings shown once; only their SHA-256 is stored (a
  token has full entropy, so a fast hash is the right tool, as GitHub and Django REST do).
  Login session ids are stored the same way.

Example::

    >>> h = hash_password("correct horse battery staple")
    >>> verify_password(h, "correct horse battery staple"), verify_password(h, "wrong")
    (True, False)
    >>> check_password("short")
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: password: got '<hidden>'; expected at least 12 characters ...
    >>> token = new_token()
    >>> token.startswith(TOKEN_PREFIX), len(hash_token(token))
    (True, 64)
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from autoserum.errors import ValidationError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "TOKEN_PREFIX",
    "check_password",
    "hash_password",
    "hash_token",
    "needs_rehash",
    "new_token",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "ast_"

_hasher = PasswordHasher()
# A hash of a random password, verified against when the user does not exist so that the
# response time does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_password(password: str) -> str:
    """``password`` if it meets the policy (the length), else a ValidationError that never
    shows it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "password",
            "<hidden>",
            f"at least {MIN_PASSWORD_LENGTH} characters (got {len(password)})",
        )
    return password


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
    """The stored form of an API token or a session id: hex SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
