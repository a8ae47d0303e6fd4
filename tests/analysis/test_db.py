"""`analyze`/`report --db URL --study NAME` read through autoserum.store: the result equals the
analysis of the file the study was imported from (SQLite; the store's own tests cover both
engines)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from autoserum.simulate import simulate_study
from tests.clirun import run_cli
from tests.pdftext import pdf_text


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("db")
    study = simulate_study("ast-nahm2023", 23, 2023)
    path = out / "rct.csv"
    study.visits.write_csv(path)
    study.adverse_events.write_csv(out / "rct.ae.csv")
    url = f"sqlite:///{out / 'trial.db'}"
    done = _cli("import", str(path), "--db", url, "--study", "RCT", "--protocol", "ast-nahm2023")
    assert done.returncode == 0, done.stderr
    locked = _cli("study", "lock", "RCT", "--reason", "final data", "--db", url)
    assert locked.returncode == 0, locked.stderr  # the analysis unblinds after the lock
    return path, url


def test_analyze_from_the_database_equals_the_file(imported: tuple[Path, str]) -> None:
    path, url = imported
    args = ("--endpoint", "scorad", "--week", "8", "--predictors", "age,sex", "--json")
    from_db = _cli("analyze", "--db", url, "--study", "RCT", *args)
    # the database knows the randomisation's stratification (the site): adjusted by default,
    # which a file analysis asks for explicitly
    from_file = _cli("analyze", str(path), *args, "--covariates", "site")
    assert from_db.returncode == 0, from_db.stderr
    db = json.loads(from_db.stdout)
    assert db["covariates"] == ["site"]
    file = json.loads(from_file.stdout)
    # the participant flow differs by what each source knows: the database every screened
    # subject (all 23 imported were randomised), the file the enrolled subjects only
    assert db.pop("consort")["assessed"] == file.pop("consort")["assessed"] == 23
    assert db == file


def test_report_from_the_database(imported: tuple[Path, str], tmp_path: Path) -> None:
    _, url = imported
    done = _cli("report", "--db", url, "--study", "RCT", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "RCT.html").read_text(encoding="utf-8")
    assert "ast-nahm2023" in html  # the protocol comes from the study record
    # the database knows the screening: the CONSORT flow shows the subjects assessed (23 imported)
    assert "Assessed for eligibility (n = 23)" in html
    # the audit chain's head as `autoserum audit head` exports it, verified, is printed
    head = _cli("audit", "head", "--db", url, "--study", "RCT")
    assert head.returncode == 0, head.stderr
    _, length, digest = head.stdout.strip().split("\t")
    assert f"head {digest} ({length} rows, verified)" in html
    pdf = pdf_text(tmp_path / "RCT.pdf")
    assert "(ast-nahm2023)" in pdf
    assert "Participant flow: 23 assessed for eligibility, 0 excluded; 23 subjects enrolled" in pdf


def test_unknown_study_is_a_clean_error(imported: tuple[Path, str]) -> None:
    _, url = imported
    done = _cli("analyze", "--db", url, "--study", "NOPE", "--endpoint", "easi", "--week", "8")
    assert done.returncode != 0
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr


def test_file_and_db_together_are_refused(imported: tuple[Path, str]) -> None:
    path, url = imported
    done = _cli(
        "analyze", str(path), "--db", url, "--study", "RCT", "--endpoint", "easi", "--week", "8"
    )
    assert done.returncode == 2
    assert "either FILE or --db" in done.stderr
