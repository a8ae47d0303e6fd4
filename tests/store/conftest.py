"""Store fixtures: every store test runs on SQLite (tmp_path) and on a real PostgreSQL server.

PostgreSQL: ``AUTOSERUM_TEST_PG_URL`` (written to ``.autoserum-services.env`` by
``bash scripts/services.sh``, read from there when the variable is absent) names a server. One
fresh database is created per test session and migrated once; every test gets its own copy
(``CREATE DATABASE ... TEMPLATE``), dropped after the test; the session database is dropped at
the end. An unreachable server FAILS the tests: they are never skipped.
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
def pg_template() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session (dropped at the end)."""
    base = _pg_base_url()
    name = f"autoserum_store_{os.getpid()}"
    try:
        admin = psycopg.connect(_admin_conninfo(base), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        pytest.fail(f"PostgreSQL at {base} is unreachable: {err}", pytrace=False)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        url = _with_db(base, name)
        open_store(url).close()  # migrate once; every test copies this database
        yield url
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with the schema in place, on each engine in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    template: str = request.getfixturevalue("pg_template")
    template_name = make_url(template).database
    name = f"{template_name}_{next(_counter)}"
    with psycopg.connect(_admin_conninfo(template), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
        try:
            yield _with_db(template, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open store on each engine."""
    st = open_store(db_url)
    try:
        yield st
    finally:
        st.close()


@pytest.fixture
def admin() -> Actor:
    """The study admin (sees arms)."""
    return Actor("ada", "admin")
