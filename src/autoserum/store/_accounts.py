"""Users, API tokens, login sessions (the store keeps hashes only) and the login throttle's
failed logins per client address (in the database, so that every server process sees them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from autoserum.errors import NotFoundError, StateError, ValidationError
from autoserum.permissions import check_role
from autoserum.store._base import SYSTEM, Actor, Service, SiteKey
from autoserum.store._types import utcnow
from autoserum.store.models import (
    ApiTokenRow,
    LoginFailureRow,
    SessionRow,
    SiteRow,
    StudyRow,
    UserRow,
    UserSiteRow,
)

__all__ = ["TOUCH_EVERY", "AccountService", "ApiTokenRecord", "UserRecord"]

TOUCH_EVERY = timedelta(seconds=60)
"""A token's last use is recorded at most once per this span (across server processes)."""


@dataclass(frozen=True)
class UserRecord:
    """A user as the web app needs it (the password hash is opaque to the store)."""

    id: int
    username: str
    password_hash: str
    role: str
    sites: frozenset[SiteKey] | None
    unblinded: bool
    active: bool
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None
    version: int

    def __repr__(self) -> str:  # never print the hash
        return f"UserRecord(username={self.username!r}, role={self.role!r}, sites={self.sites!r})"


@dataclass(frozen=True)
class ApiTokenRecord:
    """An API token as an administrator or its owner may see it (never the token or its hash).

    ``active`` is false once the token is revoked or expired (at the time it was read)."""

    id: int
    username: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    active: bool


def _memberships(s: Session, user_id: int) -> frozenset[SiteKey]:
    rows = s.execute(
        select(StudyRow.name, SiteRow.code)
        .join(SiteRow, SiteRow.study_id == StudyRow.id)
        .join(UserSiteRow, UserSiteRow.site_id == SiteRow.id)
        .where(UserSiteRow.user_id == user_id)
    )
    return frozenset((study, code) for study, code in rows)


def _user(s: Session, row: UserRow) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        role=row.role,
        sites=None if row.all_sites else _memberships(s, row.id),
        unblinded=row.unblinded,
        active=row.active,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        last_login_at=row.last_login_at,
        version=row.version,
    )


class AccountService(Service):
    """``store.accounts``: users, API tokens and login sessions (hashes only)."""

    # --- users ---------------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        password_hash: str,
        role: str,
        sites: Iterable[SiteKey] | None,
        *,
        actor: Actor,
        unblinded: bool = False,
    ) -> UserRecord:
        """Create a user (the web app hashes the password). ``sites``: the (study, site code)
        pairs the user belongs to, each an existing site; ``None``: every site of every study."""
        self._require(actor, "manage_users")
        self._nonempty("username", username)
        self._nonempty("password_hash", password_hash)
        check_role(role)
        with self._write(actor) as s:
            if s.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
                raise StateError(f"user {username!r} exists already")
            row = UserRow(
                username=username,
                password_hash=password_hash,
                role=role,
                all_sites=sites is None,
                unblinded=unblinded,
                active=True,
                failed_logins=0,
                created_at=utcnow(),
                version=1,
            )
            s.add(row)
            s.flush()
            self._set_sites(s, row, sites)
            return _user(s, row)

    def get_user(self, username: str) -> UserRecord | None:
        """The user named ``username``, or ``None``."""
        with self._read() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            return None if row is None else _user(s, row)

    def users(self, *, actor: Actor) -> list[UserRecord]:
        """Every user (admin only)."""
        self._require(actor, "manage_users")
        with self._read() as s:
            return [_user(s, r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def update_user(
        self, username: str, changes: Mapping[str, Any], *, actor: Actor, reason: str
    ) -> UserRecord:
        """Change ``role``, ``sites``, ``unblinded``, ``active`` or ``password_hash`` (audited).

        A user may change their own ``password_hash``; everything else needs an admin.
        """
        allowed = {"role", "sites", "unblinded", "active", "password_hash"}
        own_password = set(changes) <= {"password_hash"} and actor.username == username
        if not own_password:
            self._require(actor, "manage_users")
        with self._write(actor, reason) as s:
            row = self._user_row(s, username)
            for key, value in changes.items():
                if key not in allowed:
                    raise ValidationError(
                        f"user.{key}", value, f"one of {', '.join(sorted(allowed))}"
                    )
                if key == "role":
                    check_role(value)
                elif key == "sites":
                    row.all_sites = value is None
                    self._set_sites(s, row, value)
                    continue
                elif key in {"unblinded", "active"} and not isinstance(value, bool):
                    raise ValidationError(f"user.{key}", value, "true or false")
                elif key == "password_hash":
                    self._nonempty("password_hash", value)
                setattr(row, key, value)
            s.flush()
            return _user(s, row)

    @staticmethod
    def _set_sites(s: Session, user: UserRow, sites: Iterable[SiteKey] | None) -> None:
        """Make the user's memberships exactly ``sites`` (each an existing site of its study)."""
        wanted: set[int] = set()
        for key in [] if sites is None else sites:
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValidationError("sites", key, "a (study, site code) pair")
            study, code = key
            site_id = s.scalar(
                select(SiteRow.id)
                .join(StudyRow, StudyRow.id == SiteRow.study_id)
                .where(StudyRow.name == study, SiteRow.code == code)
            )
            if site_id is None:
                raise ValidationError("sites", f"{study}/{code}", "an existing site of a study")
            wanted.add(site_id)
        current = {
            m.site_id: m
            for m in s.scalars(select(UserSiteRow).where(UserSiteRow.user_id == user.id))
        }
        for site_id in sorted(wanted - set(current)):
            s.add(UserSiteRow(user_id=user.id, site_id=site_id, version=1))
        for site_id in set(current) - wanted:
            s.delete(current[site_id])
        s.flush()

    def record_login_state(
        self,
        username: str,
        *,
        failed_logins: int,
        locked_until: datetime | None,
        last_login_at: datetime | None = None,
    ) -> None:
        """Record login bookkeeping (not study data: not audited; written by the system actor)."""
        with self._write(SYSTEM) as s:
            row = self._user_row(s, username)
            row.failed_logins = failed_logins
            row.locked_until = locked_until
            if last_login_at is not None:
                row.last_login_at = last_login_at

    @staticmethod
    def _user_row(s: Session, username: str) -> UserRow:
        row = s.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise NotFoundError(f"no user named {username!r}")
        return row

    # --- API tokens and sessions (hashes only) -------------------------------------------
    def create_api_token(
        self,
        username: str,
        token_hash: str,
        *,
        actor: Actor,
        label: str = "",
        expires_at: datetime | None = None,
    ) -> int:
        """Store the hash of a new API token of ``username``; returns the token's id."""
        if actor.username != username:
            self._require(actor, "manage_users")
        self._nonempty("token_hash", token_hash)
        with self._write(actor) as s:
            user = self._user_row(s, username)
            row = ApiTokenRow(
                user_id=user.id,
                token_hash=token_hash,
                label=label,
                created_at=utcnow(),
                expires_at=expires_at,
            )
            s.add(row)
            s.flush()
            return row.id

    def user_for_token(self, token_hash: str, *, touch: bool = True) -> UserRecord | None:
        """The active user owning an unrevoked, unexpired token with this hash, or ``None``.

        A read. With ``touch`` the token's last use is recorded too, but only when the recorded
        one is older than :data:`TOUCH_EVERY` and only if no other writer holds the database
        (SQLite): a request that only reads never waits for the write lock."""
        now = utcnow()
        with self._read() as s:
            tok = s.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))
            if tok is None or tok.revoked_at is not None:
                return None
            if tok.expires_at is not None and tok.expires_at <= now:
                return None
            user = s.get(UserRow, tok.user_id)
            if user is None or not user.active:
                return None
            record = _user(s, user)
            stale = tok.last_used_at is None or tok.last_used_at < now - TOUCH_EVERY
            token_id = tok.id
        if touch and stale:
            self._touch(token_id, now)
        return record

    def _touch(self, token_id: int, now: datetime) -> None:
        """Record a token's use at ``now`` unless recorded within :data:`TOUCH_EVERY` (by any
        process) or the database is busy (skipped: the next use records it)."""
        with self._uow.write_if_free(SYSTEM) as s:
            if s is None:
                return
            cutoff = now - TOUCH_EVERY
            s.execute(
                update(ApiTokenRow)
                .where(
                    ApiTokenRow.id == token_id,
                    (ApiTokenRow.last_used_at.is_(None)) | (ApiTokenRow.last_used_at < cutoff),
                )
                .values(last_used_at=now)
            )

    def api_tokens(self, username: str | None = None, *, actor: Actor) -> list[ApiTokenRecord]:
        """The API tokens of ``username`` (``None``: of every user), oldest first: a user may
        list their own, an admin anyone's."""
        if username is None or actor.username != username:
            self._require(actor, "manage_users")
        now = utcnow()
        with self._read() as s:
            stmt = (
                select(ApiTokenRow, UserRow.username)
                .join(UserRow, UserRow.id == ApiTokenRow.user_id)
                .order_by(ApiTokenRow.id)
            )
            if username is not None:
                self._user_row(s, username)
                stmt = stmt.where(UserRow.username == username)
            return [
                ApiTokenRecord(
                    id=tok.id,
                    username=name,
                    label=tok.label,
                    created_at=tok.created_at,
                    expires_at=tok.expires_at,
                    revoked_at=tok.revoked_at,
                    last_used_at=tok.last_used_at,
                    active=tok.revoked_at is None
                    and (tok.expires_at is None or tok.expires_at > now),
                )
                for tok, name in s.execute(stmt)
            ]

    def revoke_api_token(self, token_id: int, *, actor: Actor) -> None:
        """Revoke a token (its owner or an admin)."""
        with self._write(actor) as s:
            tok = s.get(ApiTokenRow, token_id)
            if tok is None:
                raise NotFoundError(f"no API token with id {token_id}")
            owner = s.get(UserRow, tok.user_id)
            if owner is None or owner.username != actor.username:
                self._require(actor, "manage_users")
            tok.revoked_at = utcnow()

    def create_session(self, username: str, session_hash: str, expires_at: datetime) -> None:
        """Store the hash of a new login session."""
        with self._write(SYSTEM) as s:
            user = self._user_row(s, username)
            s.add(
                SessionRow(
                    user_id=user.id,
                    session_hash=session_hash,
                    created_at=utcnow(),
                    expires_at=expires_at,
                )
            )

    def user_for_session(self, session_hash: str) -> UserRecord | None:
        """The active user of an unexpired session with this hash, or ``None``."""
        with self._read() as s:
            row = s.scalar(select(SessionRow).where(SessionRow.session_hash == session_hash))
            if row is None or row.expires_at <= utcnow():
                return None
            user = s.get(UserRow, row.user_id)
            return None if user is None or not user.active else _user(s, user)

    def delete_session(self, session_hash: str) -> None:
        """End a session (log out)."""
        with self._write(SYSTEM) as s:
            s.execute(delete(SessionRow).where(SessionRow.session_hash == session_hash))

    # --- the login throttle's window (not study data: not audited) ----------------------------
    def record_login_failure(self, client: str, *, at: datetime, keep: timedelta) -> None:
        """Record a failed login from ``client`` at ``at``; forget its failures older than
        ``at − keep``."""
        key = client[:200]
        with self._write(SYSTEM) as s:
            s.execute(
                delete(LoginFailureRow).where(
                    LoginFailureRow.client == key, LoginFailureRow.at < at - keep
                )
            )
            s.add(LoginFailureRow(client=key, at=at))

    def login_failures(self, client: str, *, since: datetime) -> int:
        """Failed logins from ``client`` after ``since`` (all server processes together).

        >>> from datetime import UTC, datetime, timedelta
        >>> from autoserum.store import open_store
        >>> accounts = open_store("sqlite://").accounts
        >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
        >>> accounts.record_login_failure("10.0.0.1", at=t0, keep=timedelta(minutes=1))
        >>> accounts.login_failures("10.0.0.1", since=t0 - timedelta(seconds=1))
        1
        """
        with self._read() as s:
            count = s.scalar(
                select(func.count())
                .select_from(LoginFailureRow)
                .where(LoginFailureRow.client == client[:200], LoginFailureRow.at > since)
            )
        return int(count or 0)
