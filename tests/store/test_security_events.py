"""The security-event stream on both engines: logins, failed logins, lockouts, tokens and
password changes are recorded apart from the data changes, append-only and hash-chained by the
audit trail's code; ``audit verify`` finds a rewritten event; migration 0008 runs both ways."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from autoserum.cli import app
from autoserum.errors import PermissionDeniedError, ValidationError
from autoserum.store import SECURITY_CHAIN, SYSTEM_CLI, LoginLimits, Store
from autoserum.store._engine import make_engine
from autoserum.store._migrate import current_revision, head_revision, migrate
from tests.store.helpers import ADMIN, COORDINATOR

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LIMITS = LoginLimits(
    max_failures=2, lockout=timedelta(minutes=15), per_client=100, window=timedelta(seconds=60)
)
runner = CliRunner()


def _login(store: Store, username: str, *, right: bool) -> None:
    attempt = store.accounts.begin_login(username, client="10.0.0.7", at=T0, limits=LIMITS)
    store.accounts.finish_login(username, attempt=attempt, right=right, client="10.0.0.7", at=T0)


def _events_happen(store: Store) -> int:
    store.accounts.create_user("cora", "h", "coordinator", None, actor=ADMIN)
    _login(store, "cora", right=True)
    _login(store, "nobody", right=False)
    _login(store, "cora", right=False)
    _login(store, "cora", right=False)  # the second failure in a row locks
    _login(store, "cora", right=True)  # refused: locked
    token = store.accounts.create_api_token("cora", "t-hash", actor=ADMIN, label="laptop")
    store.accounts.revoke_api_token(token, actor=ADMIN)
    store.accounts.create_api_token("cora", "t2-hash", actor=ADMIN)
    store.accounts.update_user("cora", {"password_hash": "h2"}, actor=ADMIN, reason="reset")
    return token


def test_events_are_recorded_apart_from_data_changes(store: Store) -> None:
    token = _events_happen(store)
    events = store.events.events(actor=ADMIN)
    assert [(e.kind, e.actor, e.username) for e in events] == [
        ("login", "cora", "cora"),
        ("login_failed", "nobody", "nobody"),
        ("login_failed", "cora", "cora"),
        ("login_failed", "cora", "cora"),
        ("lockout", "cora", "cora"),
        ("login_failed", "cora", "cora"),
        ("token_created", "ada", "cora"),
        ("token_revoked", "ada", "cora"),
        ("token_created", "ada", "cora"),
        ("password_changed", "ada", "cora"),
        ("token_revoked", "ada", "cora"),
    ]
    reasons = [e.detail["reason"] for e in events if e.kind == "login_failed"]
    assert reasons == ["unknown_user", "wrong_password", "wrong_password", "locked"]
    assert events[0].client == "10.0.0.7"
    assert events[6].detail == {"token_id": token, "label": "laptop", "expires_at": None}
    assert events[9].detail == {"sessions_ended": 0, "tokens_revoked": 1}
    assert "t-hash" not in json.dumps([e.to_json() for e in events])  # never a token hash
    # the data changes hold no login; the security events no study data
    assert {r.entity for r in store.audit.raw_rows()} == {"user"}
    assert [e.kind for e in store.events.events(actor=ADMIN, kind="lockout")] == ["lockout"]
    assert len(store.events.events(actor=ADMIN, limit=3)) == 3
    assert store.events.events(actor=SYSTEM_CLI)  # the database owner's CLI reads them too
    with pytest.raises(PermissionDeniedError):
        store.events.events(actor=COORDINATOR)
    with pytest.raises(ValidationError, match="kind"):
        store.events.events(actor=ADMIN, kind="coffee")


def test_the_stream_is_chained_and_verified(store: Store) -> None:
    _events_happen(store)
    result = store.audit.verify()
    assert result.ok, result.problems
    security = [c for c in result.chains if c.chain == SECURITY_CHAIN]
    assert len(security) == 1
    assert security[0].length == 11
    # verifying one study leaves the security chain out
    store.studies.create("A", "ast-nahm2023", actor=ADMIN, seed=1)
    assert {c.chain for c in store.audit.verify("A").chains} == {1}


def test_a_rewritten_event_is_detected(store: Store, db_url: str) -> None:
    _events_happen(store)
    engine = store.engine
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE security_events SET actor = 'eve' WHERE kind = 'lockout'"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM security_events"))
    # the owner drops the trigger and hides the lockout's origin
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER security_events_no_update"))
        else:
            conn.execute(
                text("ALTER TABLE security_events DISABLE TRIGGER security_events_no_update_delete")
            )
        row_id = conn.execute(
            text("SELECT id FROM security_events WHERE kind = 'lockout'")
        ).scalar_one()
        conn.execute(
            text("UPDATE security_events SET client = '127.0.0.1' WHERE id = :i"), {"i": row_id}
        )
    result = store.audit.verify()
    assert not result.ok
    assert [(p.chain, p.row, p.kind) for p in result.problems] == [
        (SECURITY_CHAIN, row_id, "content")
    ]
    out = runner.invoke(app, ["audit", "verify", "--db", db_url])
    assert out.exit_code == 1
    assert f"BROKEN content in chain security-events at row {row_id}" in out.stderr


def test_the_cli_prints_events_and_verifies_the_stream(store: Store, db_url: str) -> None:
    _events_happen(store)
    out = runner.invoke(app, ["audit", "events", "--db", db_url, "--kind", "login_failed"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 4
    assert "login_failed nobody from 10.0.0.7" in lines[0]
    assert '"reason": "unknown_user"' in lines[0]
    as_json = runner.invoke(app, ["audit", "events", "--db", db_url, "--json", "--limit", "2"])
    assert [e["kind"] for e in json.loads(as_json.stdout)] == ["password_changed", "token_revoked"]
    verified = runner.invoke(app, ["audit", "verify", "--db", db_url])
    assert verified.exit_code == 0, verified.output
    assert "chain security-events: 11 rows" in verified.stdout
    heads = runner.invoke(app, ["audit", "head", "--db", db_url])
    assert heads.stdout.splitlines()[0].startswith("security-events\t11\t")


def test_migration_0008_up_and_down(db_url: str) -> None:
    from alembic import command

    from autoserum.store._migrate import alembic_config

    engine = make_engine(db_url)
    try:
        assert migrate(engine, "0007") == "0007"
        assert migrate(engine) == head_revision()
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM security_events")).scalar_one() == 0
        with engine.connect() as conn, conn.begin():
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        assert current_revision(engine) == "0007"
        assert migrate(engine) == head_revision()
    finally:
        engine.dispose()
