"""The database lock from the CLI: ``study lock`` records and prints its manifest, ``analyze
--db`` prints it (and that a study is not locked), a SAP file other than the locked one is
refused, locked data cannot change, and ``study unlock`` lifts the lock with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoserum.analysis import parse_sap_file
from autoserum.cli import app, main
from autoserum.store import Actor, open_store

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
SAP = ROOT / "examples" / "sap-ast-nahm2023.toml"


def _run(*args: str) -> tuple[str, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def test_the_database_lock_manifest_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'locked.db'}"
    _run("simulate", "ast-nahm2023", "--subjects", "24", "--seed", "3", "--db", db,
         "--study", "S")  # fmt: skip
    with pytest.raises(SystemExit) as exc:  # unblinding the whole study needs the lock
        main(["analyze", "--db", db, "--study", "S", "--json"])
    assert exc.value.code == 1
    assert "study 'S' is blinded and its database is not locked" in capsys.readouterr().err
    store = open_store(db, create=False)
    head = store.audit.verify("S").chains[0].head_hash
    store.close()
    out, _ = _run("study", "lock", "S", "--reason", "final data", "--sap", str(SAP), "--db", db)
    assert out.startswith("database locked ")
    assert f"audit chain head {head} " in out
    assert f"analysis plan sha256 {parse_sap_file(SAP).sha256()}" in out
    assert "allocation lists: none (arms were imported" in out  # a simulated, imported study
    stdout, stderr = _run("analyze", "--db", db, "--study", "S", "--json", "--sap", str(SAP))
    json.loads(stdout)  # the JSON document stays clean
    assert f"audit chain head {head} " in stderr
    other = tmp_path / "other-sap.toml"
    other.write_text(SAP.read_text(encoding="utf-8").replace('version = "1.0"', 'version = "1.1"'))
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--db", db, "--study", "S", "--sap", str(other)])
    assert exc.value.code == 2
    assert "the analysis plan locked with the database" in capsys.readouterr().err
    store = open_store(db, create=False)
    try:
        subject = store.subjects.all("S", actor=Actor("ada", "admin"))[0].subject_id
        with pytest.raises(Exception, match="locked"):
            store.subjects.withdraw("S", subject, actor=Actor("ada", "admin"), reason="x")
    finally:
        store.close()
    listed, _ = _run("study", "locks", "S", "--db", db)
    assert listed.startswith("1\tstudy\t")
    assert listed.rstrip().endswith("active")
    with pytest.raises(SystemExit) as exc:
        main(["study", "unlock", "S", "1", "--reason", " ", "--db", db])
    assert exc.value.code == 2
    _run("study", "unlock", "S", "1", "--reason", "late lab result", "--db", db)
    assert json.loads(_run("study", "locks", "S", "--json", "--db", db)[0])[0]["active"] is False
    _run("study", "lock", "S", "--subject", subject, "--reason", "casebook reviewed", "--db", db)
    with pytest.raises(SystemExit) as exc:
        main(["study", "lock", "S", "--visit", "baseline", "--reason", "r", "--db", db])
    assert exc.value.code == 2
    assert "--subject" in capsys.readouterr().err
