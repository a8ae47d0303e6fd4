"""The PostgreSQL role split of docs/security.md on the real test server: an owner role runs the
migrations, the application connects as a role with only DML rights. As the application role,
disabling or dropping the audit trail's triggers and dropping a table fail; normal writes and
``audit verify`` work, and the triggers still refuse an UPDATE of an audit row.

The test server's initdb user (``autoserum``, trust authentication on 127.0.0.1, see
scripts/services.sh) is a superuser: it creates the two roles and the database and drops them
afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from autoserum.store import open_store
from tests.dbtemplates import pg_admin_conninfo, pg_base_url
from tests.store.helpers import ADMIN, COORDINATOR, double_blind_study, enrolled

pytestmark = pytest.mark.postgres


def _url(base: str, *, user: str, database: str) -> str:
    return (
        make_url(base)
        .set(username=user, password=None, database=database)
        .render_as_string(hide_password=False)
    )


def grants(app: str, owner: str) -> list[str]:
    """The statements docs/security.md gives for the application role (run by the owner)."""
    return [
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]


@pytest.fixture
def roles() -> Iterator[tuple[str, str]]:
    """(owner URL, application URL) on a fresh database owned by a fresh owner role."""
    base = pg_base_url()
    tag = uuid.uuid4().hex[:10]
    owner, app, database = f"as_owner_{tag}", f"as_app_{tag}", f"as_roles_{tag}"
    with psycopg.connect(pg_admin_conninfo(base), autocommit=True) as su:
        su.execute(f"CREATE ROLE {owner} LOGIN")
        su.execute(f"CREATE ROLE {app} LOGIN")
        su.execute(f"CREATE DATABASE {database} OWNER {owner}")
    try:
        yield _url(base, user=owner, database=database), _url(base, user=app, database=database)
    finally:
        with psycopg.connect(pg_admin_conninfo(base), autocommit=True) as su:
            su.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )
            su.execute(f"DROP DATABASE IF EXISTS {database}")
            su.execute(f"DROP ROLE IF EXISTS {app}")
            su.execute(f"DROP ROLE IF EXISTS {owner}")


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_the_application_role_cannot_touch_the_triggers_but_writes_and_verifies(
    roles: tuple[str, str],
) -> None:
    owner_url, app_url = roles
    owner = make_url(owner_url).username
    app = make_url(app_url).username
    assert owner
    assert app
    store = open_store(owner_url)  # the owner migrates the schema
    store.close()
    with psycopg.connect(_conninfo(owner_url), autocommit=True) as conn:
        for statement in grants(app, owner):
            conn.execute(statement)
    with psycopg.connect(_conninfo(app_url), autocommit=True) as conn:
        row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert row.fetchone() == (False,)
        for statement, message in [
            ("ALTER TABLE audit_log DISABLE TRIGGER USER", "must be owner"),
            ("ALTER TABLE audit_log DISABLE TRIGGER ALL", "must be owner"),
            ("DROP TRIGGER audit_log_no_update_delete ON audit_log", "must be owner"),
            ("DROP TABLE audit_log", "must be owner"),
            ("DROP TABLE subjects", "must be owner"),
            ("CREATE TABLE scratch (id int)", "permission denied"),
        ]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=message):
                conn.execute(statement)
    # the application's normal work, as the application role
    store = open_store(app_url)
    try:
        study = double_blind_study(store)
        enrolled(store, study, "S01")
        ae = store.records.add_adverse_event(
            study, "S01", actor=COORDINATOR, term="itch", severity="mild", serious=False,
            related="possible", outcome="recovering", onset_date="2026-03-03",
        )  # fmt: skip
        store.records.update(study, "adverse_event", ae.id, {"outcome": "recovered"},
                             actor=ADMIN, reason="follow-up call",
                             expected_version=ae.version)  # fmt: skip
        result = store.audit.verify()
        assert result.ok, result.problems
        assert {c.study for c in result.chains} >= {study}
    finally:
        store.close()
    with psycopg.connect(_conninfo(app_url), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE audit_log SET username = 'eve'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit_log")
        (rows,) = conn.execute("SELECT count(*) FROM audit_log").fetchone() or (0,)
        assert rows > 10
