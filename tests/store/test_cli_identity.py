"""Real identities at the command line (both engines): ``--user`` must name an existing account
and prove it (an API token, or the password on stdin); the CLI then writes as that account with
its own role. Without ``--user`` the writes are attributed to ``system:cli`` (role ``system``,
not an admin). Before: ``import --user NAME`` wrote any name into the audit trail as admin."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from autoserum.accounts import hash_password, hash_token, new_token
from autoserum.cli import main
from autoserum.store import Store
from tests.store.helpers import ADMIN
from tests.store.test_import_export import ae_file, visit_file

PASSWORD = "correct horse battery staple"


def _cli(capsys: pytest.CaptureFixture[str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    capsys.readouterr()
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    finally:
        sys.stdin = old
    out, err = capsys.readouterr()
    return code, out, err


def _accounts(store: Store) -> dict[str, str]:
    secret = hash_password(PASSWORD)
    tokens = {}
    for name, role in (("ada", "admin"), ("cora", "coordinator")):
        store.accounts.create_user(name, secret, role, None, actor=ADMIN)
        token = new_token()
        store.accounts.create_api_token(name, hash_token(token), actor=ADMIN)
        tokens[name] = token
    return tokens


def _authors(store: Store, study_id: int = 1) -> set[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT DISTINCT username, role FROM audit_log WHERE study_id = :s"),
            {"s": study_id},
        ).all()
    return {(str(u), str(r)) for u, r in rows}


def test_import_is_attributed_to_a_proven_user_or_to_system_cli(
    store: Store, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = _accounts(store)
    src = tmp_path / "visits.csv"
    visit_file().write_csv(src)
    ae_file().write_csv(tmp_path / "visits.ae.csv")
    base = ("import", str(src), "--db", db_url, "--protocol", "ast-nahm2023")

    # a name alone proves nothing: exit 2, nothing written
    code, _, err = _cli(capsys, *base, "--study", "A", "--user", "ada")
    assert code == 2
    assert "--user" in err
    # a made-up name, a wrong password, another user's token: refused, nothing written
    for extra, stdin in (
        (("--user", "mallory", "--token", tokens["ada"]), ""),
        (("--user", "ada", "--user-password-stdin"), "not the password\n"),
        (("--user", "ada", "--token", tokens["cora"]), ""),
    ):
        code, _, err = _cli(capsys, *base, "--study", "A", *extra, stdin=stdin)
        assert code == 1, err
        assert "is not proven" in err
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM studies")).scalar_one() == 0
    # a coordinator proven by token may not import (their own role applies)
    code, _, err = _cli(capsys, *base, "--study", "A", "--user", "cora", "--token", tokens["cora"])
    assert code == 1
    assert "cora (coordinator) may not" in err
    # proven by token, by the password on stdin, or none: system:cli
    code, _, err = _cli(capsys, *base, "--study", "A", "--user", "ada", "--token", tokens["ada"])
    assert code == 0, err
    code, _, err = _cli(
        capsys, *base, "--study", "B", "--user", "ada", "--user-password-stdin", stdin=PASSWORD
    )
    assert code == 0, err
    code, _, err = _cli(capsys, *base, "--study", "C")
    assert code == 0, err
    with store.engine.connect() as conn:
        ids = {str(n): int(i) for i, n in conn.execute(text("SELECT id, name FROM studies"))}
    assert _authors(store, ids["A"]) == {("ada", "admin")}
    assert _authors(store, ids["B"]) == {("ada", "admin")}
    assert _authors(store, ids["C"]) == {("system:cli", "system")}
    kinds = [(e.kind, e.username, e.client) for e in store.events.events(actor=ADMIN)]
    assert ("login_failed", "mallory", "cli") in kinds
    assert ("login_failed", "ada", "cli") in kinds
    assert kinds.count(("login", "ada", "cli")) == 2


def test_account_commands_are_attributed_too(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = _accounts(store)
    code, _, err = _cli(
        capsys, "user", "add", "bob", "--role", "admin", "--password-stdin", "--db", db_url,
        stdin="tulip anvil orbit nine\n",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = _cli(
        capsys, "user", "add", "bea", "--role", "admin", "--password-stdin", "--db", db_url,
        "--user", "ada", "--token", tokens["ada"], stdin="tulip anvil orbit nine\n",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = _cli(
        capsys, "user", "token", "bea", "--db", db_url, "--user", "cora", "--token", tokens["cora"]
    )
    assert code == 1  # a coordinator may not create tokens for others
    with store.engine.connect() as conn:
        rows: dict[str, str] = dict(
            conn.execute(
                text(
                    "SELECT new_value, username FROM audit_log"
                    " WHERE entity = 'user' AND field = 'username'"
                )
            ).all()
        )
    assert rows['"bob"'] == "system:cli"
    assert rows['"bea"'] == "ada"
    code, out, err = _cli(capsys, "audit", "events", "--db", db_url, "--kind", "token_created")
    assert code == 0, err
    assert "token_created ada (cora)" in out  # the set-up's tokens, made by ada
