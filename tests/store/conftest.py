"""Store fixtures: every store test runs on SQLite (tmp_path) and on a real PostgreSQL server.

PostgreSQL: ``AUTOSERUM_TEST_PG_URL`` (written to ``.autoserum-services.env`` by
``bash scripts/services.sh``, read from there when the variable is absent) names a server. One
fresh database is created per test session and dropped at the end; every test gets its own
schema in it (first on the search path), dropped after the test. An unreachable server FAILS
the tests: they are never skipped.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from autoserum.store import Actor, Store, open_store
from tests.store.helpers import TODAY

ROOT = Path(__file__).resolve().parents[2]
_counter = itertools.count()


def _pg_base_url() -> str:
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


def _admin_conninfo(url: str) -> str:
    u = make_url(url).set(drivername="postgresql", database="postgres")
    return u.render_as_string(hide_password=False)


def _with_db(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    base = _pg_base_url()
    name = f"autoserum_store_{os.getpid()}"
    try:
        admin = psycopg.connect(_admin_conninfo(base), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        pytest.fail(f"PostgreSQL at {base} is unreachable: {err}", pytrace=False)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield _with_db(base, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each engine in turn (PostgreSQL: a fresh schema of the session
    database, first on the search path, dropped after the test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    database: str = request.getfixturevalue("pg_database")
    schema = f"t{next(_counter)}"
    conninfo = make_url(database).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield (
                make_url(database)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open store on each engine."""
    st = open_store(db_url, clock=lambda: TODAY)
    try:
        yield st
    finally:
        st.close()


@pytest.fixture
def admin() -> Actor:
    """The study admin (sees arms)."""
    return Actor("ada", "admin")
