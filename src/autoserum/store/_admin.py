"""Studies, sites, users, API tokens and sessions."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from autoserum.errors import NotFoundError, StateError, ValidationError
from autoserum.protocols import Protocol, resolve_protocol
from autoserum.store._allocation import check_stratify_by, generate_list
from autoserum.store._base import Actor, StoreBase
from autoserum.store._types import utcnow
from autoserum.store.models import (
    ApiTokenRow,
    SessionRow,
    SiteRow,
    StudyRow,
    UserRow,
)
from autoserum.study.blinding import check_role
from autoserum.study.model import Arm, Site, Study
from autoserum.study.randomisation import stratum_key

__all__ = ["AdminMixin", "UserRecord"]

DEFAULT_ALLOCATION_N = 200
"""Allocation-list entries generated per stratum (site) unless the study says otherwise."""


@dataclass(frozen=True)
class UserRecord:
    """A user as the web app needs it (the password hash is opaque to the store)."""

    id: int
    username: str
    password_hash: str
    role: str
    sites: frozenset[str] | None
    unblinded: bool
    active: bool
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None
    version: int

    def __repr__(self) -> str:  # never print the hash
        return f"UserRecord(username={self.username!r}, role={self.role!r}, sites={self.sites!r})"


def _user(row: UserRow) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        role=row.role,
        sites=None if row.sites is None else frozenset(row.sites),
        unblinded=row.unblinded,
        active=row.active,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        last_login_at=row.last_login_at,
        version=row.version,
    )


def study_view(row: StudyRow, protocol: Protocol) -> Study:
    """The domain view of a study row."""
    return Study(
        name=row.name,
        protocol_code=row.protocol_code,
        open_label=row.open_label,
        has_run_in=row.has_run_in,
        arms=tuple(Arm(a.code, a.label, a.product, a.is_control) for a in protocol.arms),
        stratify_by=tuple((k, tuple(v)) for k, v in sorted((row.stratify_by or {}).items())),
    )


class AdminMixin(StoreBase):
    """Studies, sites, users, tokens and sessions."""

    # --- studies and sites ------------------------------------------------------------
    def create_study(
        self,
        name: str,
        protocol_code: str | Protocol,
        actor: Actor,
        *,
        seed: int | None = None,
        allocation_n: int = DEFAULT_ALLOCATION_N,
        stratify_by: Mapping[str, Sequence[str]] | None = None,
    ) -> Study:
        """Create a study running a library protocol (code), a protocol file (path) or object.

        ``seed`` seeds the concealed allocation lists (random when omitted; recorded).
        ``stratify_by`` declares stratification factors besides the site, each with its levels
        (``{"baseline_severity": ("moderate", "severe")}``): every randomisation then names the
        subject's level of each, and each site × levels stratum has its own concealed list.
        Example: ``store.create_study("AST-1", "ast-nahm2023", admin)``.
        """
        self._require(actor, {"admin"}, "create a study")
        self._nonempty("name", name)
        protocol = (
            protocol_code
            if isinstance(protocol_code, Protocol)
            else resolve_protocol(protocol_code)
        )
        if seed is None:
            seed = secrets.randbelow(2**62)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0 or seed >= 2**63:
            raise ValidationError("seed", seed, "an integer in [0, 2^63)")
        if isinstance(allocation_n, bool) or not isinstance(allocation_n, int) or allocation_n < 1:
            raise ValidationError("allocation_n", allocation_n, "an integer ≥ 1")
        factors = check_stratify_by(stratify_by)
        with self._write(actor) as s:
            row = self._new_study(s, name, protocol, seed, allocation_n, factors)
            return study_view(row, protocol)

    @staticmethod
    def _new_study(
        s: Session,
        name: str,
        protocol: Protocol,
        seed: int,
        allocation_n: int,
        factors: Mapping[str, list[str]] | None = None,
    ) -> StudyRow:
        if s.scalar(select(StudyRow.id).where(StudyRow.name == name)) is not None:
            raise StateError(f"a study named {name!r} exists already")
        row = StudyRow(
            name=name,
            protocol_code=protocol.code,
            protocol=protocol.model_dump(mode="json"),
            open_label=protocol.blinding == "open_label",
            has_run_in=any(p.code == "run_in" for p in protocol.phases),
            seed=seed,
            allocation_n=allocation_n,
            stratify_by=dict(factors) if factors else None,
            created_at=utcnow(),
            version=1,
        )
        s.add(row)
        s.flush()
        return row

    def studies(self) -> list[Study]:
        """Every study, by name."""
        with self._read() as s:
            rows = s.scalars(select(StudyRow).order_by(StudyRow.name)).all()
            return [study_view(r, self._protocol(r)) for r in rows]

    def get_study(self, name: str) -> Study:
        """The study named ``name`` (:class:`NotFoundError` otherwise)."""
        with self._read() as s:
            row = self._study(s, name)
            return study_view(row, self._protocol(row))

    def add_site(self, study: str, code: str, name: str, actor: Actor) -> Site:
        """Add a site; its concealed allocation list (stratum ``site=<code>``) is generated now."""
        self._require(actor, {"admin"}, "add a site")
        self._nonempty("site", code)
        with self._write(actor) as s:
            st = self._study(s, study)
            exists = s.scalar(
                select(SiteRow.id).where(SiteRow.study_id == st.id, SiteRow.code == code)
            )
            if exists is not None:
                raise StateError(f"site {code!r} exists already in study {study!r}")
            s.add(SiteRow(study_id=st.id, code=code, name=name, version=1))
            if not st.stratify_by:  # factored strata get their lists at first use
                generate_list(s, st, self._protocol(st), stratum_key(code))
            return Site(code=code, name=name)

    def sites(self, study: str) -> list[Site]:
        """The sites of a study, by code."""
        with self._read() as s:
            st = self._study(s, study)
            rows = s.scalars(
                select(SiteRow).where(SiteRow.study_id == st.id).order_by(SiteRow.code)
            ).all()
            return [Site(code=r.code, name=r.name) for r in rows]

    # --- users ---------------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        password_hash: str,
        role: str,
        sites: Iterable[str] | None,
        actor: Actor,
        *,
        unblinded: bool = False,
    ) -> UserRecord:
        """Create a user (the web app hashes the password; ``sites=None``: all sites)."""
        self._require(actor, {"admin"}, "create users")
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
                sites=None if sites is None else sorted(set(sites)),
                unblinded=unblinded,
                active=True,
                failed_logins=0,
                created_at=utcnow(),
                version=1,
            )
            s.add(row)
            s.flush()
            return _user(row)

    def get_user(self, username: str) -> UserRecord | None:
        """The user named ``username``, or ``None``."""
        with self._read() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            return None if row is None else _user(row)

    def users(self, actor: Actor) -> list[UserRecord]:
        """Every user (admin only)."""
        self._require(actor, {"admin"}, "list users")
        with self._read() as s:
            return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def update_user(
        self, username: str, changes: Mapping[str, Any], actor: Actor, *, reason: str
    ) -> UserRecord:
        """Change ``role``, ``sites``, ``unblinded``, ``active`` or ``password_hash`` (audited).

        A user may change their own ``password_hash``; everything else needs an admin.
        """
        allowed = {"role", "sites", "unblinded", "active", "password_hash"}
        own_password = set(changes) <= {"password_hash"} and actor.username == username
        if not own_password:
            self._require(actor, {"admin"}, "change users")
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
                    value = None if value is None else sorted(set(value))
                elif key in {"unblinded", "active"} and not isinstance(value, bool):
                    raise ValidationError(f"user.{key}", value, "true or false")
                elif key == "password_hash":
                    self._nonempty("password_hash", value)
                setattr(row, key, value)
            s.flush()
            return _user(row)

    def update_user_login_state(
        self,
        username: str,
        *,
        failed_logins: int,
        locked_until: datetime | None,
        last_login_at: datetime | None = None,
    ) -> None:
        """Record login bookkeeping (not study data: not audited, no actor needed)."""
        system = Actor(username, "admin")
        with self._write(system) as s:
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
        actor: Actor,
        *,
        label: str = "",
        expires_at: datetime | None = None,
    ) -> int:
        """Store the hash of a new API token of ``username``; returns the token's id."""
        if actor.username != username:
            self._require(actor, {"admin"}, "create tokens for others")
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

        ``touch`` records the token's last use (a write); ``touch=False`` only reads."""
        now = utcnow()
        unit = self._write(Actor("token", "admin")) if touch else self._read()
        with unit as s:
            tok = s.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))
            if tok is None or tok.revoked_at is not None:
                return None
            if tok.expires_at is not None and tok.expires_at <= now:
                return None
            user = s.get(UserRow, tok.user_id)
            if user is None or not user.active:
                return None
            if touch:
                tok.last_used_at = now
            return _user(user)

    def revoke_api_token(self, token_id: int, actor: Actor) -> None:
        """Revoke a token (its owner or an admin)."""
        with self._write(actor) as s:
            tok = s.get(ApiTokenRow, token_id)
            if tok is None:
                raise NotFoundError(f"no API token with id {token_id}")
            owner = s.get(UserRow, tok.user_id)
            if owner is None or owner.username != actor.username:
                self._require(actor, {"admin"}, "revoke others' tokens")
            tok.revoked_at = utcnow()

    def create_session(self, username: str, session_hash: str, expires_at: datetime) -> None:
        """Store the hash of a new login session."""
        with self._write(Actor(username, "admin")) as s:
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
            return None if user is None or not user.active else _user(user)

    def delete_session(self, session_hash: str) -> None:
        """End a session (log out)."""
        with self._write(Actor("session", "admin")) as s:
            s.execute(delete(SessionRow).where(SessionRow.session_hash == session_hash))
