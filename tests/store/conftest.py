"""Store fixtures: every store test runs on SQLite (tmp_path) and on a real PostgreSQL server.

PostgreSQL: ``AUTOSERUM_TEST_PG_URL`` (written to ``.autoserum-services.env`` by
``bash scripts/services.sh``, read from there when the variable is absent) names a server. One
fresh database is created per test session and dropped at the end; every test gets its own
schema in it (first on the search path), dropped after the test, or, when it asks for
``store``, its own database cloned from the session's migrated template
(``tests/dbtemplates.py``). An unreachable server FAILS the tests: they are never skipped.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from autoserum.store import Actor, Store, open_store
from tests.dbtemplates import (
    copy_sqlite_template,
    new_pg_database,
    pg_admin_conninfo,
    pg_base_url,
    pg_url_for,
)
from tests.store.helpers import TODAY

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    base = pg_base_url()
    name = f"autoserum_store_{os.getpid()}"
    try:
        admin = psycopg.connect(pg_admin_conninfo(base), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        pytest.fail(f"PostgreSQL at {base} is unreachable: {err}", pytrace=False)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield pg_url_for(base, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database on each engine in turn: empty, or, for a test that asks for ``store``, a copy
    of the session's migrated template (the schema ``store`` would migrate it to anyway).

    PostgreSQL: an empty database is a fresh schema of the session database, first on the
    search path; a migrated one a database cloned from the template; dropped after the test."""
    migrated = "store" in request.fixturenames
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        if migrated:
            copy_sqlite_template(request.getfixturevalue("sqlite_template"), url)
        yield url
        return
    if migrated:
        template: str = request.getfixturevalue("pg_template_name")
        with new_pg_database(pg_base_url(), "autoserum_store", template=template) as url:
            yield url
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
