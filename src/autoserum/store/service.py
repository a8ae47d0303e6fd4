"""The store's public face: :func:`open_store` and :class:`Store`, a set of services over one
unit of work.

>>> from autoserum.store import Actor
>>> store = open_store("sqlite://")
>>> admin = Actor("ada", "admin")
>>> store.studies.create("DEMO", "ast-nahm2023", actor=admin, seed=1).open_label
False
>>> sorted({r.field for r in store.audit.trail("DEMO", actor=admin)})[:3]
['allocation_n', 'created_at', 'has_run_in']
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from autoserum.errors import ConfigurationError, Message
from autoserum.store import _review  # noqa: F401  (registers the review hook)
from autoserum.store._accounts import AccountService
from autoserum.store._base import TimeClock, UnitOfWork
from autoserum.store._checks import CheckService
from autoserum.store._consent import ConsentService
from autoserum.store._engine import make_engine
from autoserum.store._events import SecurityEventService
from autoserum.store._io import ExportService
from autoserum.store._locks import LockService
from autoserum.store._migrate import current_revision, head_revision, migrate
from autoserum.store._photofiles import PhotoFiles
from autoserum.store._photos import PhotoService
from autoserum.store._product import ProductService
from autoserum.store._queries import QueryService
from autoserum.store._records import RecordService
from autoserum.store._sdv import SdvService
from autoserum.store._self_report import SelfReportService
from autoserum.store._signatures import SignatureService
from autoserum.store._studies import StudyService
from autoserum.store._subjects import SubjectService
from autoserum.store._trail import AuditService
from autoserum.study.rules import Clock, utc_today

__all__ = ["PHOTO_DIR_ENV", "Store", "default_photo_dir", "open_store"]

PHOTO_DIR_ENV = "AUTOSERUM_PHOTO_DIR"
"""The environment variable naming the photo file store's folder."""


def default_photo_dir(engine: Engine) -> Path | None:
    """The photo file store's folder: ``$AUTOSERUM_PHOTO_DIR``, else ``<database>.photos``
    beside a SQLite database file; ``None`` (uploads refused) for an in-memory database or a
    server database without the variable.

    >>> from sqlalchemy import create_engine
    >>> default_photo_dir(create_engine("sqlite:////srv/trial/autoserum.db")).as_posix()
    '/srv/trial/autoserum.db.photos'
    """
    configured = os.environ.get(PHOTO_DIR_ENV)
    if configured:
        return Path(configured)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        path = Path(database)
        return path.with_name(path.name + ".photos")
    return None


class Store:
    """The durable audited store of studies (SQLite or PostgreSQL), as services:

    - ``studies``: create studies (their protocol frozen in), sites, the study's protocol;
    - ``subjects``: screening, randomisation, status, withdrawal, unblinding, listings;
    - ``records``: visits, assessments, labs, injections, adverse events, con-meds,
      deviations, and their corrections (``update``/``delete``);
    - ``accounts``: users, API tokens, login sessions, the login throttle's failures;
    - ``audit``: the audit trail;
    - ``events``: the security events (logins, tokens, passwords, exports, unblinding views);
    - ``exports``: tidy import and export;
    - ``consent``: consent documents, subjects' consents and withdrawals (the gate every
      writer of subject data asks once the study has consent documents);
    - ``locks``: record, visit, subject and database locks (every writer asks them) and the
      database lock's manifest;
    - ``queries``: data queries on records and fields, their threads (answers may carry the
      correction), the dashboard's counts and ages;
    - ``checks``: the automatic checks (run on every write and on demand) raising queries;
    - ``sdv``: source-data verification and its progress under the study's SDV plan;
    - ``signatures``: electronic signatures of visits, casebooks and the study;
    - ``product``: the autologous product's chain of identity;
    - ``photos``: lesion photographs (bytes in the file store at ``photo_dir``, metadata and
      hash in the database) and their blinded central rating;
    - ``self_report``: the patients' self-report links, their due questionnaires and
      entries, the diary compliance (docs/epro.md).

    Every write is one transaction, audited with the actor, the UTC time, the entity, field,
    old and new value and the reason. ``actor`` is keyword-only everywhere, followed (where
    they apply) by ``reason`` and ``expected_version``. Arms are masked for actors who may not
    see them.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock | None = None,
        now: TimeClock | None = None,
        photo_dir: Path | str | None = None,
    ) -> None:
        self.engine = engine
        self.uow = UnitOfWork(engine, clock=clock or utc_today, now=now)
        self.studies = StudyService(self.uow)
        self.subjects = SubjectService(self.uow)
        self.records = RecordService(self.uow)
        self.accounts = AccountService(self.uow)
        self.audit = AuditService(self.uow)
        self.exports = ExportService(self.uow)
        self.consent = ConsentService(self.uow)
        self.locks = LockService(self.uow)
        self.events = SecurityEventService(self.uow)
        self.queries = QueryService(self.uow)
        self.checks = CheckService(self.uow)
        self.sdv = SdvService(self.uow)
        self.signatures = SignatureService(self.uow)
        self.product = ProductService(self.uow)
        self.photos = PhotoService(
            self.uow, PhotoFiles(photo_dir if photo_dir is not None else default_photo_dir(engine))
        )
        self.self_report = SelfReportService(self.uow)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release the engine's connections and the writer gate's lock file."""
        self.engine.dispose()
        self.uow.close()

    def schema_revision(self) -> tuple[str | None, str]:
        """``(current, expected)``: the database's schema revision and the one this code needs
        (equal when the schema is current)."""
        return current_revision(self.engine), head_revision()


def open_store(
    url: str = "sqlite:///autoserum.db",
    *,
    create: bool = True,
    clock: Clock | None = None,
    now: TimeClock | None = None,
    photo_dir: Path | str | None = None,
) -> Store:
    """Open the store at ``url``; with ``create`` (default) the schema is created or migrated.

    ``create=False`` refuses a database that is not at the newest schema revision. ``clock``
    gives today's date for the integrity rules (no visit, injection or onset after today);
    by default the UTC date of the wall clock. ``now`` gives the time for the product's
    expiry and draw-to-injection checks (by default the time of day on ``clock``'s date).
    ``photo_dir`` is the photo file store's folder (default: :func:`default_photo_dir`).
    """
    engine = make_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        if create:
            migrate(engine)
        elif current_revision(engine) != head_revision():
            raise ConfigurationError(
                Message(
                    "the database at %(database)s is not at schema revision %(revision)s; "
                    "open it with create=True to migrate",
                    database=shown,
                    revision=head_revision(),
                )
            )
    except DBAPIError as err:
        engine.dispose()
        reason = " ".join(str(err.orig).split())
        raise ConfigurationError(
            Message(
                "cannot open the database at %(database)s: %(reason)s",
                database=shown,
                reason=reason,
            )
        ) from None
    except ConfigurationError:
        engine.dispose()
        raise
    return Store(engine, clock=clock, now=now, photo_dir=photo_dir)
