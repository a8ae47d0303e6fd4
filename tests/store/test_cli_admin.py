"""Study build and administration from the CLI, on SQLite and PostgreSQL: ``study
create|list|show``, ``site add|list``, ``user list|update|token --expires|tokens|revoke-token``.

Every write is audited with the CLI's identity; bad input exits 2 naming the field and writes
nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoserum.accounts import hash_token
from autoserum.cli import app, main
from autoserum.i18n import format_date
from autoserum.store import Actor, open_store

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "src" / "autoserum" / "protocols" / "library"


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_study_is_built_from_a_protocol_file_with_sites(db_url: str, tmp_path: Path) -> None:
    own = tmp_path / "my-protocol.toml"
    own.write_text((LIBRARY / "ast-nahm2023.toml").read_text(encoding="utf-8"), encoding="utf-8")
    out = _run(
        "study", "create", "AST-1", "--protocol", str(own), "--seed", "7",
        "--stratify-by", "baseline_severity=moderate/severe", "--db", db_url,
    )  # fmt: skip
    assert "created study AST-1 (protocol ast-nahm2023" in out
    _run("site", "add", "AST-1", "s01", "--name", "Seoul", "--db", db_url)
    _run("site", "add", "AST-1", "s02", "--name", "Busan", "--db", db_url)
    assert _run("site", "list", "AST-1", "--db", db_url).splitlines() == [
        "s01\tSeoul",
        "s02\tBusan",
    ]
    shown = json.loads(_run("study", "show", "AST-1", "--db", db_url, "--json"))
    assert shown["stratify_by"] == {"baseline_severity": ["moderate", "severe"]}
    assert [s["code"] for s in shown["sites"]] == ["s01", "s02"]
    assert shown["subjects"]["assessed"] == 0
    text = _run("study", "show", "AST-1", "--db", db_url)
    assert "sites: s01 (Seoul), s02 (Busan)" in text
    listed = _run("study", "list", "--db", db_url)
    assert listed.startswith("AST-1\tast-nahm2023\t")
    assert "2 sites" in listed
    store = open_store(db_url, create=False)
    try:
        trail = store.audit.trail("AST-1", actor=Actor("ada", "admin"))
        assert {r.entity for r in trail} >= {"study", "site"}
        assert {(r.username, r.role) for r in trail} == {("system:cli", "system")}
    finally:
        store.close()


def test_study_build_refuses_bad_input_and_writes_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    text = (LIBRARY / "ast-nahm2023.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace('blinding = "double_blind"', 'blinding = "sometimes"'), "utf-8")
    assert "blinding" in _fails(
        capsys, "study", "create", "X", "--protocol", str(bad), "--db", db_url
    )
    assert "--stratify-by" in _fails(
        capsys, "study", "create", "X", "--protocol", "ast-nahm2023",
        "--stratify-by", "severity", "--db", db_url,
    )  # fmt: skip
    assert "stratify_by.sex" in _fails(
        capsys, "study", "create", "X", "--protocol", "ast-nahm2023",
        "--stratify-by", "sex=F", "--db", db_url,
    )  # fmt: skip
    assert "protocol" in _fails(
        capsys, "study", "create", "X", "--protocol", "nope", "--db", db_url
    )
    assert _run("study", "list", "--db", db_url) == ""
    _run("study", "create", "X", "--protocol", "ast-nahm2023", "--db", db_url)
    with pytest.raises(SystemExit) as exc:
        main(["study", "create", "X", "--protocol", "ast-nahm2023", "--db", db_url])
    assert exc.value.code != 0
    assert "exists already" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["site", "add", "NOPE", "s01", "--name", "n", "--db", db_url])
    assert "no study named 'NOPE'" in capsys.readouterr().err


def test_users_are_listed_rescoped_deactivated_and_tokens_expire_and_revoke(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _run("study", "create", "A", "--protocol", "ast-nahm2023", "--seed", "1", "--db", db_url)
    _run("site", "add", "A", "s01", "--name", "one", "--db", db_url)
    _run("site", "add", "A", "s02", "--name", "two", "--db", db_url)
    result = runner.invoke(
        app,
        ["user", "add", "bob", "--role", "coordinator", "--site", "A/s01", "--password-stdin",
         "--full-name", "Bob Lee", "--db", db_url],
        input="a long synthetic passphrase\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _run("user", "list", "--db", db_url).splitlines() == ["bob\tcoordinator\tA/s01\tactive"]
    out = _run(
        "user", "update", "bob", "--role", "investigator", "--site", "A/s02",
        "--reason", "moved to Busan", "--db", db_url,
    )  # fmt: skip
    assert "investigator; sites: A/s02; active" in out
    _run("user", "update", "bob", "--full-name", "Dr Bob Lee", "--reason", "title", "--db", db_url)
    (listed_bob,) = json.loads(_run("user", "list", "--json", "--db", db_url))
    assert listed_bob["full_name"] == "Dr Bob Lee"
    token = runner.invoke(app, ["user", "token", "bob", "--expires", "30", "--db", db_url])
    assert token.exit_code == 0, token.output
    secret = token.stdout.strip()
    assert secret.startswith("ast_")
    assert "token id 1 of bob, expires" in token.stderr
    listed = _run("user", "tokens", "bob", "--db", db_url)
    assert listed.startswith("1\tbob\tcli\t")
    assert listed.rstrip().endswith("active")
    assert secret not in listed
    store = open_store(db_url, create=False)
    try:
        tokens = store.accounts.api_tokens("bob", actor=Actor("ada", "admin"))
        assert tokens[0].expires_at is not None
        days = (tokens[0].expires_at - tokens[0].created_at).total_seconds() / 86400
        assert days == pytest.approx(30, abs=0.01)
        assert store.accounts.user_for_token(hash_token(secret)) is not None
        _run("user", "revoke-token", "1", "--db", db_url)
        assert store.accounts.user_for_token(hash_token(secret)) is None
        assert _run("user", "tokens", "--db", db_url).rstrip().endswith("revoked")
        _run("user", "update", "bob", "--inactive", "--reason", "left the study", "--db", db_url)
        user = store.accounts.get_user("bob")
        assert user is not None
        assert (user.role, user.sites, user.active) == (
            "investigator",
            frozenset({("A", "s02")}),
            False,
        )
        reasons = {r.reason for r in store.audit.raw_rows() if r.entity in {"user", "user_site"}}
        assert {"moved to Busan", "left the study"} <= reasons
    finally:
        store.close()
    assert "inactive" in _run("user", "list", "--db", db_url)
    listed_json = json.loads(_run("user", "list", "--json", "--db", db_url))
    assert listed_json[0]["sites"] == ["A/s02"]
    assert "--role" in _fails(
        capsys, "user", "update", "bob", "--role", "chief", "--reason", "r", "--db", db_url
    )
    assert "sites" in _fails(
        capsys, "user", "update", "bob", "--site", "A/s09", "--reason", "r", "--db", db_url
    )
    assert "options" in _fails(capsys, "user", "update", "bob", "--reason", "r", "--db", db_url)
    with pytest.raises(SystemExit) as exc:
        main(["user", "update", "nobody", "--inactive", "--reason", "r", "--db", db_url])
    assert exc.value.code != 0
    assert "no user named 'nobody'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["user", "revoke-token", "99", "--db", db_url])
    assert "no API token with id 99" in capsys.readouterr().err


def test_study_amend_records_a_protocol_version(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``study amend``: a bad file exits 2 with its field path, a date not after the current
    version's exits 2, nothing written; then version 2 is recorded and shown."""
    text = (LIBRARY / "ast-nahm2023.toml").read_text(encoding="utf-8")
    v2 = tmp_path / "v2.toml"
    v2.write_text(text.replace("window_after = 3", "window_after = 5", 1), encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("window_after = 3", "window_after = -5", 1), encoding="utf-8")
    _run("study", "create", "AMD", "--protocol", "ast-nahm2023", "--db", db_url)
    amend = ["study", "amend", "AMD", "--summary", "week 4 window +5 days",
             "--approved-by", "IRB Seoul", "--db", db_url]  # fmt: skip
    err = _fails(capsys, *amend, "--protocol", str(bad), "--effective", "2026-06-01")
    assert "visits[2].window_after: got -5" in err
    out = _run(*amend, "--protocol", str(v2), "--effective", "2026-06-01")
    effective = format_date("2026-06-01", "en")  # the command line's language writes it
    assert f"protocol version 2 effective {effective} (approved by IRB Seoul)" in out
    err = _fails(capsys, *amend, "--protocol", str(v2), "--effective", "2026-05-31")
    assert "effective_on: got '2026-05-31'; expected a date after 2026-06-01 (version 2)" in err
    shown = json.loads(_run("study", "show", "AMD", "--db", db_url, "--json"))
    assert [(v["protocol_version"], v["effective_on"], v["approved_by"])
            for v in shown["protocol_versions"]] == [
        (1, None, None), (2, "2026-06-01", "IRB Seoul")]  # fmt: skip
    store = open_store(db_url, create=False)
    try:
        assert store.studies.protocol("AMD").visit("week_4").window_after == 5
        assert store.studies.protocol("AMD", on="2026-05-31").visit("week_4").window_after == 3
    finally:
        store.close()
