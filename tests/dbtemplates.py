"""Migrated database templates: the Alembic migrations run once per test session (per xdist
worker), and a test that needs a store at the newest schema gets a copy.

Migrating an empty database from scratch (every revision, a table rebuild each on SQLite) takes
seconds; copying a migrated SQLite file or cloning a PostgreSQL database (``CREATE DATABASE ...
TEMPLATE``) takes a fraction of one. The migrations write no time or random value, so the copy
is the database a migration from scratch makes. Tests of the migrations themselves start from
an empty database (the stores' ``db_url`` unless the test asks for ``store``).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from autoserum.store import open_store

__all__ = [
    "copy_sqlite_template",
    "make_sqlite_template",
    "new_pg_database",
    "pg_admin_conninfo",
    "pg_base_url",
    "pg_template",
    "pg_url_for",
]

ROOT = Path(__file__).resolve().parents[1]


def make_sqlite_template(path: Path) -> Path:
    """A SQLite database at ``path`` migrated to the newest revision, checkpointed (its write-
    ahead log folded in) so that the file alone is the whole database."""
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def copy_sqlite_template(template: Path, url: str) -> str:
    """Copy ``template`` to the file of the SQLite ``url`` (which must not exist yet)."""
    database = make_url(url).database
    assert database, url
    target = Path(database)
    assert not target.exists(), f"{target} exists: the template is copied only to a new file"
    shutil.copyfile(template, target)
    return url


def pg_base_url() -> str:
    """The PostgreSQL server of the tests: ``AUTOSERUM_TEST_PG_URL``, else the one written to
    ``.autoserum-services.env`` by ``bash scripts/services.sh``. Fails (never skips) without."""
    url = os.environ.get("AUTOSERUM_TEST_PG_URL")
    if not url:
        env = ROOT / ".autoserum-services.env"
        if env.exists():
            match = re.search(r"AUTOSERUM_TEST_PG_URL=(\S+)", env.read_text(encoding="utf-8"))
            url = match.group(1) if match else None
    if not url:
        pytest.fail(
            "AUTOSERUM_TEST_PG_URL is not set and .autoserum-services.env is missing: "
            "run `bash scripts/services.sh` (PostgreSQL tests are never skipped)",
            pytrace=False,
        )
    return url


def pg_admin_conninfo(url: str) -> str:
    """A libpq connection string to the server's ``postgres`` database."""
    u = make_url(url).set(drivername="postgresql", database="postgres")
    return u.render_as_string(hide_password=False)


def pg_url_for(url: str, name: str) -> str:
    """``url`` with the database ``name``."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _admin(base: str) -> psycopg.Connection:
    try:
        return psycopg.connect(pg_admin_conninfo(base), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        pytest.fail(f"PostgreSQL at {base} is unreachable: {err}", pytrace=False)


@contextmanager
def new_pg_database(base: str, prefix: str, *, template: str | None = None) -> Iterator[str]:
    """A new database on the server of ``base`` (a copy of ``template`` if given; empty
    otherwise), dropped afterwards; yields its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    with _admin(base) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{clause}')
        try:
            yield pg_url_for(base, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def pg_template(base: str) -> Iterator[str]:
    """A database migrated to the newest revision, with no connection left open (so that
    ``CREATE DATABASE ... TEMPLATE`` may copy it); yields its name, dropped afterwards."""
    with new_pg_database(base, "autoserum_template") as url:
        open_store(url).close()
        name = make_url(url).database
        assert name
        yield name
