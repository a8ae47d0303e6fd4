"""The statistical analysis plan as data: validation with field paths, a hash of the content,
``sap show``/``sap render``, and ``analyze``/``report`` running exactly the plan (issue 16)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from autoserum.analysis import EXAMPLE_SAP, parse_sap_file, parse_sap_text, plan_analysis, read_long
from autoserum.errors import ValidationError
from tests.analysis.conftest import DATA
from tests.clirun import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "sap-ast-nahm2023.toml"

# a SAP for the two-arm fixture: EASI at week 12, a fixed sequence over EASI then SCORAD
FIXTURE_SAP = """\
code = "fixture-sap"
title = "SAP of the two-arm fixture"
version = "2.1"
control = "placebo"

[[estimands]]
code = "primary"
label = "EASI change at week 12"
variable = "easi"
week = 12
method = "ancova"

[[estimands.intercurrent_events]]
event = "discontinuation"
strategy = "hypothetical"

[[endpoints]]
variable = "scorad"
week = 8

[multiplicity]
method = "fixed_sequence"
order = ["easi", "scorad"]
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_the_shipped_example_is_the_documented_one() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == EXAMPLE_SAP
    sap = parse_sap_file(EXAMPLE)
    assert sap.primary.code == "primary"
    assert [ice.strategy for ice in sap.primary.intercurrent_events] == [
        "treatment_policy",
        "hypothetical",
    ]


def test_the_hash_is_of_the_content_not_the_layout() -> None:
    sap = parse_sap_text(FIXTURE_SAP)
    # independent: SHA-256 of the canonical JSON of the validated content
    want = hashlib.sha256(
        json.dumps(sap.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert sap.sha256() == want
    relaid = "# a comment\n" + FIXTURE_SAP.replace('version = "2.1"', 'version   =   "2.1"')
    assert parse_sap_text(relaid).sha256() == want
    assert parse_sap_text(FIXTURE_SAP.replace("week = 8", "week = 4")).sha256() != want


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            ('strategy = "hypothetical"', 'strategy = "ignore"'),
            "estimands[0].intercurrent_events[0].strategy",
        ),
        (('variable = "easi"', 'variable = "height"'), "estimands[0]"),
        (("week = 12", "week = -1"), "estimands[0].week"),
        (('order = ["easi", "scorad"]', 'order = ["easi", "dlqi"]'), "sap"),
        (('version = "2.1"', 'version = "2.1"\nextra = 1'), "extra"),
    ],
)
def test_a_bad_plan_names_the_field(change: tuple[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_sap_text(FIXTURE_SAP.replace(*change), location="fixture.toml")
    assert err.value.field == field
    assert err.value.location == "fixture.toml"


def test_the_plan_fixes_endpoint_week_and_control() -> None:
    frame = read_long(DATA / "two_arm.csv")
    sap = parse_sap_text(FIXTURE_SAP)
    plan = plan_analysis(frame, sap=sap)
    assert (plan.endpoint, plan.week, plan.control) == ("easi", 12.0, "placebo")
    assert str(plan.reasons["endpoint"]) == "the primary estimand of SAP fixture-sap 2.1"
    with pytest.raises(ValidationError) as err:
        plan_analysis(frame, sap=sap, week=8)  # a request against the plan is refused
    assert err.value.field == "week"


def test_analyze_with_the_sap_prints_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "sap.toml"
    path.write_text(FIXTURE_SAP, encoding="utf-8")
    out = _cli("analyze", str(DATA / "two_arm.csv"), "--sap", str(path), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["endpoint"], data["week"], data["control"]) == ("easi", 12.0, "placebo")
    assert data["sap"] == {
        "code": "fixture-sap",
        "version": "2.1",
        "sha256": parse_sap_text(FIXTURE_SAP).sha256(),
    }
    bad = _cli("analyze", str(DATA / "two_arm.csv"), "--sap", str(path), "--endpoint", "scorad")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "endpoint" in bad.stderr
    assert "fixture-sap" in bad.stderr


def test_sap_show_and_render(tmp_path: Path) -> None:
    sap = parse_sap_file(EXAMPLE)
    shown = _cli("sap", "show", str(EXAMPLE))
    assert shown.returncode == 0, shown.stderr
    assert f"sha256 {sap.sha256()}" in shown.stdout
    rendered = _cli("sap", "render", str(EXAMPLE), "--out", str(tmp_path))
    assert rendered.returncode == 0, rendered.stderr
    html = (tmp_path / "ast-nahm2023-sap.html").read_text(encoding="utf-8")
    assert sap.sha256() in html
    assert "jump to reference" in html  # the sensitivity analysis by name
    assert "treatment policy" in html
    assert "hypothetical" in html
    pdf = (tmp_path / "ast-nahm2023-sap.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    missing = _cli("sap", "render", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr


def test_the_report_runs_the_plan_and_prints_its_hash(tmp_path: Path) -> None:
    from autoserum.analysis import analyze_endpoint, read_study
    from autoserum.report import write_report

    sap = parse_sap_text(FIXTURE_SAP)
    files = write_report(read_study(DATA / "two_arm.csv"), tmp_path, sap=sap)
    model = files.model
    assert (model.primary.endpoint, model.primary.week) == ("easi", 12.0)
    section = next(s for s in model.sections if s.id == "sap")
    assert ("SAP SHA-256", sap.sha256()) in section.summary
    tables = {t.id: t for t in section.tables}
    (estimand,) = tables["estimands"].rows
    assert estimand[4] == "discontinuation: hypothetical"
    # the family of the plan, in its order, each p the analysis' own (independent recomputation)
    frame = read_long(DATA / "two_arm.csv")
    p_easi = analyze_endpoint(frame, "easi", 12, control="placebo").between
    p_scorad = analyze_endpoint(frame, "scorad", 8, control="placebo").between
    raw = [
        float(t.filter((t["method"] == "ancova") & (t["week"] == w))["p_value"][0])
        for t, w in ((p_easi, 12.0), (p_scorad, 8.0))
    ]
    rows = tables["multiplicity"].rows
    assert [r[0] for r in rows] == ["EASI", "SCORAD"]
    assert rows[1][5] == (f"{max(raw):.3f}" if max(raw) >= 0.001 else "< 0.001")
    first = "rejected" if raw[0] <= 0.05 else "not rejected"
    assert rows[0][6] == first
    if raw[0] > 0.05:
        assert rows[1][6] == "not tested"
    assert sap.sha256() in files.html.read_text(encoding="utf-8")


def test_stratification_factors_are_the_default_covariates() -> None:
    frame = read_long(DATA / "two_arm.csv")
    plan = plan_analysis(frame, stratification=("site", "not_in_data"))
    assert plan.covariates == ("site",)
    assert str(plan.reasons["covariates"]) == "the stratification factors of the randomisation"
    assert plan_analysis(frame).covariates == ()
    assert plan_analysis(frame, covariates=["age"], stratification=("site",)).covariates == ("age",)
