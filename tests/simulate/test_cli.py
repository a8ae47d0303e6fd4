"""CLI: autoserum simulate writes the long format and its AE companion, deterministically;
bad input gives one line on stderr and exit 2."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from autoserum.cli._app import app, main

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_simulate_to_csv_is_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    out = _run("simulate", "ast-nahm2023", "--subjects", "23", "--seed", "1", "--out", str(first))
    assert "a.csv" in out
    _run("simulate", "ast-nahm2023", "--subjects", "23", "--seed", "1", "--out", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert (tmp_path / "a.ae.csv").read_bytes() == (tmp_path / "b.ae.csv").read_bytes()
    frame = pl.read_csv(first)
    assert frame["subject_id"].n_unique() == 23
    assert {"scorad", "scorad_extent", "easi_trunk_area", "dlqi_q7b"} <= set(frame.columns)


def test_simulate_to_parquet(tmp_path: Path) -> None:
    target = tmp_path / "case.parquet"
    _run("simulate", "aaht-zhao2022", "--subjects", "1", "--seed", "3", "--out", str(target))
    frame = pl.read_parquet(target)
    assert frame["visit"].to_list()[:2] == ["screening", "baseline"]
    assert (tmp_path / "case.ae.parquet").exists()


def test_different_seeds_differ(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    _run("simulate", "asim-choi2024", "--subjects", "25", "--seed", "1", "--out", str(a))
    _run("simulate", "asim-choi2024", "--subjects", "25", "--seed", "2", "--out", str(b))
    assert a.read_bytes() != b.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--subjects", "5", "--seed", "1", "--out", "x.csv"], "nope"),
        (["ast-nahm2023", "--subjects", "0", "--seed", "1", "--out", "x.csv"], "n_subjects"),
        (["ast-nahm2023", "--subjects", "5", "--seed", "1", "--out", "x.txt"], ".csv or .parquet"),
        (["ast-nahm2023", "--subjects", "5", "--seed", "1"], "exactly one of"),
        (["ast-nahm2023", "--subjects", "5", "--seed", "1", "--db", "sqlite://"], "--study"),
    ],
)
def test_bad_input_is_one_line(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["simulate", *args])
    err = capsys.readouterr().err
    assert exc.value.code in {1, 2}
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_help_has_an_example() -> None:
    assert "Example: autoserum simulate" in _run("simulate", "--help")
