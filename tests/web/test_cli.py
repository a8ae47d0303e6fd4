"""CLI: ``autoserum user add/passwd/token`` and ``autoserum serve`` (help with examples)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from autoserum.accounts import hash_token, verify_password
from autoserum.cli import app
from autoserum.store import Actor, open_store

runner = CliRunner()


def test_user_add_hashes_the_password_and_token_prints_once(db_url: str) -> None:
    setup = open_store(db_url)
    setup.studies.create("AST-1", "ast-nahm2023", actor=Actor("ada", "admin"), seed=1)
    setup.studies.add_site("AST-1", "S1", "Site one", actor=Actor("ada", "admin"))
    setup.close()
    result = runner.invoke(
        app,
        ["user", "add", "bob", "--role", "investigator", "--site", "AST-1/S1", "--password-stdin",
         "--db", db_url],
        input="a long passphrase\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    store = open_store(db_url)
    record = store.accounts.get_user("bob")
    assert record is not None
    assert record.role == "investigator"
    assert record.sites == frozenset({("AST-1", "S1")})
    assert record.password_hash.startswith("$argon2id$")
    assert verify_password(record.password_hash, "a long passphrase")
    token = runner.invoke(app, ["user", "token", "bob", "--db", db_url])
    assert token.exit_code == 0
    printed = token.stdout.strip()
    assert printed.startswith("ast_")
    owner = store.accounts.user_for_token(hash_token(printed))
    assert owner is not None
    assert owner.username == "bob"


def test_user_passwd_changes_the_password(db_url: str) -> None:
    runner.invoke(
        app, ["user", "add", "ada", "--role", "admin", "--password-stdin", "--db", db_url],
        input="first passphrase\n",
    )  # fmt: skip
    result = runner.invoke(
        app, ["user", "passwd", "ada", "--password-stdin", "--db", db_url],
        input="second passphrase\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = open_store(db_url).accounts.get_user("ada")
    assert record is not None
    assert verify_password(record.password_hash, "second passphrase")


@pytest.mark.parametrize(
    ("role", "field"),
    [("chief", "role"), ("monitor", "site"), ("admin", "password")],  # password: too short
)
def test_user_add_rejects_bad_input_with_exit_2(
    db_url: str,
    role: str,
    field: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from autoserum.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(SystemExit) as exc:
        main(["user", "add", "eve", "--role", role, "--password-stdin", "--db", db_url])
    assert exc.value.code == 2
    assert f"error: {field}:" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command", [["serve"], ["user"], ["user", "add"], ["user", "passwd"], ["user", "token"]]
)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example: autoserum" in result.output


def test_serve_creates_the_schema_and_serves(tmp_path: Path) -> None:
    """``autoserum serve`` (database from AUTOSERUM_DATABASE_URL) answers on loopback."""
    from tests.ports import free_port

    db = tmp_path / "served.db"
    port = free_port()
    cli = str(Path(sys.executable).with_name("autoserum"))
    env = {
        **os.environ,
        "AUTOSERUM_DATABASE_URL": f"sqlite:///{db}",
        "AUTOSERUM_ENV": "development",
    }
    proc = subprocess.Popen(
        [cli, "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90  # start-up takes >30 s on a loaded 2-core machine
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert response.status_code == 200
        assert 'name="username"' in response.text
        assert db.exists()
        assert open_store(f"sqlite:///{db}", create=False).accounts.get_user("nobody") is None
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _sessions(db_url: str) -> int:
    from sqlalchemy import text

    store = open_store(db_url)
    with store.engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM sessions")).scalar_one())
    store.close()
    return count


@pytest.mark.parametrize("keep", [False, True])
def test_a_password_reset_ends_sessions_and_revokes_tokens(db_url: str, keep: bool) -> None:
    from datetime import UTC, datetime, timedelta

    runner.invoke(
        app, ["user", "add", "ada", "--role", "admin", "--password-stdin", "--db", db_url],
        input="first passphrase\n",
    )  # fmt: skip
    printed = runner.invoke(app, ["user", "token", "ada", "--db", db_url]).stdout.strip()
    store = open_store(db_url)
    store.accounts.create_session("ada", "sid-hash", datetime.now(UTC) + timedelta(hours=8))
    assert store.accounts.user_for_session("sid-hash") is not None
    result = runner.invoke(
        app,
        ["user", "passwd", "ada", "--password-stdin", "--db", db_url]
        + (["--keep-tokens"] if keep else []),
        input="second passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert store.accounts.user_for_session("sid-hash") is None
    assert _sessions(db_url) == 0
    owner = store.accounts.user_for_token(hash_token(printed), touch=False)
    assert (owner is not None) == keep
    store.close()


def test_tokens_expire_after_90_days_by_default(db_url: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import text

    runner.invoke(
        app, ["user", "add", "ada", "--role", "admin", "--password-stdin", "--db", db_url],
        input="first passphrase\n",
    )  # fmt: skip
    assert runner.invoke(app, ["user", "token", "ada", "--db", db_url]).exit_code == 0
    assert (
        runner.invoke(app, ["user", "token", "ada", "--expires", "7", "--db", db_url]).exit_code
        == 0
    )
    store = open_store(db_url)
    with store.engine.connect() as conn:
        expiries = (
            conn.execute(text("SELECT expires_at FROM api_tokens ORDER BY id")).scalars().all()
        )
    store.close()
    now = datetime.now(UTC)
    days = [
        (datetime.strptime(str(e), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) - now).days
        for e in expiries
    ]
    assert days == [89, 6]  # 90 and 7 days from now, less the seconds since
    bad = runner.invoke(app, ["user", "token", "ada", "--expires", "0", "--db", db_url])
    assert bad.exit_code == 2
