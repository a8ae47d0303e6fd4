"""Authentication against the store's user table: password check, lockout, API tokens.

A failed password increments the user's failure count; ``login_max_failures`` failures in a
row lock the account for ``lockout_seconds`` (OWASP authentication cheat sheet). A success
resets the count. Unknown usernames cost the same argon2 verification as known ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from autoserum.accounts import verify_password
from autoserum.store import Store
from autoserum.web.deps import CurrentUser, user_from_record
from autoserum.web.settings import Settings

__all__ = ["GENERIC_FAILURE", "LoginOutcome", "authenticate"]

GENERIC_FAILURE = "Invalid username or password."


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt: the user, or the message to show."""

    user: CurrentUser | None
    message: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def authenticate(store: Store, settings: Settings, username: str, password: str) -> LoginOutcome:
    """Check ``username``/``password``; update the login state; never raise on bad input."""
    record = store.accounts.get_user(username)
    if record is None or not record.active:
        verify_password(None, password)
        return LoginOutcome(None, GENERIC_FAILURE)
    now = _now()
    locked_until = _aware(record.locked_until)
    if locked_until is not None and locked_until > now:
        verify_password(None, password)
        minutes = max(1, round((locked_until - now).total_seconds() / 60))
        return LoginOutcome(
            None,
            f"This account is locked after repeated failed logins; try again in {minutes} "
            "minute(s) or ask an administrator.",
        )
    if not verify_password(record.password_hash, password):
        failures = record.failed_logins + 1
        lock = None
        if failures >= settings.login_max_failures:
            lock = now + timedelta(seconds=settings.lockout_seconds)
            failures = 0
        store.accounts.record_login_state(username, failed_logins=failures, locked_until=lock)
        if lock is not None:
            return LoginOutcome(
                None,
                "Too many failed logins: this account is locked for "
                f"{settings.lockout_seconds // 60} minute(s).",
            )
        return LoginOutcome(None, GENERIC_FAILURE)
    store.accounts.record_login_state(
        username, failed_logins=0, locked_until=None, last_login_at=now
    )
    return LoginOutcome(user_from_record(record))
