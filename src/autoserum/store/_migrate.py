"""Run the Alembic migrations shipped in the package (no alembic.ini needed at run time).

Several server processes may start together on one database: on PostgreSQL the upgrade runs
under a transaction-level advisory lock (``pg_advisory_xact_lock``) and re-reads the revision
once it holds the lock, so exactly one process migrates and the others find the schema
current; on SQLite the upgrade transaction begins with ``BEGIN IMMEDIATE`` (one writer).

>>> from autoserum.store._engine import make_engine
>>> engine = make_engine("sqlite://")
>>> migrate(engine) == head_revision()
True
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from autoserum.store._engine import WRITE

__all__ = [
    "MIGRATIONS",
    "MIGRATION_LOCK",
    "alembic_config",
    "current_revision",
    "head_revision",
    "migrate",
    "upgrade",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK = threading.Lock()
#: The PostgreSQL advisory lock key under which migrations run (a fixed 64-bit number).
MIGRATION_LOCK = 0x6175_746F_7365_7275  # "autoseru"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest revision of the packaged migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a revision
        raise RuntimeError("no migrations shipped")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the database to ``revision`` (default: the newest); ``(before, after)``.

    ``before`` is the revision read while holding the migration lock: when several processes
    call this together, one sees the old revision and migrates, the others see the new one.
    """
    cfg = alembic_config()
    with _LOCK, engine.connect().execution_options(**{WRITE: True}) as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # outside any transaction (inside one SQLite ignores the pragma)
            _pragma(conn, "foreign_keys=OFF")
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                    )
                before = MigrationContext.configure(conn).get_current_revision()
                if revision != "head" or before != head_revision():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                    if sqlite:
                        broken = conn.execute(text("PRAGMA foreign_key_check")).all()
                        if broken:
                            raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _pragma(conn, "foreign_keys=ON")
    return before, current_revision(engine)


def _pragma(conn: Connection, setting: str) -> None:
    """Run a PRAGMA on the driver connection, outside SQLAlchemy's transaction handling.

    On SQLite, whose migrations rebuild a table to alter it (copy, drop, rename), foreign keys
    are off for the span of a migration and checked in full before it commits, as SQLite's
    documentation prescribes for schema changes
    (https://www.sqlite.org/lang_altertable.html#otheralter): with them on, dropping a table
    other rows refer to fails even though its rebuilt copy takes its place."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Upgrade the database to ``revision`` (default: the newest) and return where it is.

    Serialised within a process (Alembic's migration context is global) and, on PostgreSQL,
    across processes by an advisory lock (see :func:`upgrade`)."""
    return upgrade(engine, revision)[1]
