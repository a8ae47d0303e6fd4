"""The store's plumbing: actors, read and write transactions, permissions and look-ups."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from autoserum.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    StateError,
    ValidationError,
)
from autoserum.protocols import Protocol, parse_protocol_data
from autoserum.store import _audit
from autoserum.store._engine import WRITE
from autoserum.store.models import SiteRow, StudyRow, SubjectRow
from autoserum.study.blinding import can_see_arm, check_role

__all__ = ["CLINICAL_WRITERS", "Actor", "StoreBase"]

CLINICAL_WRITERS = frozenset({"admin", "investigator", "coordinator"})


@dataclass(frozen=True)
class Actor:
    """Who acts: username, role, the sites they may touch (``None`` = all) and the unblinded grant.

    >>> Actor("ada", "monitor", frozenset({"s01"})).may_access_site("s02")
    False
    """

    username: str
    role: str
    sites: frozenset[str] | None = None
    unblinded: bool = False

    def __post_init__(self) -> None:
        check_role(self.role)
        if not self.username:
            raise ValidationError("username", self.username, "a non-empty username")

    def may_access_site(self, site: str) -> bool:
        """Whether the actor's site restriction lets them see ``site``."""
        return self.sites is None or site in self.sites

    def sees_arm(self, study: StudyRow) -> bool:
        """Whether the actor may see allocation arms of ``study``."""
        return can_see_arm(self.role, unblinded=self.unblinded, open_label=study.open_label)


class StoreBase:
    """Engine, sessions and the helpers every service mixin uses."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(
            engine, class_=_audit.AuditedSession, expire_on_commit=False, autoflush=True
        )
        self._protocols: dict[int, Protocol] = {}

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    # --- transactions -------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def _write(self, actor: Actor, reason: str | None = None) -> Iterator[Session]:
        """One audited write transaction: committed on success, rolled back on any error."""
        with self._sessions() as session:
            session.connection(execution_options={WRITE: True})
            session.info["audit"] = _audit.AuditContext(actor.username, actor.role, reason)
            try:
                yield session
                session.commit()
            except StaleDataError as err:
                session.rollback()
                raise ConflictError(
                    "the record was changed by someone else meanwhile; reload and retry"
                ) from err
            except IntegrityError as err:
                session.rollback()
                raise StateError(f"the write conflicts with recorded data: {err.orig}") from err
            except BaseException:
                session.rollback()
                raise

    # --- permissions ----------------------------------------------------------------------
    @staticmethod
    def _require(actor: Actor, roles: Iterable[str], what: str) -> None:
        allowed = frozenset(roles)
        if actor.role not in allowed:
            raise PermissionDeniedError(
                f"{actor.username} ({actor.role}) may not {what}; needs one of "
                f"{', '.join(sorted(allowed))}"
            )

    @staticmethod
    def _require_site(actor: Actor, site: str) -> None:
        if not actor.may_access_site(site):
            raise PermissionDeniedError(f"{actor.username} has no access to site {site!r}")

    # --- look-ups -------------------------------------------------------------------------
    @staticmethod
    def _study(session: Session, name: str) -> StudyRow:
        row = session.scalar(select(StudyRow).where(StudyRow.name == name))
        if row is None:
            raise NotFoundError(f"no study named {name!r}")
        return row

    def _protocol(self, study: StudyRow) -> Protocol:
        cached = self._protocols.get(study.id)
        if cached is None:
            cached = parse_protocol_data(study.protocol, location=f"study {study.name}")
            self._protocols[study.id] = cached
        return cached

    @staticmethod
    def _site(session: Session, study: StudyRow, code: str) -> SiteRow:
        row = session.scalar(
            select(SiteRow).where(SiteRow.study_id == study.id, SiteRow.code == code)
        )
        if row is None:
            raise NotFoundError(f"no site {code!r} in study {study.name!r}")
        return row

    def _subject(
        self,
        session: Session,
        study: StudyRow,
        subject_id: str,
        actor: Actor,
        *,
        lock: bool = False,
    ) -> SubjectRow:
        stmt = select(SubjectRow).where(
            SubjectRow.study_id == study.id, SubjectRow.subject_id == subject_id
        )
        if lock:
            stmt = stmt.with_for_update()
        row = session.scalar(stmt)
        if row is None:
            raise NotFoundError(f"no subject {subject_id!r} in study {study.name!r}")
        self._require_site(actor, self._site_code(session, row.site_id))
        return row

    @staticmethod
    def _site_code(session: Session, site_id: int) -> str:
        site = session.get(SiteRow, site_id)
        if site is None:  # pragma: no cover - foreign key
            raise NotFoundError(f"no site with id {site_id}")
        return site.code

    @staticmethod
    def _nonempty(field: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(field, value, "a non-empty text")
        return value
