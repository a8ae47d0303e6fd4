"""Users, API tokens, login sessions (the store keeps hashes only) and the login's bookkeeping:
failures per account and per client address, counted before the password is checked
(``_login.py``), in the database so that every server process sees them.

Usernames are NFKC-normalised and a look-alike of an existing name is refused
(:func:`autoserum.accounts.username_skeleton`). A new password ends the user's sessions and
revokes their API tokens (unless ``keep_tokens``); starting a session purges expired ones."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.orm import Session

from autoserum.accounts import normalise_username, username_skeleton, verify_password
from autoserum.errors import (
    Expected,
    Message,
    NotFoundError,
    PermissionDeniedError,
    StateError,
    ValidationError,
)
from autoserum.i18n import check_language
from autoserum.permissions import check_role
from autoserum.store import _login
from autoserum.store._audit import encode
from autoserum.store._base import SYSTEM, Actor, Service, SiteKey
from autoserum.store._events import append_event
from autoserum.store._types import utcnow
from autoserum.store.models import (
    ApiTokenRow,
    SessionRow,
    SiteRow,
    StudyRow,
    UserRow,
    UserSiteRow,
)
from autoserum.study.rules import bounded_text

__all__ = ["TOUCH_EVERY", "AccountService", "ApiTokenRecord", "UserRecord"]

TOUCH_EVERY = timedelta(seconds=60)
"""A token's last use is recorded at most once per this span (across server processes)."""


def _lookup_name(username: str) -> str:
    """The stored form of a username given at login or in a look-up (NFKC, stripped)."""
    return unicodedata.normalize("NFKC", username).strip()


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
    language: str | None = None
    #: the printed name (21 CFR 11.50) shown with the user's electronic signatures
    full_name: str | None = None

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


def _memberships(s: Session | Connection, user_id: int) -> frozenset[SiteKey]:
    rows = s.execute(
        select(StudyRow.name, SiteRow.code)
        .join(SiteRow, SiteRow.study_id == StudyRow.id)
        .join(UserSiteRow, UserSiteRow.site_id == SiteRow.id)
        .where(UserSiteRow.user_id == user_id)
    )
    return frozenset((study, code) for study, code in rows)


def _user(s: Session | Connection, row: Any) -> UserRecord:
    """The record of the user of ``row`` (a :class:`UserRow` or a plain row of its columns)."""
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
        language=row.language,
        full_name=row.full_name,
    )


_TOKEN_USER = (  # the user's columns by their names, the token's prefixed: plain rows
    select(
        ApiTokenRow.id.label("token_id"),
        ApiTokenRow.revoked_at.label("token_revoked_at"),
        ApiTokenRow.expires_at.label("token_expires_at"),
        ApiTokenRow.last_used_at.label("token_last_used_at"),
        *UserRow.__table__.c,
    )
    .join(UserRow, UserRow.id == ApiTokenRow.user_id)
    .where(ApiTokenRow.token_hash == bindparam("hash"))
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
        full_name: str | None = None,
    ) -> UserRecord:
        """Create a user (the web app hashes the password). ``sites``: the (study, site code)
        pairs the user belongs to, each an existing site; ``None``: every site of every study.
        ``full_name``: the printed name shown with the user's electronic signatures (needed
        before the user can sign)."""
        self._require(actor, "manage_users")
        username = normalise_username(username)
        printed = bounded_text("full_name", full_name, limit=200, required=False)
        self._nonempty("password_hash", password_hash)
        check_role(role)
        with self._write(actor) as s:
            if s.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
                raise StateError(
                    Message("user %(username)s exists already", username=repr(username))
                )
            skeleton = username_skeleton(username)
            for other in s.scalars(select(UserRow.username)):
                if username_skeleton(other) == skeleton:
                    raise ValidationError(
                        "username",
                        username,
                        Expected("a name that does not look like %(other)s", other=repr(other)),
                    )
            row = UserRow(
                username=username,
                password_hash=password_hash,
                role=role,
                all_sites=sites is None,
                unblinded=unblinded,
                active=True,
                failed_logins=0,
                created_at=utcnow(),
                full_name=printed,
                version=1,
            )
            s.add(row)
            s.flush()
            self._set_sites(s, row, sites)
            return _user(s, row)

    def get_user(self, username: str) -> UserRecord | None:
        """The user named ``username`` (NFKC-normalised), or ``None``."""
        with self._read() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == _lookup_name(username)))
            return None if row is None else _user(s, row)

    def users(self, *, actor: Actor) -> list[UserRecord]:
        """Every user (admin only)."""
        self._require(actor, "manage_users")
        with self._read() as s:
            return [_user(s, r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def update_user(
        self,
        username: str,
        changes: Mapping[str, Any],
        *,
        actor: Actor,
        reason: str,
        keep_tokens: bool = False,
    ) -> UserRecord:
        """Change ``role``, ``sites``, ``unblinded``, ``active``, ``password_hash``,
        ``language`` or ``full_name`` (the printed name of the user's signatures) (audited).

        A user may change their own ``password_hash`` and ``language`` (the language of their
        pages, one of :data:`autoserum.i18n.LANGUAGES`, or ``None`` for the browser's); everything
        else needs an admin. A new
        password (or deactivation) ends every session of the user and revokes their API tokens
        in the same transaction (``keep_tokens`` keeps the tokens of a password change).
        """
        allowed = {"role", "sites", "unblinded", "active", "password_hash", "language", "full_name"}
        own = set(changes) <= {"password_hash", "language"} and actor.username == username
        if not own:
            self._require(actor, "manage_users")
        with self._write(actor, reason) as s:
            row = self._user_row(s, username)
            for key, value in changes.items():
                if key not in allowed:
                    raise ValidationError(
                        f"user.{key}",
                        value,
                        Expected("one of %(values)s", values=", ".join(sorted(allowed))),
                    )
                if key == "role":
                    check_role(value)
                elif key == "sites":
                    row.all_sites = value is None
                    self._set_sites(s, row, value)
                    continue
                elif key in {"unblinded", "active"} and not isinstance(value, bool):
                    raise ValidationError(f"user.{key}", value, Expected("true or false"))
                elif key == "password_hash":
                    self._nonempty("password_hash", value)
                elif key == "language" and value is not None:
                    value = check_language("user.language", value)
                elif key == "full_name":
                    value = bounded_text("user.full_name", value, limit=200, required=False)
                setattr(row, key, value)
            s.flush()
            deactivated = changes.get("active") is False
            if "password_hash" in changes or deactivated:
                self._end_credentials(
                    s,
                    row,
                    actor=actor,
                    tokens=not keep_tokens or deactivated,
                    why="password changed" if "password_hash" in changes else "deactivated",
                )
            return _user(s, row)

    @staticmethod
    def _end_credentials(
        s: Session, user: UserRow, *, actor: Actor, tokens: bool, why: str
    ) -> None:
        """End every session of ``user`` and (``tokens``) revoke their live API tokens; record
        the password change and the revocation as security events."""
        ended = len(
            s.scalars(
                delete(SessionRow).where(SessionRow.user_id == user.id).returning(SessionRow.id)
            ).all()
        )
        revoked: list[int] = []
        if tokens:
            revoked = list(
                s.scalars(
                    update(ApiTokenRow)
                    .where(ApiTokenRow.user_id == user.id, ApiTokenRow.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                    .returning(ApiTokenRow.id)
                    .execution_options(synchronize_session=False)
                )
            )
        if why == "password changed":
            detail = {"sessions_ended": ended, "tokens_revoked": len(revoked)}
            append_event(
                s, "password_changed", actor=actor.username, username=user.username, detail=detail
            )
        if revoked:
            append_event(
                s,
                "token_revoked",
                actor=actor.username,
                username=user.username,
                detail={"token_ids": sorted(revoked), "why": why},
            )

    @staticmethod
    def _set_sites(s: Session, user: UserRow, sites: Iterable[SiteKey] | None) -> None:
        """Make the user's memberships exactly ``sites`` (each an existing site of its study)."""
        wanted: set[int] = set()
        for key in [] if sites is None else sites:
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValidationError("sites", key, Expected("a (study, site code) pair"))
            study, code = key
            site_id = s.scalar(
                select(SiteRow.id)
                .join(StudyRow, StudyRow.id == SiteRow.study_id)
                .where(StudyRow.name == study, SiteRow.code == code)
            )
            if site_id is None:
                raise ValidationError(
                    "sites", f"{study}/{code}", Expected("an existing site of a study")
                )
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

    # --- logins (not study data: not audited; written by the system actor) ----------------
    def begin_login(
        self, username: str, *, client: str, at: datetime, limits: _login.LoginLimits
    ) -> _login.LoginAttempt:
        """Count a login attempt before its password is checked and say whether it may be
        (see :mod:`autoserum.store._login`): N parallel attempts count N."""
        with self._write(SYSTEM) as s:
            return _login.admit(s, _lookup_name(username), client=client, at=at, limits=limits)

    def finish_login(
        self,
        username: str,
        *,
        attempt: _login.LoginAttempt,
        right: bool,
        client: str,
        at: datetime,
    ) -> None:
        """Book the outcome of ``attempt`` (``right``: its password was checked and right; the
        failure it counted is taken back) and record it as a security event: ``login``,
        ``login_failed`` (with the reason) and ``lockout`` when this attempt locked the account.
        A throttled attempt is neither booked nor recorded (its address is over its limit)."""
        name = _lookup_name(username)
        with self._write(SYSTEM) as s:
            if right and attempt.outcome == "checked":
                _login.succeed(s, name, attempt=attempt, at=at)
                append_event(s, "login", actor=name, username=name, client=client, at=at)
                return
            reason = {"checked": "wrong_password", "unknown": "unknown_user"}.get(
                attempt.outcome, attempt.outcome
            )
            append_event(
                s,
                "login_failed",
                actor=name,
                username=name,
                client=client,
                detail={"reason": reason},
                at=at,
            )
            if attempt.locks:
                append_event(s, "lockout", actor=name, username=name, client=client, at=at)

    def prove(
        self,
        username: str,
        *,
        password: str | None = None,
        token_hash: str | None = None,
        client: str = "cli",
        limits: _login.LoginLimits = _login.DEFAULT_LIMITS,
    ) -> Actor:
        """The actor of ``username`` once it is proven by its password (counted like a web
        login: the same lockout, throttle and security events) or by the hash of one of its
        unrevoked, unexpired API tokens; :class:`PermissionDeniedError` otherwise (one
        message for unknown, locked and wrong)."""
        if (password is None) == (token_hash is None):
            raise ValidationError("proof", None, Expected("a password or an API token of the user"))
        name, now = _lookup_name(username), utcnow()
        refused = PermissionDeniedError(
            Message(
                "%(name)s is not proven: unknown user, locked account, or a "
                "wrong password or token",
                name=repr(name),
            )
        )
        if token_hash is not None:
            record = self.user_for_token(token_hash)
            right = record is not None and record.username == name
            with self._write(SYSTEM) as s:
                kind = "login" if right else "login_failed"
                detail = {"via": "token"} if right else {"via": "token", "reason": "bad_token"}
                append_event(s, kind, actor=name, username=name, client=client, detail=detail)
        else:
            attempt = self.begin_login(name, client=client, at=now, limits=limits)
            if attempt.outcome == "throttled":
                raise refused
            right = verify_password(attempt.password_hash, str(password))
            right = right and attempt.outcome == "checked"
            self.finish_login(name, attempt=attempt, right=right, client=client, at=now)
            record = self.get_user(name) if right else None
        if not right or record is None:
            raise refused
        return Actor(record.username, record.role, record.sites, record.unblinded)

    def record_login_state(
        self,
        username: str,
        *,
        failed_logins: int,
        locked_until: datetime | None,
        last_login_at: datetime | None = None,
    ) -> None:
        """Set the login bookkeeping (an administrator lifting a lock)."""
        with self._write(SYSTEM) as s:
            row = self._user_row(s, username)
            row.failed_logins = failed_logins
            row.locked_until = locked_until
            if last_login_at is not None:
                row.last_login_at = last_login_at

    @staticmethod
    def _user_row(s: Session, username: str) -> UserRow:
        row = s.scalar(select(UserRow).where(UserRow.username == _lookup_name(username)))
        if row is None:
            raise NotFoundError(Message("no user named %(username)s", username=repr(username)))
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
            append_event(
                s,
                "token_created",
                actor=actor.username,
                username=user.username,
                detail={
                    "token_id": row.id,
                    "label": label,
                    "expires_at": None if expires_at is None else encode(expires_at),
                },
            )
            return row.id

    def user_for_token(self, token_hash: str, *, touch: bool = True) -> UserRecord | None:
        """The active user owning an unrevoked, unexpired token with this hash, or ``None``.

        A read. With ``touch`` the token's last use is recorded too, but only when the recorded
        one is older than :data:`TOUCH_EVERY` and only if no other writer holds the database
        (SQLite): a request that only reads never waits for the write lock."""
        now = utcnow()
        # on every API request: no BEGIN, no COMMIT (PostgreSQL), no ORM session or objects
        with self._uow.connect() as conn:
            # one round trip for the token and its user (the statement built once)
            found = conn.execute(_TOKEN_USER, {"hash": token_hash}).first()
            if found is None:
                return None
            if found.token_revoked_at is not None:
                return None
            if found.token_expires_at is not None and found.token_expires_at <= now:
                return None
            if not found.active:
                return None
            record = _user(conn, found)
            last = found.token_last_used_at
            stale = last is None or last < now - TOUCH_EVERY
            token_id = found.token_id
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
                raise NotFoundError(Message("no API token with id %(token_id)s", token_id=token_id))
            owner = s.get(UserRow, tok.user_id)
            if owner is None or owner.username != actor.username:
                self._require(actor, "manage_users")
            tok.revoked_at = utcnow()
            append_event(
                s,
                "token_revoked",
                actor=actor.username,
                username=None if owner is None else owner.username,
                detail={"token_id": token_id},
            )

    def create_session(self, username: str, session_hash: str, expires_at: datetime) -> None:
        """Store the hash of a new login session (and delete every expired session)."""
        with self._write(SYSTEM) as s:
            s.execute(delete(SessionRow).where(SessionRow.expires_at <= utcnow()))
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
