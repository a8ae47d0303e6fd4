"""``autoserum power`` end to end (through ``cli._app.main``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from autoserum.cli._app import main

REF = json.loads((Path(__file__).parent / "reference" / "power_reference.json").read_text())


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_power_two_sample_sample_size_json(capsys: pytest.CaptureFixture[str]) -> None:
    # R: power.t.test(delta = 9.6, sd = 10, power = 0.9, tol = 1e-12)$n; rel 1e-6
    code, out, _ = _run(
        ["power", "two-sample", "--delta", "9.6", "--sd", "10", "--power", "0.9", "--json"], capsys
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["analytic"]["n"] == pytest.approx(REF["t"][3]["n"], rel=1e-6)
    assert payload["analytic"]["n_ceiling"] == 24  # ceiling of R's 23.805


@pytest.mark.parametrize("case", [0, 1, 2])
def test_strict_power_at_large_df_is_r_and_json(
    case: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 16: a traceback (solver met NaN) and "power": NaN before.
    # R: power.t.test(delta, sd = 1, power = 0.8 | n = 300, strict = TRUE, tol = 1e-12); rel 1e-6
    ref = REF["t_strict_large"][case]
    given = ["--power", "0.8"] if ref["given"] == "power" else ["--n", str(ref["n"])]
    argv = ["power", "two-sample", "--delta", str(ref["delta"]), "--sd", "1", "--strict"]
    argv += ["--json", *given]
    code, out, err = _run(argv, capsys)
    assert (code, err) == (0, "")
    assert "NaN" not in out
    payload = json.loads(out)  # strict JSON: json.loads accepts NaN, so checked above as well
    assert payload["analytic"]["n"] == pytest.approx(ref["n"], rel=1e-6)
    assert payload["analytic"]["power"] == pytest.approx(ref["power"], rel=1e-6)


def test_power_proportions_text(capsys: pytest.CaptureFixture[str]) -> None:
    # R: power.prop.test(p1 = 0.6, p2 = 0.25, n = 30)$power, printed to 4 decimals
    code, out, _ = _run(
        ["power", "proportions", "--p1", "0.6", "--p2", "0.25", "--n", "30"], capsys
    )
    assert code == 0
    assert f"power = {REF['prop'][1]['power']:.4f}" in out


def test_power_wilcoxon_simulates_and_writes_a_curve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    curve, fig = tmp_path / "curve.csv", tmp_path / "curve.svg"
    argv = ["power", "wilcoxon", "--delta", "8", "--sd", "12", "--n", "20", "--simulate", "500"]
    argv += ["--curve", str(curve), "--curve-plot", str(fig), "--curve-n", "10,20"]
    code, out, _ = _run(argv, capsys)
    assert code == 0
    assert "simulated power" in out
    with curve.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["n"] for r in rows] == ["10", "20"]
    assert float(rows[1]["power_simulated"]) > float(rows[0]["power_simulated"])
    assert fig.stat().st_size > 1000


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["power", "crossover", "--n", "10"], "design"),
        (["power", "paired", "--sd", "1", "--n", "10"], "delta"),
        (["power", "ancova", "--delta", "1", "--sd", "1", "--n", "10"], "rho"),
        (["power", "paired", "--delta", "1", "--sd", "1"], "n"),
        (["power", "mann-whitney", "--delta", "1", "--sd", "1", "--power", "0.8"], "n"),
        (
            ["power", "paired", "--delta", "1", "--sd", "1", "--n", "9", "--simulate", "5"],
            "simulate",
        ),
        (["power", "paired", "--delta", "1", "--sd", "1", "--n", "9", "--curve-n", "a"], "curve_n"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--curve-n" in argv:
        argv = [*argv, "--curve", "/dev/null"]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"error: {field}: got")


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["power", "--help"], capsys)
    assert code == 0
    assert "Example: autoserum power" in out


def test_power_mmrm_with_dropout_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["power", "mmrm", "--delta", "8", "--sd", "10", "--rho", "0.5", "--n", "10"]
    argv += ["--dropout", "0.2", "--simulate", "20", "--seed", "2", "--json"]
    code, out, _ = _run(argv, capsys)
    assert code == 0
    sim = json.loads(out)["simulated"]
    assert (sim["design"], sim["reps"], sim["seed"]) == ("mmrm", 20, 2)
    assert sim["parameters"]["dropout"] == 0.2
