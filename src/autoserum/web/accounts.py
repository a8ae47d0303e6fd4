"""Authentication against the store's user table: password check, lockout, throttle.

Every attempt is counted by the store **before** the password is checked
(:meth:`Store.accounts.begin_login`): the account's failures in a row and the client address's
failures within a minute. ``login_max_failures`` failures in a row lock the account for
``lockout_seconds`` (OWASP authentication cheat sheet); an address over
``login_rate_per_minute`` is refused for the rest of its minute. A success takes its count back.

Locked, unknown and wrong all answer :data:`GENERIC_FAILURE` after the same argon2 work (a
verification against a dummy hash when there is nothing to check), so neither the message nor
the time tells which. The argon2 work runs inside a :class:`HashingLimit` slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from autoserum.accounts import verify_password
from autoserum.i18n import N_
from autoserum.store import LoginLimits, Store
from autoserum.web.deps import CurrentUser, user_from_record
from autoserum.web.security import HashingLimit
from autoserum.web.settings import Settings

__all__ = ["GENERIC_FAILURE", "THROTTLED", "LoginOutcome", "authenticate", "login_limits"]

GENERIC_FAILURE = N_(
    "Invalid username or password. After repeated failed logins an account is locked for a "
    "while; an administrator can unlock it."
)
THROTTLED = N_("Too many failed logins from this device; wait a minute and try again.")


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt: the user, or the message to show; ``kind`` says what
    happened (for the security events, never for the user): ``login``, ``wrong_password``,
    ``lockout`` (this attempt locked the account), ``locked``, ``unknown_user`` or
    ``throttled``."""

    user: CurrentUser | None
    message: str | None = None
    kind: str = "login"


def login_limits(settings: Settings) -> LoginLimits:
    """The store's login limits from the web app's settings."""
    return LoginLimits(
        max_failures=settings.login_max_failures,
        lockout=timedelta(seconds=settings.lockout_seconds),
        per_client=settings.login_rate_per_minute,
        window=timedelta(seconds=60),
    )


def authenticate(
    store: Store,
    settings: Settings,
    username: str,
    password: str,
    *,
    client: str,
    limit: HashingLimit,
) -> LoginOutcome:
    """Check ``username``/``password`` from address ``client``; never raise on bad input
    (:class:`autoserum.errors.BusyError` when no hashing slot frees in time: nothing counted)."""
    with limit.slot():
        now = datetime.now(UTC)
        attempt = store.accounts.begin_login(
            username, client=client, at=now, limits=login_limits(settings)
        )
        if attempt.outcome == "throttled":
            return LoginOutcome(None, THROTTLED, "throttled")
        right = verify_password(attempt.password_hash, password)
    right = right and attempt.outcome == "checked"
    store.accounts.finish_login(username, attempt=attempt, right=right, client=client, at=now)
    if attempt.outcome != "checked":
        kind = "locked" if attempt.outcome == "locked" else "unknown_user"
        return LoginOutcome(None, GENERIC_FAILURE, kind)
    if not right:
        return LoginOutcome(None, GENERIC_FAILURE, "lockout" if attempt.locks else "wrong_password")
    record = store.accounts.get_user(username)
    if record is None:  # deleted meanwhile
        return LoginOutcome(None, GENERIC_FAILURE, "unknown_user")
    return LoginOutcome(user_from_record(record))
