"""Risk of bias (RoB 2, ROBINS-I) and the GRADE summary of findings (issue 17).

RoB 2 algorithm cases follow the decision tables of the RoB 2 guidance (Sterne JAC et al.
BMJ 2019;366:l4898, 'Revised Cochrane risk-of-bias tool for randomized trials', full guidance
document 22 Aug 2019, domain algorithms).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoserum.cli import app
from autoserum.evidence import (
    load_registry,
    load_rob2,
    load_robins_i,
    rob2_domain,
    summary_of_findings,
)

runner = CliRunner()


def _ans(**kw: str) -> dict[str, tuple[str, str]]:
    return {k[1:].replace("_", "."): (v, "test") for k, v in kw.items()}


@pytest.mark.parametrize(
    ("domain", "answers", "expected"),
    [
        ("D1", _ans(q1_1="Y", q1_2="Y", q1_3="N"), "Low"),
        ("D1", _ans(q1_1="Y", q1_2="N", q1_3="N"), "High"),  # not concealed
        ("D1", _ans(q1_1="NI", q1_2="NI", q1_3="NI"), "Some concerns"),
        ("D1", _ans(q1_1="NI", q1_2="NI", q1_3="Y"), "High"),  # NI concealment + imbalance
        ("D1", _ans(q1_1="N", q1_2="Y", q1_3="N"), "Some concerns"),
        ("D2", _ans(q2_1="N", q2_2="N", q2_6="Y"), "Low"),
        ("D2", _ans(q2_1="Y", q2_2="Y", q2_3="NI", q2_6="Y"), "Some concerns"),
        ("D2", _ans(q2_1="Y", q2_2="Y", q2_3="Y", q2_4="Y", q2_5="N", q2_6="Y"), "High"),
        ("D2", _ans(q2_1="N", q2_2="N", q2_6="N", q2_7="Y"), "High"),
        ("D2", _ans(q2_1="N", q2_2="N", q2_6="NI", q2_7="PN"), "Some concerns"),
        ("D3", _ans(q3_1="Y"), "Low"),
        ("D3", _ans(q3_1="N", q3_2="N", q3_3="N"), "Low"),
        ("D3", _ans(q3_1="N", q3_2="N", q3_3="Y", q3_4="N"), "Some concerns"),
        ("D3", _ans(q3_1="NI", q3_2="NI", q3_3="NI", q3_4="NI"), "High"),
        ("D4", _ans(q4_1="Y", q4_2="N"), "High"),
        ("D4", _ans(q4_1="N", q4_2="N", q4_3="N"), "Low"),
        ("D4", _ans(q4_1="N", q4_2="N", q4_3="Y", q4_4="PY", q4_5="PY"), "High"),
        ("D4", _ans(q4_1="N", q4_2="N", q4_3="Y", q4_4="PY", q4_5="PN"), "Some concerns"),
        ("D4", _ans(q4_1="N", q4_2="NI", q4_3="N"), "Some concerns"),
        ("D5", _ans(q5_1="Y", q5_2="N", q5_3="N"), "Low"),
        ("D5", _ans(q5_1="NI", q5_2="N", q5_3="N"), "Some concerns"),
        ("D5", _ans(q5_1="Y", q5_2="PY", q5_3="N"), "High"),
    ],
)
def test_rob2_algorithms(domain: str, answers: dict[str, tuple[str, str]], expected: str) -> None:
    assert rob2_domain(domain, answers) == expected


def test_rob2_exists_for_every_included_rct_and_outcome() -> None:
    reg = load_registry()
    assessed = {(a.study, a.outcome) for a in load_rob2()}
    rcts = {s.id for s in reg.studies.values() if s.status == "included"}
    assert rcts == {study for study, _ in assessed}
    # every outcome the review computes an effect for, and every GRADE row's outcome
    for eff in reg.effects.values():
        assert (eff.study, eff.outcome) in assessed, eff.id
    # and every outcome of an included RCT that results.csv records (bookkeeping rows aside)
    for r in reg.results.values():
        if r.study_id in rcts and r.outcome not in ("enrolled", "completed"):
            assert (r.study_id, r.outcome) in assessed, (r.study_id, r.outcome)
    for row in summary_of_findings():
        for study, overall in row.rob.items():
            assert overall in ("Low", "Some concerns", "High")
            assert study in row.studies


def test_rob2_judgements_carry_support_assessor_and_date() -> None:
    for a in load_rob2():
        assert a.assessor
        assert a.date == "2026-12-01"
        assert set(a.domains) == {"D1", "D2", "D3", "D4", "D5"}
        for answers in a.answers.values():
            for answer, support in answers.values():
                assert answer in ("Y", "PY", "PN", "N", "NI", "NA")
                assert support.strip()
        if a.override_reason:
            assert a.overall == "High"


def test_pittler_and_nahm_2023_judgements() -> None:
    by = {(a.study, a.outcome): a for a in load_rob2()}
    pittler = by[("Pittler2003", "sassad")]
    # abstract: 'double-blind', 'intention-to-treat analysis' -> D2 low; concealment NR -> D1
    assert pittler.domains == {
        "D1": "Some concerns",
        "D2": "Low",
        "D3": "Low",
        "D4": "Low",
        "D5": "Some concerns",
    }
    assert pittler.overall == "Some concerns"
    nahm = by[("Nahm2023", "scorad")]
    assert nahm.domains["D3"] == "Some concerns"  # 20 of 23 with week-8 data
    assert nahm.overall == "High"


def test_robins_i_for_the_non_randomised_comparison() -> None:
    (min_et_al,) = load_robins_i()
    assert min_et_al.study == "Min_CSU"
    assert min_et_al.overall == "NI"
    assert len(min_et_al.domains) == 7


def test_grade_ad_severity_is_very_low_with_reasons() -> None:
    row = next(r for r in summary_of_findings() if r.id == "ad_severity")
    assert "SCORAD / EASI" in row.outcome
    assert row.studies == ("Pittler2003", "Nahm2023")
    assert row.participants == 31 + 23  # randomized (results.csv)
    assert row.certainty == "very low"
    downgraded = {d for d, (lvl, _) in row.downgrades.items() if lvl != "not_serious"}
    assert downgraded == {"risk_of_bias", "inconsistency", "imprecision", "publication_bias"}
    assert len(row.reasons) == 4
    assert all(": " in r for r in row.reasons)
    assert row.effect.startswith("not pooled")


def test_every_grade_row_is_very_low_or_says_why_not() -> None:
    for row in summary_of_findings():
        assert row.certainty in ("high", "moderate", "low", "very low")
        if row.certainty != "high":
            assert row.reasons


def test_rob_and_grade_commands(tmp_path: Path) -> None:
    out = tmp_path / "rob.svg"
    result = runner.invoke(app, ["evidence", "rob", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<?xml")
    assert (tmp_path / "rob-summary.svg").exists()
    data = json.loads(runner.invoke(app, ["evidence", "rob", "--json"]).output)
    assert len(data["rob2"]) == len(load_rob2())
    assert data["robins_i"][0]["overall"] == "NI"
    grade = json.loads(runner.invoke(app, ["evidence", "grade", "--json"]).output)
    ad = next(r for r in grade if r["id"] == "ad_severity")
    assert ad["certainty"] == "very low"
    text = runner.invoke(app, ["evidence", "grade"]).output
    assert "certainty: VERY LOW" in text
