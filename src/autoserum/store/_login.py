"""The login's bookkeeping, counted before the password is checked.

A login attempt is admitted, or not, in one short write transaction that comes **before** the
(slow) password check: the client address's failures in the sliding window are counted and this
attempt added to them, and the account's failure count is raised with a conditional ``UPDATE``
that also sets the lock when it reaches the limit. Parallel attempts therefore count one each,
whatever their interleaving: SQLite serialises write transactions (``BEGIN IMMEDIATE``);
PostgreSQL serialises attempts from one address on a transaction-level advisory lock and updates
the account row under its row lock (the ``WHERE`` is re-checked on the newest row version). An
attempt that finds the account locked, or the address over its limit, never reaches the password
check. A success takes back the attempt's address failure and resets the account's count.

Not study data: no audit rows (the security events record logins; see ``_events.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, literal, null, or_, select, text, update
from sqlalchemy.orm import Session

from autoserum.store.models import LoginFailureRow, UserRow

__all__ = [
    "DEFAULT_LIMITS",
    "LoginAttempt",
    "LoginLimits",
    "admit",
    "client_failure",
    "client_throttled",
    "succeed",
]

_CLIENT_CHARS = 200


@dataclass(frozen=True)
class LoginLimits:
    """The limits a login is held to: failures in a row before the account locks, how long it
    stays locked, failures per client address within the window."""

    max_failures: int
    lockout: timedelta
    per_client: int
    window: timedelta


DEFAULT_LIMITS = LoginLimits(
    max_failures=5,
    lockout=timedelta(minutes=15),
    per_client=20,
    window=timedelta(seconds=60),
)
"""The limits when nothing else is set (the web app's settings default to the same)."""


@dataclass(frozen=True)
class LoginAttempt:
    """What the store decided before the password check.

    ``outcome``: ``checked`` (the password may be checked against ``password_hash``; the
    attempt is already counted as a failure), ``unknown`` (no such active user), ``locked``
    (the account is locked) or ``throttled`` (the address is over its limit). ``locks``: this
    attempt was the one that reached the limit. ``failure_id``: the address failure recorded
    for it (taken back on success)."""

    outcome: str
    password_hash: str | None = None
    locks: bool = False
    failure_id: int | None = None

    def __repr__(self) -> str:  # never print the hash
        return f"LoginAttempt(outcome={self.outcome!r}, locks={self.locks!r})"


def _advisory_lock(s: Session, key: str) -> None:
    """PostgreSQL: serialise the transactions of one client address (released at commit)."""
    if s.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(b"login:" + key.encode()).digest()[:8], "big")
        s.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number - (1 << 63)})


def client_throttled(s: Session, client: str, *, at: datetime, limits: LoginLimits) -> bool:
    """Whether ``client`` is over its limit of failures within the window (in ``s``, a write
    transaction: failures older than the window are purged). The same throttle guards logins
    and self-report links (a guessed link token counts as a failure of its address)."""
    key = client[:_CLIENT_CHARS]
    _advisory_lock(s, key)
    s.execute(
        delete(LoginFailureRow).where(
            LoginFailureRow.client == key, LoginFailureRow.at <= at - limits.window
        )
    )
    recent = s.scalar(
        select(func.count())
        .select_from(LoginFailureRow)
        .where(LoginFailureRow.client == key, LoginFailureRow.at > at - limits.window)
    )
    return int(recent or 0) >= limits.per_client


def client_failure(s: Session, client: str, *, at: datetime) -> LoginFailureRow:
    """Count one failure of ``client`` at ``at``."""
    failure = LoginFailureRow(client=client[:_CLIENT_CHARS], at=at)
    s.add(failure)
    s.flush()
    return failure


def admit(
    s: Session, username: str, *, client: str, at: datetime, limits: LoginLimits
) -> LoginAttempt:
    """Count one login attempt of ``username`` from ``client`` at ``at`` (in ``s``, a write
    transaction) and decide whether its password may be checked."""
    if client_throttled(s, client, at=at, limits=limits):
        return LoginAttempt("throttled")
    failure = client_failure(s, client, at=at)
    reaches = UserRow.failed_logins + 1 >= limits.max_failures
    row = s.execute(
        update(UserRow)
        .where(
            UserRow.username == username,
            UserRow.active.is_(True),
            or_(UserRow.locked_until.is_(None), UserRow.locked_until <= at),
        )
        .values(
            failed_logins=case((reaches, 0), else_=UserRow.failed_logins + 1),
            locked_until=case(
                (reaches, literal(at + limits.lockout, UserRow.locked_until.type)),
                else_=null(),
            ),
        )
        .returning(UserRow.password_hash, UserRow.locked_until)
        .execution_options(synchronize_session=False)
    ).first()
    if row is not None:
        return LoginAttempt(
            "checked",
            password_hash=row.password_hash,
            locks=row.locked_until is not None,
            failure_id=failure.id,
        )
    locked = s.scalar(
        select(UserRow.id).where(
            UserRow.username == username, UserRow.active.is_(True), UserRow.locked_until > at
        )
    )
    return LoginAttempt("unknown" if locked is None else "locked", failure_id=failure.id)


def succeed(s: Session, username: str, *, attempt: LoginAttempt, at: datetime) -> None:
    """Book a checked password as right: take back the attempt's address failure, reset the
    account's failure count and record the login. A lock that a parallel attempt set meanwhile
    (it reached the limit) stays; the lock this attempt set itself is lifted."""
    if attempt.failure_id is not None:
        s.execute(delete(LoginFailureRow).where(LoginFailureRow.id == attempt.failure_id))
    values: dict[str, object] = {"failed_logins": 0, "last_login_at": at}
    if attempt.locks:
        values["locked_until"] = None
    s.execute(
        update(UserRow)
        .where(UserRow.username == username)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
