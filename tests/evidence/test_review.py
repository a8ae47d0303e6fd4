"""The registry held as a systematic review: every record's status and identifiers, the PRISMA
2020 flow (its arithmetic) and the review protocol (issue 17)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from autoserum.cli import app, main
from autoserum.errors import StatisticsError, ValidationError
from autoserum.evidence import load_registry, parse_registry, prisma_flow
from tests.evidence.test_registry import TEXTS

runner = CliRunner()

#: Every study issue 17 names, with the status it must have and an identifier where one was
#: verifiable from the shared sources (issue 17 text; sources.md).
NAMED = {
    "Pittler2003": ("included", "pmid", "12588384"),
    "Nahm2023": ("included", "registry", "KCT0001969"),
    "Nahm2020": ("included", "registry", "NCT02835170"),
    "Jangra2022": ("excluded", None, None),
    "KCT0000453": ("ongoing", "registry", "KCT0000453"),
    "KCT0001971": ("ongoing", "registry", "KCT0001971"),
    "Brewer2014": ("excluded", "doi", "10.7759/cureus.233"),
    "OomenWelke2019": ("excluded", "pmcid", "PMC6729051"),
    "Min_CSU": ("awaiting_classification", None, None),
    "IRCT20180113038328N1": ("awaiting_classification", "registry", "IRCT20180113038328N1"),
    "IRCT2016040627260N1": ("awaiting_classification", "registry", "IRCT2016040627260N1"),
    "Surendran2019": ("awaiting_classification", None, None),
    "Patel_CSU": ("awaiting_classification", None, None),
    "Zenodo_CSU200": ("excluded", "doi", "10.5281/zenodo.7638349"),
    "Chinese_AHT_urticaria_RCTs": ("awaiting_classification", None, None),
    "Shi2022": ("excluded", "pmcid", "PMC9633187"),
    "Yang2020_eczema": ("excluded", None, None),
    "Deng_eczema": ("excluded", None, None),
    "Wu_eczema": ("excluded", None, None),
}


def _json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_evidence_json_lists_every_named_study_with_status_and_identifiers() -> None:
    studies = {s["id"]: s for s in _json("evidence", "--json")["studies"]}
    for sid, (status, key, value) in NAMED.items():
        rec = studies[sid]
        assert rec["status"] == status, sid
        assert set(rec["identifiers"]) == {"pmid", "pmcid", "doi", "registry"}
        if key == "registry":
            assert value in rec["identifiers"]["registry"]
        elif key is not None:
            assert rec["identifiers"][key] == value
        if status != "included":
            assert rec["status_reason"], sid


def test_every_record_has_a_status_and_excluded_ones_a_reason() -> None:
    reg = load_registry()
    for st in reg.studies.values():
        assert st.status in ("included", "excluded", "awaiting_classification", "ongoing")
        if st.status == "included":
            assert st.design.startswith("rct")
            assert st.arms
        else:
            assert st.status_reason
    included = sorted(s.id for s in reg.studies.values() if s.status == "included")
    assert {"Pittler2003", "Nahm2023", "Nahm2020"} <= set(included)
    # every study of a pooled analysis is an included study
    for eff in reg.effects.values():
        assert reg.studies[eff.study].status == "included"


def test_prisma_flow_adds_up() -> None:
    flow = prisma_flow()
    flow.check()
    reg = load_registry()
    n_reports = sum(s.screening.reports for s in reg.studies.values())
    assert flow.identified_total - flow.duplicates == flow.screened == n_reports
    assert flow.screened - flow.excluded_title_abstract == flow.sought
    assert flow.sought - flow.not_retrieved == flow.assessed
    assert flow.assessed == (
        sum(flow.excluded_by_reason.values())
        + flow.awaiting_classification
        + flow.ongoing
        + flow.reports_included
    )
    assert flow.studies_included == sum(s.status == "included" for s in reg.studies.values())
    assert sum(flow.identified.values()) == sum(flow.identified_by_source.values())
    # issue 17's 14 Chinese RCTs count as 14 reports not retrieved
    assert flow.not_retrieved >= 14


def test_a_flow_that_does_not_add_up_is_refused() -> None:
    broken = dataclasses.replace(prisma_flow(), screened=prisma_flow().screened + 1)
    with pytest.raises(StatisticsError, match="identified - duplicates = screened"):
        broken.check()


def test_prisma_command_draws_the_flow(tmp_path: Path) -> None:
    out = tmp_path / "flow.svg"
    result = runner.invoke(app, ["evidence", "prisma", "--out", str(out)])
    assert result.exit_code == 0, result.output
    svg = out.read_text()
    flow = prisma_flow()
    assert svg.startswith("<svg")
    assert f"Records screened (n = {flow.screened})" in svg
    assert f"Reports assessed for eligibility (n = {flow.assessed})" in svg
    assert f"Studies included in review (n = {flow.studies_included}" in svg
    data = _json("evidence", "prisma", "--json")
    assert data["records_screened"] == flow.screened


def test_prisma_out_must_be_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["evidence", "prisma", "--out", str(tmp_path / "flow.png")])
    assert info.value.code == 2
    assert "a .svg file" in capsys.readouterr().err
    assert not (tmp_path / "flow.png").exists()


def test_review_protocol_is_rendered() -> None:
    result = runner.invoke(app, ["evidence", "protocol"])
    assert result.exit_code == 0, result.output
    for heading in ("## Question", "## PICO", "## Outcomes", "## Methods"):
        assert heading in result.output
    assert "RoB 2" in result.output
    assert "r = 0.5, 0.7 and 0.8" in result.output


def _parse_with(old: str, new: str) -> object:
    assert old in TEXTS["studies.yaml"]
    texts = dict(TEXTS)
    texts["studies.yaml"] = texts["studies.yaml"].replace(old, new, 1)
    return parse_registry(
        *(texts[k] for k in ("studies.yaml", "results.csv", "effects.yaml", "analyses.yaml"))
    )


def test_a_bad_status_or_identifier_is_refused() -> None:
    with pytest.raises(ValidationError, match="status"):
        _parse_with("status: ongoing", "status: finished")
    with pytest.raises(ValidationError, match=r"identifiers\.pmid"):
        _parse_with('pmid: "12588384"', 'pmid: "PMID12588384"')
    with pytest.raises(ValidationError, match="status_reason"):
        _parse_with('status_reason: "animal study"', 'status_reason: ""')
