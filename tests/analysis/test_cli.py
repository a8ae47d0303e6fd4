"""`autoserum analyze`: the JSON shape of --json, the readable table, errors without traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from autoserum import stats
from autoserum.analysis import analyze_endpoint, read_long, read_study, study_consort
from tests.analysis.conftest import raw_rows
from tests.clirun import run_cli

WITHIN_KEYS = {
    "arm",
    "n",
    "mean_change",
    "sd_change",
    "ci_low",
    "ci_high",
    "t_p_value",
    "wilcoxon_p_value",
    "hl_estimate",
}
ESTIMATE_KEYS = {"estimate", "se", "ci_low", "ci_high", "p_value"}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_analyze_json_shape(two_arm_csv: Path) -> None:
    out = _cli(
        "analyze", str(two_arm_csv), "--endpoint", "easi", "--week", "12",
        "--control", "placebo", "--predictors", "age,eosinophils", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {r["arm"] for r in data["within"]} == {"serum", "placebo"}
    for row in data["within"]:
        assert set(row) >= WITHIN_KEYS
    assert set(data["between"][0]["ancova"]) >= ESTIMATE_KEYS
    assert set(data["between"][0]["mmrm"]) >= ESTIMATE_KEYS
    for row in data["responders"]:
        assert {
            "arm",
            "responder",
            "threshold",
            "n",
            "responders",
            "rate",
            "fisher_p_value",
        } <= set(row)
    assert [p["name"] for p in data["predictors"]] == ["age", "eosinophils"]
    for row in data["predictors"]:
        assert {"name", "responders_median", "non_responders_median", "p_value"} <= set(row)
    # the CLI prints exactly the library's result
    lib = analyze_endpoint(
        read_long(two_arm_csv), "easi", 12, control="placebo", predictors=["age", "eosinophils"]
    )
    # and the participant flow the report draws (study_consort of the same file)
    assert data.pop("consort") == study_consort(read_study(two_arm_csv)).to_dict()
    assert data == json.loads(json.dumps(lib.to_json()))


def test_analyze_json_single_arm_has_no_between(single_arm_csv: Path) -> None:
    out = _cli("analyze", str(single_arm_csv), "--endpoint", "easi", "--week", "8", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["between"] == []
    (row,) = data["within"]
    rows = raw_rows(single_arm_csv)
    base = {r["subject_id"] for r in rows if r["week"] == "0" and r["easi"]}
    week8 = [r for r in rows if r["week"] == "8" and r["easi"] and r["subject_id"] in base]
    assert len(base) < len({r["subject_id"] for r in rows})  # S003 has no baseline EASI
    assert row["n"] == len(week8)
    diff = np.array([float(r["easi"]) for r in week8]) - np.array(
        [
            next(
                float(b["easi"])
                for b in rows
                if b["subject_id"] == r["subject_id"] and b["week"] == "0"
            )
            for r in week8
        ]
    )
    assert row["mean_change"] == pytest.approx(stats.describe(diff).mean, rel=1e-12)  # same method


def test_analyze_readable_table(two_arm_csv: Path) -> None:
    out = _cli("analyze", str(two_arm_csv), "--endpoint", "dlqi", "--week", "12")
    assert out.returncode == 0, out.stderr
    assert "Within arms" in out.stdout
    assert "ancova" in out.stdout
    assert "Responders" in out.stdout


def test_analyze_bad_input_exits_2_without_traceback(tmp_path: Path, two_arm_csv: Path) -> None:
    text = two_arm_csv.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",true,true,", ",maybe,true,", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    out = _cli("analyze", str(bad), "--endpoint", "easi", "--week", "12", "--json")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip() == (
        "error: bad.csv, line 4, column 'per_protocol': per_protocol: got 'maybe'; "
        "expected true or false"
    )


def test_analyze_unknown_week(two_arm_csv: Path) -> None:
    out = _cli("analyze", str(two_arm_csv), "--endpoint", "easi", "--week", "7", "--json")
    assert out.returncode == 2
    assert "week" in out.stderr
    assert "Traceback" not in out.stderr


def test_help_has_examples() -> None:
    for command in ("analyze", "report"):
        out = _cli(command, "--help")
        assert out.returncode == 0
        assert f"Example: autoserum {command}" in out.stdout
