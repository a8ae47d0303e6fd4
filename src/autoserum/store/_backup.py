"""Backup and restore of a whole autoserum database.

- **SQLite**: SQLite's online backup API (``sqlite3.Connection.backup``): a consistent copy
  taken page by page while the server keeps running; the backup is itself an SQLite file.
- **PostgreSQL**: ``pg_dump --format=custom`` (consistent: one repeatable-read snapshot) and
  ``pg_restore`` into an empty database. The client tools must be at least the server's major
  version; the password is passed in ``PGPASSWORD``, never on the command line.

A restore refuses a target that already holds an autoserum schema, and ends by migrating the
restored database to this code's schema revision (a backup of an older version restores into
newer code). Restoring an SQLite backup into PostgreSQL or the reverse is refused: use
``autoserum export``/``import`` of the tidy format to move between engines.

>>> import tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> from autoserum.store import open_store
>>> open_store(f"sqlite:///{tmp / 'a.db'}").close()
>>> backup(f"sqlite:///{tmp / 'a.db'}", tmp / "a.backup").engine
'sqlite'
>>> from autoserum.store._migrate import head_revision
>>> restore(f"sqlite:///{tmp / 'b.db'}", tmp / "a.backup") == head_revision()
True
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from autoserum.errors import ConfigurationError, Expected, Message, ValidationError
from autoserum.store._engine import make_engine
from autoserum.store._migrate import migrate

__all__ = ["BackupInfo", "backup", "restore"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupInfo:
    """What :func:`backup` wrote."""

    path: Path
    engine: str
    bytes: int


def _url(url: str, field: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValidationError(
            field, url, Expected("a database URL (sqlite:///file.db or postgresql+psycopg://...)")
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValidationError(
                field, url, Expected("an SQLite database file, not an in-memory one")
            )
        return parsed
    if backend == "postgresql":
        return parsed
    raise ValidationError(field, url, Expected("a sqlite:/// or postgresql+psycopg:// URL"))


def _libpq(parsed: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it."""
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigurationError(
            Message(
                "%(program)s is not installed: PostgreSQL backups need the PostgreSQL client "
                "tools (Debian: apt-get install postgresql-client)",
                program=name,
            )
        )
    return path


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = " ".join(done.stderr.split())[:500]
        raise ConfigurationError(Message("%(what)s failed: %(reason)s", what=what, reason=reason))


def _has_schema(url: str) -> bool:
    engine = make_engine(url)
    try:
        return "alembic_version" in inspect(engine).get_table_names()
    except DBAPIError as err:
        reason = " ".join(str(err.orig).split())
        raise ConfigurationError(
            Message("cannot open the database: %(reason)s", reason=reason)
        ) from None
    finally:
        engine.dispose()


def backup(url: str, out: Path) -> BackupInfo:
    """Write a consistent backup of the database at ``url`` to ``out`` (a new file)."""
    parsed = _url(url, "db")
    out = Path(out)
    if out.exists():
        raise ValidationError("out", str(out), Expected("a file that does not exist yet"))
    if not out.parent.is_dir():
        raise ValidationError("out", str(out), Expected("a path in an existing folder"))
    if parsed.get_backend_name() == "sqlite":
        source = Path(str(parsed.database))
        if not source.is_file():
            raise ValidationError("db", url, Expected("an existing SQLite database file"))
        if not _has_schema(url):
            raise ValidationError("db", url, Expected("an autoserum database (no schema found)"))
        try:
            with (
                closing(sqlite3.connect(source)) as src,
                closing(sqlite3.connect(out)) as dst,
            ):
                src.backup(dst)
        except sqlite3.Error as err:
            out.unlink(missing_ok=True)
            raise ConfigurationError(
                Message("SQLite backup failed: %(error)s", error=err)
            ) from None
        return BackupInfo(path=out, engine="sqlite", bytes=out.stat().st_size)
    if not _has_schema(url):
        raise ValidationError("db", parsed.render_as_string(), Expected("an autoserum database"))
    conninfo, env = _libpq(parsed)
    try:
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
             f"--file={out}", f"--dbname={conninfo}"],
            env,
            "pg_dump",
        )  # fmt: skip
    except ConfigurationError:
        out.unlink(missing_ok=True)
        raise
    return BackupInfo(path=out, engine="postgresql", bytes=out.stat().st_size)


def restore(url: str, source: Path) -> str | None:
    """Restore the backup ``source`` into the empty database at ``url`` (an SQLite file that
    does not exist yet, or an existing PostgreSQL database without an autoserum schema), then
    migrate it to this code's schema; returns the schema revision."""
    parsed = _url(url, "db")
    source = Path(source)
    if not source.is_file():
        raise ValidationError("backup", str(source), Expected("an existing backup file"))
    with source.open("rb") as fh:
        magic = fh.read(len(_SQLITE_MAGIC))
    engine = parsed.get_backend_name()
    if magic.startswith(_SQLITE_MAGIC):
        kind = "sqlite"
    elif magic.startswith(_PGDUMP_MAGIC):
        kind = "postgresql"
    else:
        raise ValidationError(
            "backup", str(source), Expected("a backup written by autoserum backup")
        )
    if kind != engine:
        raise ValidationError(
            "db",
            parsed.render_as_string(),
            Expected(
                "a %(kind)s database for a %(kind)s backup (move between "
                "engines with autoserum export and import)",
                kind=kind,
            ),
        )
    if engine == "sqlite":
        target = Path(str(parsed.database))
        if target.exists():
            raise ValidationError("db", url, Expected("an SQLite file that does not exist yet"))
        try:
            with (
                closing(sqlite3.connect(source)) as src,
                closing(sqlite3.connect(target)) as dst,
            ):
                src.backup(dst)
        except sqlite3.Error as err:
            target.unlink(missing_ok=True)
            raise ConfigurationError(
                Message("SQLite restore failed: %(error)s", error=err)
            ) from None
    else:
        if _has_schema(url):
            raise ValidationError(
                "db",
                parsed.render_as_string(),
                Expected("an empty database (it holds an autoserum schema)"),
            )
        conninfo, env = _libpq(parsed)
        _run(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
             f"--dbname={conninfo}", str(source)],
            env,
            "pg_restore",
        )  # fmt: skip
    engine_ = make_engine(url)
    try:
        return migrate(engine_)
    finally:
        engine_.dispose()
