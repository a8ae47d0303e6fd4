"""The `protocols` and `schedule` commands, through the Typer app and through main()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoserum.cli import app, main

runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one line, no traceback
    return err


def test_protocols_lists_the_library() -> None:
    out = _ok("protocols")
    for code in ("abt-pittler2003", "ast-nahm2023", "asim-choi2024", "aaht-zhao2022"):
        assert code in out
    assert "Br J Dermatol 2003" in out


def test_protocols_json() -> None:
    rows = json.loads(_ok("protocols", "--json"))
    by_code = {r["code"]: r for r in rows}
    assert len(by_code) == 5
    assert by_code["aigt-nahm2020"]["design"] == "parallel"
    assert [a["code"] for a in by_code["aigt-nahm2020"]["arms"]] == ["igg", "placebo"]
    assert "Allergy Asthma Immunol Res 2020" in by_code["aigt-nahm2020"]["citation"]


def test_show_marks_defaults_and_unknowns() -> None:
    out = _ok("protocols", "show", "asim-choi2024")
    assert "run_in: day -28 to -1" in out
    assert "[autoserum default]" in out
    assert "dose: unknown" in out
    assert "conflict (number of injections)" in out
    data = json.loads(_ok("protocols", "show", "asim-choi2024", "--json"))
    assert data["arms"][0]["dose"]["source"] == "unknown"


def test_show_igg_trial_gives_eight_weekly_injections() -> None:
    # Issue 17 acceptance. Source: Nahm 2020 abstract (PMID 32935488), "8 weekly intramuscular
    # administrations of autologous total IgG 50 mg ... over a 7-week period"; registry
    # NCT02835170, "once a week for 7 weeks (total 8 injections)".
    data = json.loads(_ok("protocols", "show", "aigt-nahm2020", "--json"))
    assert [i["day"] for i in data["injections"]] == list(range(0, 50, 7))
    assert len(data["injections"]) == 8
    treatment = next(ph for ph in data["phases"] if ph["code"] == "treatment")
    assert treatment["end_day"] == 49


def test_validate_user_file(example_file: Path) -> None:
    assert _ok("protocols", "validate", str(example_file)).startswith("ok: ast-example")
    assert json.loads(_ok("protocols", "validate", str(example_file), "--json"))["valid"]


def test_validate_bad_file_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, example: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(example.replace('product = "serum"', 'product = "plasma"'))
    err = _fails(capsys, "protocols", "validate", str(bad))
    assert "arms[0].product: got 'plasma'" in err


def test_schedule_text() -> None:
    out = _ok("schedule", "abt-pittler2003", "--start", "2026-03-02")
    # Pittler 2003: 5 weekly injections of 1-2-3-2-1 mL; day 0 = 2026-03-02.
    assert "2026-03-16" in out  # injection 3, day 14
    assert "abt: 3 mL" in out
    assert "week_9" in out


@pytest.mark.parametrize(
    ("language", "dose", "unknown", "default"),
    [("ko", "abt: 3mL", "placebo: 알 수 없음", "[autoserum 기본값]"),
     ("zh-Hans", "abt: 3毫升", "placebo: 未知", "[autoserum 默认值]")],
)  # fmt: skip
def test_doses_and_marks_in_the_language(
    language: str, dose: str, unknown: str, default: str
) -> None:
    # CLDR short units (Babel): mL is "{0}mL" in Korean, "{0}毫升" in Chinese
    env = {"AUTOSERUM_LANG": language}
    done = runner.invoke(app, ["schedule", "abt-pittler2003", "--start", "2026-03-02"], env=env)
    assert done.exit_code == 0, done.output
    (third,) = [line for line in done.output.splitlines() if "injection_3" in line]
    assert dose in third
    assert unknown in third
    shown = runner.invoke(app, ["protocols", "show", "abt-pittler2003"], env=env)
    assert shown.exit_code == 0, shown.output
    assert dose.replace("abt: 3", "1-2-3-2-1") in shown.output  # the arm's dose schedule
    assert default in runner.invoke(app, ["protocols", "show", "asim-choi2024"], env=env).output
    assert "[autoserum default]" not in shown.output


def test_schedule_json_with_windows() -> None:
    data = json.loads(_ok("schedule", "ast-nahm2023", "--start", "2026-03-02", "--json"))
    events = {e["code"]: e for e in data["events"]}
    week_8 = events["week_8"]  # day 56, window ±7 (autoserum default)
    assert (week_8["date"], week_8["earliest"], week_8["latest"]) == (
        "2026-04-27",
        "2026-04-20",
        "2026-05-04",
    )
    assert events["injection_1"]["doses"] == {"serum": "5 mL", "placebo": "unknown"}
    assert sum(e["kind"] == "injection" for e in data["events"]) == 8


def test_schedule_user_file(example_file: Path) -> None:
    out = _ok("schedule", str(example_file), "--start", "2026-01-05")
    assert "2026-02-16" in out  # week 6 = day 42 after 2026-01-05


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("schedule", "ast-nahm2023", "--start", "2026-13-01"), "--start"),
        (("schedule", "ast-nahm2023"), "--start"),
        (("schedule", "no-such", "--start", "2026-01-01"), "protocol"),
        (("protocols", "validate", "/nonexistent/p.toml"), "file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], field: str
) -> None:
    assert _fails(capsys, *args).startswith(f"error: {field}: got ")


@pytest.mark.parametrize(
    "command",
    [("protocols",), ("protocols", "show"), ("protocols", "validate"), ("schedule",)],
)
def test_every_command_has_an_example(command: tuple[str, ...]) -> None:
    out = _ok(*command, "--help")
    assert "Example: autoserum " + command[0] in out
