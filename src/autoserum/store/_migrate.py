"""Run the Alembic migrations shipped in the package (no alembic.ini needed at run time).

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
from sqlalchemy import Connection, Engine

__all__ = ["MIGRATIONS", "alembic_config", "current_revision", "head_revision", "migrate"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK = threading.Lock()


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


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Upgrade the database to ``revision`` (default: the newest) and return where it is.

    Serialised within a process (Alembic's migration context is global). On SQLite, whose
    migrations rebuild a table to alter it (copy, drop, rename), foreign keys are off for the
    span of the migration and checked in full before it commits, as SQLite's documentation
    prescribes for schema changes (https://www.sqlite.org/lang_altertable.html#otheralter):
    with them on, dropping a table other rows refer to fails even though its rebuilt copy takes
    its place."""
    cfg = alembic_config()
    sqlite = engine.dialect.name == "sqlite"
    with _LOCK, engine.connect() as conn:
        if sqlite:  # outside any transaction (inside one SQLite ignores the pragma)
            _pragma(conn, "foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _pragma(conn, "foreign_keys=ON")
    return current_revision(engine)


def _pragma(conn: Connection, setting: str) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()
