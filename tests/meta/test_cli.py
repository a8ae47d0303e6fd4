"""``autoserum meta`` and ``autoserum evidence`` end to end (through ``cli._app.main``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoserum.cli._app import main

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "metafor_reference.json").read_text())


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_meta_json_matches_metafor(capsys: pytest.CaptureFixture[str]) -> None:
    # R: rma(yi, vi, method = "REML", test = "knha") on escalc("RR", dat.bcg); predict(); 1e-6
    code, out, _ = _run(
        ["meta", str(REF_DIR / "dat_bcg.csv"), "--measure", "RR", "--hk", "--json"], capsys
    )
    assert code == 0
    payload = json.loads(out)
    expected = REF["bcg_RR"]["fits"]["REML_knha"]
    for key in ("k", "estimate", "se", "ci_low", "ci_high", "p_value", "tau2", "i2", "q"):
        assert payload[key] == pytest.approx(expected[key], rel=1e-6), key
    for key in ("q_p_value", "pi_low", "pi_high"):
        assert payload[key] == pytest.approx(expected[key], rel=1e-6), key
    assert payload["exp_estimate"] == pytest.approx(2.718281828459045 ** expected["estimate"])
    assert payload["scale"] == "log"


def test_meta_table_with_subgroup_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forest, funnel = tmp_path / "f.svg", tmp_path / "fun.png"
    code, out, _ = _run(
        [
            "meta",
            str(REF_DIR / "dat_normand1999.csv"),
            "--measure",
            "smd",
            "--method",
            "DL",
            "--subgroup",
            "group",
            "--forest",
            str(forest),
            "--funnel",
            str(funnel),
        ],
        capsys,
    )
    assert code == 0
    assert "random effects, DL" in out
    assert "test for subgroup differences (group" in out
    assert forest.stat().st_size > 0
    assert funnel.stat().st_size > 0
    # R: rma(yi, vi, mods = ~ factor(group), method = "DL")$QM, printed to 3 decimals
    qm = REF["normand_SMD"]["subgroup_group"]["DL_z"]["qm"]
    assert f"QM(1) = {qm:.3f}" in out


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["meta", "missing.csv"], "FILE"),
        (["meta", str(REF_DIR / "dat_bcg.csv"), "--measure", "HR"], "measure"),
        (["meta", str(REF_DIR / "dat_bcg.csv"), "--method", "GENQ"], "method"),
        (["meta", str(REF_DIR / "dat_bcg.csv"), "--subgroup", "nope"], "subgroup"),
        (["meta", str(REF_DIR / "dat_bcg.csv"), "--forest", "x.txt"], "path"),
        (["evidence", "--condition", "psoriasis"], "condition"),
        (["evidence", "--therapy", "PRP"], "therapy"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"error: {field}: got")


def test_bad_csv_value_names_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("study,yi,vi\na,0.1,0.01\nb,zero,0.02\n")
    code, _, err = _run(["meta", str(bad)], capsys)
    assert code == 2
    assert err.strip() == "error: row 3: yi: got 'zero'; expected a number"


def test_evidence_prints_pooled_estimates_derivations_and_limits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(["evidence", "--condition", "AD"], capsys)
    assert code == 0
    assert "not pooled: the effects come from incompatible derivations" in out
    assert "pooled: estimate" not in out
    code, out, _ = _run(["evidence", "--condition", "AD", "--exploratory"], capsys)
    assert code == 0
    assert "Evidence registry: 13 records" in out  # 9 studies + 4 records of issue 17
    assert "AD: autologous blood or serum vs placebo" in out
    assert (
        "exploratory pooled (not justified): estimate -1.3871" in out
    )  # R: rma(yi, vi, method="REML") in evidence_reference.R
    assert "[derived: smd_from_p_t]" in out
    assert "limit: k = 2 trials" in out
    assert "Nahm2020 (easi): p reported only as a bound" in out
    assert "Kocaturk" not in out


def test_evidence_json_and_forest_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["evidence", "--condition", "CSU", "--json", "--forest-dir", str(tmp_path)], capsys
    )
    assert code == 0
    payload = json.loads(out)
    ids = {a["id"] for a in payload["analyses"]}
    assert ids == {"csu_response", "csu_response_by_therapy", "csu_severity"}
    assert all(s["condition"] == "CSU" for s in payload["studies"])
    assert (tmp_path / "csu_response.svg").is_file()
    # not pooled (mixed derivations): per-trial estimates only, no pooled row
    svg = (tmp_path / "csu_severity.svg").read_text()
    assert "not pooled" in svg
    assert "Pooled (" not in svg
    assert any(x["study"] == "Debbarman2014" for x in payload["left_out"])


@pytest.mark.parametrize("command", ["meta", "evidence"])
def test_help_has_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([command, "--help"], capsys)
    assert code == 0
    assert f"Example: autoserum {command}" in out


def test_evidence_without_filter_tests_ad_against_csu(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["evidence", "--exploratory"], capsys)
    assert code == 0
    # R: rma(yi, vi, mods = ~ factor(condition), method = "REML")$QM = 11.086 (evidence_reference.R)
    assert (
        "test for subgroup differences (condition; metafor rma mods = ~ factor): QM = 11.086" in out
    )
    assert "Evidence registry: 49 records" in out  # 27 + 22 records of issue 17


def test_meta_level_and_new_measures(capsys: pytest.CaptureFixture[str]) -> None:
    # R: rma(escalc("ZCOR", ri, ni, data = dat.molloy2014), method = "SJ", level = 90)
    # (metafor_reference_more.json, molloy_ZCOR is at level 95; the 90% CI is est ± qnorm(.95) se)
    ref = json.loads((REF_DIR / "metafor_reference_more.json").read_text())["molloy_ZCOR"]
    fit = ref["fits"]["SJ_z"]
    code, out, _ = _run(
        ["meta", str(REF_DIR / "dat_molloy2014.csv"), "--method", "SJ", "--level", "90", "--json"],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert data["measure"] == "ZCOR"
    assert data["level"] == 0.9
    half = 1.6448536269514722 * fit["se"]  # qnorm(0.95)
    assert data["ci_low"] == pytest.approx(fit["estimate"] - half, rel=1e-6)
    code, _, err = _run(["meta", str(REF_DIR / "dat_bcg.csv"), "--level", "0.9"], capsys)
    assert code == 2
    assert "level" in err
