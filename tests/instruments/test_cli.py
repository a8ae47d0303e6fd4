"""`autoserum score` and `autoserum instruments`: worked examples through the CLI, errors.

Expected values: the worked examples of the specification (sources named in cases.py), compared
as the floats of the exact values.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from autoserum.cli import app, main
from autoserum.instruments import get_instrument, instrument_codes
from tests.instruments.cases import CASES, DLQI_EXAMPLE, EASI_EXAMPLE, Case

runner = CliRunner()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_worked_example_through_cli(case: Case) -> None:
    result = runner.invoke(app, ["score", case.instrument, "--json", json.dumps(case.payload)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["instrument"] == case.instrument
    assert out["total"] == (None if case.total is None else float(case.total))  # case.source
    assert out["band"] == case.band
    for name, value in case.components.items():
        assert out["components"][name] == (None if value is None else float(value))
    for key, value in case.extra.items():
        assert out[key] == (float(value) if not isinstance(value, str) else value)
    if case.total is None:
        assert out["reason"]


def test_worked_example_as_subprocess(tmp_path: Path) -> None:
    # spec § EASI worked example 1 → 14.0 (moderate)
    payload = json.dumps({"age": 34, **EASI_EXAMPLE})
    done = subprocess.run(
        [sys.executable, "-m", "autoserum", "score", "easi", "--json", payload],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(done.stdout)
    assert (out["total"], out["band"], out["band_set"]) == (14.0, "moderate", "leshem2015")
    bad = subprocess.run(
        [sys.executable, "-m", "autoserum", "score", "dlqi", "--json", '{"q1": "not_relevant"}'],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr == (
        "error: q1: got 'not_relevant'; expected one of not_at_all, a_little, a_lot, very_much\n"
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["score", "easi", "--json", '{"head_neck": {"erythema": 0.5}}'], "head_neck.erythema"),
        (["score", "dlqi", "--json", '{"q1": "not_relevant"}'], "q1: got 'not_relevant'"),
        (["score", "poem", "--json", '{"itching": 2}'], "itching"),
        (["score", "poem", "--json", '{"itch": 2'], "--json"),
        (["score", "poem", "--json", "[1, 2]"], "--json"),
        (["score", "nope", "--json", "{}"], "INSTRUMENT: got 'nope'"),
        (["score", "easi", "--json", "{}", "--band-set", "x"], "band_set: got 'x'"),
        (["score", "easi"], "exactly one of --json"),
        (["score", "easi", "--jsn", "{}"], "No such option: --jsn"),
        (["score"], "Missing argument"),
        (["instruments", "nope"], "INSTRUMENT: got 'nope'"),
    ],
)
def test_invalid_input_is_one_line_exit_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert needle in lines[0]


def test_score_csv_file(tmp_path: Path) -> None:
    inst = get_instrument("easi")
    adult = inst.flatten({"age": 34, **EASI_EXAMPLE})
    rows = [adult, {**adult, "age": 5}, {**adult, "trunk_erythema": None}]
    source = tmp_path / "easi.csv"
    pl.DataFrame(rows).write_csv(source)
    target = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score", "easi", "--input", str(source), "--output", str(target)])
    assert result.exit_code == 0, result.output
    scored = pl.read_csv(target)
    # spec § EASI worked examples 1 and 2: 14.0 and 12.7; row 3 misses a sign → not scorable
    assert scored["total"].to_list() == [14.0, 12.7, None]
    assert scored["band"].to_list() == ["moderate", "moderate", None]
    assert scored["lower_limbs"].to_list() == [8.4, 6.3, 8.4]
    assert "trunk.induration" not in (scored["reason"][2] or "")
    assert "trunk.erythema" in scored["reason"][2]


def test_score_parquet_file(tmp_path: Path) -> None:
    # spec § DLQI worked examples 1 and 3: 17, and not scored
    source = tmp_path / "dlqi.parquet"
    frame = pl.DataFrame([DLQI_EXAMPLE, {f"q{i}": "a_little" for i in range(1, 6)}])
    frame.write_parquet(source)
    target = tmp_path / "scored.parquet"
    result = runner.invoke(app, ["score", "dlqi", "--input", str(source), "--output", str(target)])
    assert result.exit_code == 0, result.output
    scored = pl.read_parquet(target)
    assert scored["total"].to_list() == [17.0, None]
    assert scored["leisure"].to_list() == [6.0, None]


def test_score_csv_error_names_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "poem.csv"
    source.write_text(
        "itch,sleep,bleeding,oozing,cracking,flaking,dryness\n1,1,1,1,1,1,1\n1,5,1,1,1,1,1\n"
    )
    with pytest.raises(SystemExit) as stop:
        main(["score", "poem", "--input", str(source)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err == ("error: poem.csv row 2 (line 3): sleep: got 5; expected one of 0, 1, 2, 3, 4\n")


def test_instruments_listing() -> None:
    text = runner.invoke(app, ["instruments"])
    assert text.exit_code == 0
    for code in instrument_codes():
        assert f"\n{code}: " in "\n" + text.stdout
    listing = json.loads(runner.invoke(app, ["instruments", "--json"]).stdout)
    assert [i["code"] for i in listing] == list(instrument_codes())
    easi = next(i for i in listing if i["code"] == "easi")
    assert easi["maximum"] == 72
    assert easi["default_band_set"] == "leshem2015"
    erythema = next(i for i in easi["items"] if i["path"] == "head_neck.erythema")
    assert erythema["allowed"] == [0, 1, 1.5, 2, 2.5, 3]


@pytest.mark.parametrize("command", ["score", "instruments"])
def test_help_has_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: autoserum " + command in " ".join(result.stdout.split())


def _outcome(
    entry: object, args: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[object, str, str]:
    with pytest.raises(SystemExit) as stop:
        entry(args)  # type: ignore[operator]
    captured = capsys.readouterr()
    return stop.value.code, captured.out, captured.err


@pytest.mark.parametrize(
    "args",
    [
        ["score", "easi", "--json", json.dumps({"age": 34, **EASI_EXAMPLE})],
        ["score", "--json", json.dumps({"age": 5, **EASI_EXAMPLE}), "easi"],
        ["score", "easi", f"--json={json.dumps({'age': 34, **EASI_EXAMPLE})}", "--band-set=x"],
        ["score", "dlqi", "--json", json.dumps(DLQI_EXAMPLE)],
        ["score", "dlqi", "--json", '{"q1": "not_relevant"}'],
        ["score", "poem", "--json", '{"itch": 2'],
        ["score", "nope", "--json", "{}"],
    ],
)
def test_quick_path_answers_as_the_typer_command(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``main`` scores one JSON payload without Typer (start-up, issue 18); the Typer command
    prints the same bytes and exits with the same status for the same command line."""
    from autoserum.cli._app import run
    from autoserum.cli._quick import parse_score_line

    assert parse_score_line(args) is not None  # main takes the quick path
    quick = _outcome(main, args, capsys)
    typer_path = _outcome(run, args, capsys)
    assert quick == typer_path
    assert quick[0] in (0, 2)


@pytest.mark.parametrize(
    "args",
    [
        ["score", "easi", "--json", "{}", "--json", "{}"],
        ["score", "easi", "--json", "{}", "--help"],
        ["score", "easi", "--input", "x.csv"],
        ["score", "easi", "--json"],
        ["score", "easi", "poem", "--json", "{}"],
        ["score", "--", "easi", "--json", "{}"],
        ["score", "easi", "--json", "--band-set"],
    ],
)
def test_quick_path_leaves_other_command_lines_to_typer(args: list[str]) -> None:
    from autoserum.cli._quick import parse_score_line, quick_score

    assert parse_score_line(args) is None
    assert quick_score(args) is False
