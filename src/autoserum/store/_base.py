"""The store's plumbing: actors, the unit of work (read and write transactions), and the base
every service stands on (permissions and look-ups).

A :class:`Store` is a set of services (``store.studies``, ``store.subjects``, ``store.records``,
``store.accounts``, ``store.audit``, ``store.exports``) sharing one :class:`UnitOfWork`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, object_session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from autoserum.errors import (
    ConflictError,
    Expected,
    Message,
    NotFoundError,
    StateError,
    ValidationError,
)
from autoserum.permissions import PATIENT_ROLE, SiteKey, check_role, permits, require
from autoserum.protocols import (
    Protocol,
    ProtocolVersion,
    ProtocolVersions,
    parse_protocol_data,
)
from autoserum.store import _audit
from autoserum.store._engine import BUSY_TIMEOUT_MS, NOWAIT, WRITE
from autoserum.store._gate import WriterGate
from autoserum.store._types import utcnow
from autoserum.store.models import ProtocolVersionRow, SiteRow, StudyRow, SubjectRow
from autoserum.study.blinding import can_see_arm
from autoserum.study.rules import Clock, utc_today

__all__ = [
    "OWNER_ACTIONS",
    "STAGING_PREFIX",
    "SYSTEM",
    "SYSTEM_CLI",
    "Actor",
    "FifoLock",
    "Service",
    "SiteKey",
    "TimeClock",
    "UnitOfWork",
]

TimeClock = Callable[[], datetime]
"""The store's current time (timezone-aware UTC); tests pass a fixed one."""

STAGING_PREFIX = "~importing~"
"""The name prefix of a study an import is still writing (see ``store/_importer.py``): no
look-up by name finds it and no study list shows it; no user-given name may start with it."""


@dataclass(frozen=True)
class Actor:
    """Who acts: username, role, the sites they may touch as (study, site code) pairs (``None``
    = every site of every study) and the unblinded grant.

    >>> cora = Actor("cora", "coordinator", frozenset({("A", "s02")}))
    >>> cora.may("write_data", "A", "s02"), cora.may("write_data", "B", "s02")
    (True, False)
    """

    username: str
    role: str
    sites: frozenset[SiteKey] | None = None
    unblinded: bool = False

    def __post_init__(self) -> None:
        patient = self.role == PATIENT_ROLE and self.username.startswith(f"{PATIENT_ROLE}:")
        if (self.username, self.role) not in _SYSTEM_ACTORS and not patient:
            check_role(self.role)
        if not self.username:
            raise ValidationError("username", self.username, Expected("a non-empty username"))

    def may(self, action: str, study: str | None = None, site: str | None = None) -> bool:
        """Whether the permission table lets the actor perform ``action`` at site ``site`` of
        study ``study`` (:func:`autoserum.permissions.permits`; the system actor: never; the
        database owner's CLI: :data:`OWNER_ACTIONS`)."""
        if self == SYSTEM_CLI:
            return action in OWNER_ACTIONS
        return permits(self.role, action, sites=self.sites, study=study, site=site)

    def sees_arm(self, study: StudyRow) -> bool:
        """Whether the actor may see allocation arms of ``study`` (the system actor never
        reads study data and sees none; the database owner's CLI sees them)."""
        return self.sees_arms(open_label=study.open_label)

    def sees_arms(self, *, open_label: bool) -> bool:
        """:meth:`sees_arm` of a study known by whether it is open-label."""
        if self.role == SYSTEM_NAME:
            return self == SYSTEM_CLI
        return can_see_arm(self.role, unblinded=self.unblinded, open_label=open_label)


SYSTEM_NAME = "system"
_SYSTEM_ACTORS = frozenset({(SYSTEM_NAME, SYSTEM_NAME), (f"{SYSTEM_NAME}:cli", SYSTEM_NAME)})
SYSTEM = Actor(SYSTEM_NAME, SYSTEM_NAME)
"""The actor of the store's own bookkeeping writes (login state, token use, sessions): recorded
as ``system`` in the audit trail, never an impersonated user or admin, allowed no action of the
permission table."""
SYSTEM_CLI = Actor(f"{SYSTEM_NAME}:cli", SYSTEM_NAME)
"""The CLI run by the database's owner without ``--user``: recorded as ``system:cli`` (role
``system``), never as an admin. It may do what the CLI's commands do (:data:`OWNER_ACTIONS`:
import, studies and sites, accounts and tokens, locks) and sees arms (the owner can read them from
the database anyway); it may not record, correct, randomise or unblind."""
OWNER_ACTIONS = frozenset(
    {
        "read_study",
        "read_subject",
        "read_audit",
        "export",
        "import_data",
        "lock",
        "lock_database",
        "manage_study",
        "manage_users",
        "run_checks",
    }
)
"""What :data:`SYSTEM_CLI` may do (actions of :data:`autoserum.permissions.ACTIONS`, at every
site): what the CLI's commands do."""


class FifoLock:
    """A re-entrant lock handed to its waiters in arrival order (``threading.RLock`` lets a
    thread that just released it take it again, which starves others and makes the latency
    tail long under load).

    >>> lock = FifoLock()
    >>> with lock, lock:
    ...     pass
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[tuple[int, threading.Lock]] = deque()
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None:
                self._owner, self._depth = me, 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append((me, turn))
        turn.acquire()  # released by the previous owner, who made us the owner

    def try_enter(self) -> bool:
        """Take the lock if it is free (or already this thread's) without waiting; ``False``
        otherwise. Leave it with ``__exit__``."""
        me = threading.get_ident()
        with self._mutex:
            if self._owner is None or self._owner == me:
                self._owner = me
                self._depth += 1
                return True
            return False

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            if self._waiters:
                self._owner, turn = self._waiters.popleft()
                self._depth = 1
                turn.release()
            else:
                self._owner = None


class UnitOfWork:
    """Engine, sessions, the SQLite writer queue and the cache of parsed study protocols: what
    every service of one store shares. ``read()`` and ``write()`` are its transactions."""

    def __init__(
        self, engine: Engine, *, clock: Clock = utc_today, now: TimeClock | None = None
    ) -> None:
        self.engine = engine
        #: today's date for the integrity rules (no date after today); tests pass a fixed one
        self.clock = clock
        #: the time for the product's expiry and draw-to-injection checks: by default the
        #: wall clock's time of day on ``clock``'s date (so a fixed date stays consistent)
        self.now: TimeClock = now or (lambda: datetime.combine(clock(), utcnow().timetz()))
        self._sessions = sessionmaker(
            engine, class_=_audit.AuditedSession, expire_on_commit=False, autoflush=True
        )
        self.protocols: dict[int, ProtocolVersions] = {}
        # SQLite takes one writer at a time: writers of this process queue on a lock for the
        # span of their transaction only (instead of spinning on the busy timeout, whose sleeps
        # of up to 100 ms make the latency tail long). Other processes still queue on
        # BEGIN IMMEDIATE and the busy timeout. PostgreSQL needs no lock.
        self._write_lock = FifoLock() if engine.dialect.name == "sqlite" else None
        # ... and across processes, writers of one SQLite file take turns on a gate that wakes
        # the next waiter at once (SQLite's busy handler alone lets one process starve another)
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._gate = (
            WriterGate(database, timeout=BUSY_TIMEOUT_MS / 1000)
            if database not in (None, "", ":memory:")
            else None
        )

    def close(self) -> None:
        """Release the writer gate's lock file (the engine is disposed by the store)."""
        if self._gate is not None:
            self._gate.close()

    @contextmanager
    def read(self, *, autocommit: bool = False) -> Iterator[Session]:
        """One read transaction.

        ``autocommit`` (PostgreSQL): each statement is its own transaction, which spares the
        ``BEGIN`` and ``COMMIT`` round trips of a short read (a request's token look-up, a
        subject's record). Under READ COMMITTED, PostgreSQL's default and the store's, each
        statement of a transaction sees its own snapshot anyway, so the reads see the same
        data; not for a read that streams (a server-side cursor needs a transaction)."""
        with self._sessions() as session, session.begin():
            if autocommit and self.engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for a short Core read (no ORM session, no ORM objects): on PostgreSQL
        each statement is its own transaction, as :meth:`read` with ``autocommit``; on SQLite
        one deferred read transaction, rolled back at the end. For the reads of every request
        (the API token's look-up)."""
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    @contextmanager
    def write(self, actor: Actor, reason: str | None = None) -> Iterator[Session]:
        """One audited write transaction: committed on success, rolled back on any error."""
        lock = self._write_lock if self._write_lock is not None else nullcontext()
        gate = self._gate if self._gate is not None else nullcontext()
        with lock, gate, self._sessions() as session:
            session.connection(execution_options={WRITE: True})
            session.info["audit"] = _audit.AuditContext(actor.username, actor.role, reason)
            session.info["uow"] = self
            try:
                yield session
                session.commit()
            except StaleDataError as err:
                session.rollback()
                raise ConflictError(
                    Message("the record was changed by someone else meanwhile; reload and retry")
                ) from err
            except IntegrityError as err:
                session.rollback()
                raise StateError(
                    Message("the write conflicts with recorded data: %(orig)s", orig=err.orig)
                ) from err
            except BaseException:
                session.rollback()
                raise

    def give_way(self, seconds: float) -> None:
        """SQLite: wait while a writer of another process waits at the writer gate, at most
        ``seconds`` (``store/_gate.py``); PostgreSQL: return at once (row locks, no queue)."""
        if self._gate is not None:
            self._gate.give_way(seconds)

    @contextmanager
    def write_if_free(self, actor: Actor) -> Iterator[Session | None]:
        """A write transaction for bookkeeping that may be skipped: ``None`` instead of waiting
        when another writer holds SQLite's write lock (a read-only request never waits on an
        import or another process's writer). Committed on success; PostgreSQL always writes."""
        if self._write_lock is None:
            with self.write(actor) as session:
                yield session
            return
        if not self._write_lock.try_enter():
            yield None
            return
        try:
            if self._gate is not None and not self._gate.try_enter():
                yield None
                return
            try:
                with self._sessions() as session:
                    try:
                        session.connection(execution_options={WRITE: True, NOWAIT: True})
                    except OperationalError:
                        yield None
                        return
                    session.info["audit"] = _audit.AuditContext(actor.username, actor.role)
                    try:
                        yield session
                        session.commit()
                    except BaseException:
                        session.rollback()
                        raise
            finally:
                if self._gate is not None:
                    self._gate.__exit__(None, None, None)
        finally:
            self._write_lock.__exit__(None, None, None)

    def versions(self, study: StudyRow) -> ProtocolVersions:
        """The versions of ``study``'s protocol: version 1 frozen into it at creation, then
        its amendments (parsed once per latest version number, then cached)."""
        cached = self.protocols.get(study.id)
        if cached is None or cached.current.number != study.protocol_version:
            where = f"study {study.name}"
            first = ProtocolVersion(
                1,
                None,
                parse_protocol_data(study.protocol, location=where),
                summary="original protocol",
            )
            amended: list[ProtocolVersion] = []
            session = object_session(study)
            if study.protocol_version > 1 and session is not None:
                rows = session.scalars(
                    select(ProtocolVersionRow)
                    .where(ProtocolVersionRow.study_id == study.id)
                    .order_by(ProtocolVersionRow.number)
                )
                amended = [
                    ProtocolVersion(
                        r.number,
                        r.effective_on,
                        parse_protocol_data(r.protocol, location=f"{where} version {r.number}"),
                        summary=r.summary,
                        approved_by=r.approved_by,
                        recorded_by=r.recorded_by,
                        recorded_at=r.recorded_at,
                    )
                    for r in rows
                ]
            cached = ProtocolVersions((first, *amended))
            self.protocols[study.id] = cached
        return cached

    def protocol(self, study: StudyRow, *, on: date | None = None) -> Protocol:
        """The protocol of ``study`` in effect on ``on`` (a visit's date: the version that
        governs it); ``None``: the latest version. The one owner of "the study's protocol"."""
        return self.versions(study).on(on)


class Service:
    """What every service of the store stands on: the shared unit of work, permission checks
    and the look-ups of studies, sites and subjects inside a transaction."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    # --- transactions -------------------------------------------------------------------
    def _read(self, *, autocommit: bool = False) -> AbstractContextManager[Session]:
        return self._uow.read(autocommit=autocommit)

    def _write(self, actor: Actor, reason: str | None = None) -> AbstractContextManager[Session]:
        return self._uow.write(actor, reason)

    def _protocol(self, study: StudyRow, *, on: date | None = None) -> Protocol:
        return self._uow.protocol(study, on=on)

    def _versions(self, study: StudyRow) -> ProtocolVersions:
        return self._uow.versions(study)

    def _today(self) -> date:
        """Today's date by the store's clock."""
        return self._uow.clock()

    def _now(self) -> datetime:
        """The current time by the store's clock."""
        return self._uow.now()

    # --- permissions ----------------------------------------------------------------------
    @staticmethod
    def _require(
        actor: Actor, action: str, *, study: str | None = None, site: str | None = None
    ) -> None:
        """:class:`PermissionDeniedError` unless the permission table lets ``actor`` perform
        ``action`` (at site ``site`` of ``study`` when given); :data:`SYSTEM_CLI` may perform
        :data:`OWNER_ACTIONS`."""
        if actor == SYSTEM_CLI and action in OWNER_ACTIONS:
            return
        require(
            actor.role, action, username=actor.username, sites=actor.sites, study=study, site=site
        )

    # --- look-ups -------------------------------------------------------------------------
    @staticmethod
    def _study(session: Session, name: str) -> StudyRow:
        row = None
        if not name.startswith(STAGING_PREFIX):
            row = session.scalar(select(StudyRow).where(StudyRow.name == name))
        if row is None:
            raise NotFoundError(Message("no study named %(name)s", name=repr(name)))
        return row

    @staticmethod
    def _site(session: Session, study: StudyRow, code: str) -> SiteRow:
        row: SiteRow | None = session.scalar(
            select(SiteRow).where(SiteRow.study_id == study.id, SiteRow.code == code)
        )
        if row is None:
            raise NotFoundError(
                Message(
                    "no site %(code)s in study %(name)s", code=repr(code), name=repr(study.name)
                )
            )
        return row

    def _subject(
        self,
        session: Session,
        study: StudyRow,
        subject_id: str,
        actor: Actor,
        *,
        action: str,
        lock: bool = False,
    ) -> SubjectRow:
        """The subject ``subject_id`` of ``study`` if ``actor`` may perform ``action`` on it.

        A subject outside the actor's reach is answered exactly like a missing one (least
        disclosure: no 403-vs-404 oracle of which identifiers exist at other sites)."""
        stmt = select(SubjectRow).where(
            SubjectRow.study_id == study.id, SubjectRow.subject_id == subject_id
        )
        if lock:
            stmt = stmt.with_for_update()
        row: SubjectRow | None = session.scalar(stmt)
        self._require(actor, action, study=study.name)
        if row is None or not actor.may(action, study.name, self._site_code(session, row.site_id)):
            raise NotFoundError(
                Message(
                    "no subject %(subject_id)s in study %(name)s",
                    subject_id=repr(subject_id),
                    name=repr(study.name),
                )
            )
        return row

    @staticmethod
    def _site_code(session: Session, site_id: int) -> str:
        site = session.get(SiteRow, site_id)
        if site is None:  # pragma: no cover - foreign key
            raise NotFoundError(Message("no site with id %(site_id)s", site_id=site_id))
        code: str = site.code
        return code

    @staticmethod
    def _nonempty(field: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(field, value, Expected("a non-empty text"))
        return value
