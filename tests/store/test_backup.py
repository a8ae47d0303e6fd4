"""Backup → restore gives the same database: the same tidy export, the same audit trail, and
the audit trail replays to the restored state (SQLite online backup; pg_dump/pg_restore on a
real PostgreSQL server). `audit verify` (the tamper-evident chain of issue 11) does not exist
yet, so the chain is not checked here; replay is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from autoserum.cli import app
from autoserum.errors import ValidationError
from autoserum.simulate import simulate_study
from autoserum.store import Actor, backup, open_store, restore
from autoserum.store.replay import current_state, replay_audit
from tests.dbtemplates import pg_admin_conninfo, pg_base_url

ADMIN = Actor("ada", "admin")


def _fill(url: str) -> None:
    study = simulate_study("ast-nahm2023", 10, 7)
    store = open_store(url)
    try:
        store.exports.import_long("AST", study.visits, actor=ADMIN, protocol="ast-nahm2023")
    finally:
        store.close()


def _snapshot(url: str) -> tuple[object, object, int, bool]:
    store = open_store(url, create=False)
    try:
        rows = store.audit.raw_rows("AST")
        replayed = replay_audit(rows) == current_state(store, "AST")
        return (
            store.exports.long("AST", actor=ADMIN),
            [r.new_value for r in rows],
            len(rows),
            replayed,
        )
    finally:
        store.close()


@pytest.fixture
def pg_pair() -> Iterator[tuple[str, str]]:
    """Two fresh PostgreSQL databases (source and restore target), dropped afterwards."""
    base = pg_base_url()
    names = [f"bk_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with psycopg.connect(pg_admin_conninfo(base), autocommit=True) as admin:
        for n in names:
            admin.execute(f'CREATE DATABASE "{n}"')
        try:
            yield tuple(  # type: ignore[misc]
                make_url(base).set(database=n).render_as_string(hide_password=False) for n in names
            )
        finally:
            for n in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


def _round_trip(source: str, target: str, file: Path) -> None:
    _fill(source)
    info = backup(source, file)
    assert info.bytes > 0
    restore(target, file)
    before, after = _snapshot(source), _snapshot(target)
    assert after[3], "the restored audit trail does not replay to the restored state"
    assert before[2] == after[2] > 100
    assert before[1] == after[1]
    assert before[0].equals(after[0])  # type: ignore[attr-defined]


def test_sqlite_backup_restore_round_trip(tmp_path: Path) -> None:
    _round_trip(
        f"sqlite:///{tmp_path / 'live.db'}",
        f"sqlite:///{tmp_path / 'restored.db'}",
        tmp_path / "live.backup",
    )


def test_postgresql_backup_restore_round_trip(pg_pair: tuple[str, str], tmp_path: Path) -> None:
    _round_trip(*pg_pair, tmp_path / "pg.backup")


def test_restore_refuses_a_target_with_a_schema(pg_pair: tuple[str, str], tmp_path: Path) -> None:
    source, target = pg_pair
    open_store(source).close()
    open_store(target).close()
    backup(source, tmp_path / "pg.backup")
    with pytest.raises(ValidationError, match="an empty database"):
        restore(target, tmp_path / "pg.backup")


def test_cross_engine_restore_is_refused(tmp_path: Path) -> None:
    open_store(f"sqlite:///{tmp_path / 'a.db'}").close()
    backup(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "a.backup")
    with pytest.raises(ValidationError, match="sqlite database for a sqlite backup"):
        restore("postgresql+psycopg://nobody@127.0.0.1:1/x", tmp_path / "a.backup")


def test_cli_backup_and_restore(tmp_path: Path) -> None:
    live = f"sqlite:///{tmp_path / 'live.db'}"
    open_store(live).close()
    runner = CliRunner()
    out = tmp_path / "live.backup"
    done = runner.invoke(app, ["backup", "--db", live, "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "sqlite backup" in done.output
    again = runner.invoke(app, ["backup", "--db", live, "--out", str(out)])
    assert isinstance(again.exception, ValidationError)  # main() maps it to exit 2
    assert "a file that does not exist yet" in str(again.exception)
    target = tmp_path / "restored.db"
    done = runner.invoke(app, ["restore", "--db", f"sqlite:///{target}", "--from", str(out)])
    assert done.exit_code == 0, done.output
    assert target.is_file()
    existing = runner.invoke(app, ["restore", "--db", f"sqlite:///{target}", "--from", str(out)])
    assert isinstance(existing.exception, ValidationError)
