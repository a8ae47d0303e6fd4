"""Credentials of the web app's accounts: password hashing and policy, personal API tokens.

Pure functions, used by the web app (login, sessions, tokens), the store's account service and
the CLI (``autoserum user add|passwd|token``), so that none of them imports another to hash a
password.

* Passwords are hashed with argon2id (``argon2-cffi``, RFC 9106 low-memory profile defaults) and
  must have at least :data:`MIN_PASSWORD_LENGTH` characters (NIST SP 800-63B §5.1.1.2 asks for at
  least 8; 12 is the OWASP recommendation for accounts without a second factor) and be hard to
  guess: zxcvbn (Wheeler 2016, USENIX Security) scores it at least :data:`MIN_PASSWORD_SCORE` of
  4 against common passwords, dictionary words, keyboard patterns, repeats, dates and the
  username (NIST SP 800-63B §5.1.1.2: compare with commonly used and context-specific values).
* Usernames are stored NFKC-normalised (Unicode UAX #15) and refused when they mix scripts with
  confusable characters (Cyrillic ``а`` in ``аdmin``; Unicode TR39 via ``confusable-homoglyphs``);
  :func:`username_skeleton` is the form the store compares to refuse a look-alike of an existing
  name.
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
    >>> check_password("aaaaaaaaaaaa")
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: password: got '<hidden>'; expected a password that is ...
    >>> normalise_username("ａｄａ"), username_skeleton("Ada") == username_skeleton("Аda")
    ('ada', True)
    >>> token = new_token()
    >>> token.startswith(TOKEN_PREFIX), len(hash_token(token))
    (True, 64)
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import unicodedata
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from autoserum.errors import Expected, ValidationError

__all__ = [
    "MAX_USERNAME_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "MIN_PASSWORD_SCORE",
    "TOKEN_DAYS",
    "TOKEN_PREFIX",
    "check_password",
    "hash_password",
    "hash_token",
    "needs_rehash",
    "new_token",
    "normalise_username",
    "username_skeleton",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 12
#: the least zxcvbn score (0–4) a password needs: 3 = "safely unguessable: moderate protection
#: from offline slow-hash scenario" (zxcvbn's README)
MIN_PASSWORD_SCORE = 3
MAX_USERNAME_LENGTH = 100
#: the default lifetime of a personal API token, days
TOKEN_DAYS = 90
TOKEN_PREFIX = "ast_"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password, verified against when the user does not exist so that the
    response time does not reveal which usernames exist (made on first use, not at import:
    one argon2 hashing costs ~0.1 s, which every CLI command importing this module paid)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password(password: str, *, context: Iterable[str] = ()) -> str:
    """``password`` if it meets the policy (length, then zxcvbn strength with ``context``,
    e.g. the username, counted as guessable), else a ValidationError that never shows it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "password",
            "<hidden>",
            Expected(
                "at least %(min_password_length)s characters (got %(count)s)",
                min_password_length=MIN_PASSWORD_LENGTH,
                count=len(password),
            ),
        )
    from zxcvbn import zxcvbn  # loads its dictionaries on first use

    # zxcvbn's cost grows with the length; what matters is in the first 100 characters
    result = zxcvbn(password[:100], user_inputs=[c for c in context if c])
    if int(result["score"]) < MIN_PASSWORD_SCORE:
        feedback = result["feedback"]
        hints = " ".join([feedback.get("warning") or "", *feedback.get("suggestions", [])]).strip()
        raise ValidationError(
            "password",
            "<hidden>",
            Expected(
                "a password that is hard to guess (strength %(result)s of 4, "
                "needs %(min_password_score)s)%(hints)s",
                result=result["score"],
                min_password_score=MIN_PASSWORD_SCORE,
                hints=": " + hints if hints else "",
            ),
        )
    return password


def normalise_username(username: str) -> str:
    """``username`` NFKC-normalised and stripped, if it is a usable login name: 1 to
    :data:`MAX_USERNAME_LENGTH` characters, no spaces or control characters, not mixing scripts
    with confusable characters. A ValidationError otherwise."""
    name = unicodedata.normalize("NFKC", username).strip()
    if not name or len(name) > MAX_USERNAME_LENGTH:
        raise ValidationError(
            "username",
            username,
            Expected(
                "1 to %(max_username_length)s characters after NFKC",
                max_username_length=MAX_USERNAME_LENGTH,
            ),
        )
    if any(ch.isspace() or unicodedata.category(ch)[0] in {"C", "Z"} for ch in name):
        raise ValidationError(
            "username", username, Expected("no spaces, control or invisible characters")
        )
    from confusable_homoglyphs import confusables

    if confusables.is_dangerous(name):
        raise ValidationError(
            "username",
            username,
            Expected("letters of one script (it mixes scripts with look-alike characters)"),
        )
    return name


def username_skeleton(username: str) -> str:
    """The form two usernames share when they look alike: NFKC, case-folded, each character
    with a Latin look-alike (Unicode TR39 confusables) replaced by it."""
    from confusable_homoglyphs import confusables

    name = unicodedata.normalize("NFKC", username).strip().casefold()
    found = confusables.is_confusable(name, greedy=True, preferred_aliases=["latin"]) or []
    swap = {f["character"]: f["homoglyphs"][0]["c"] for f in found if f["homoglyphs"]}
    return "".join(swap.get(ch, ch) for ch in name).casefold()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted, with its parameters encoded)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True iff ``password`` matches ``password_hash``; constant work when the hash is None."""
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), password)
        return matched and password_hash is not None
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
