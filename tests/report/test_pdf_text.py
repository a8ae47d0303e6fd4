"""The PDF of the demo RCT's report run under its statistical analysis plan, read back as text
(pypdf): the key numbers printed are the analysis' own (issue 16, issue 10 item 10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader

from autoserum.analysis import EXAMPLE_SAP, parse_sap_text, read_study
from autoserum.report import ReportFiles, write_report
from tests.report.conftest import _demo


@pytest.fixture(scope="module")
def sap_report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """The demo serum RCT (ast-nahm2023, 23 subjects, seed 2188) under the shipped SAP."""
    out = tmp_path_factory.mktemp("sap-rct")
    path = _demo(out, "ast-nahm2023", "serum-rct", 23, 2188)
    return write_report(
        read_study(path),
        out,
        protocol="ast-nahm2023",
        sap=parse_sap_text(EXAMPLE_SAP),
        generated=dt.date(2026, 1, 1),
    )


def _minus(shown: str) -> str:
    """A number as the report writes it: a negative one with the minus sign (U+2212)."""
    return shown.replace("-", "−")


@pytest.fixture(scope="module")
def text(sap_report: ReportFiles) -> str:
    reader = PdfReader(str(sap_report.pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_plan_and_its_hash_are_printed(text: str) -> None:
    sap = parse_sap_text(EXAMPLE_SAP)
    assert "Statistical analysis plan and estimands" in text
    assert sap.sha256() in text
    assert "rescue medication: treatment policy" in text
    assert "discontinuation: hypothetical" in text


def test_the_primary_estimand_shows_the_mmrm_of_the_analysis(
    sap_report: ReportFiles, text: str
) -> None:
    primary = sap_report.model.primary
    assert (primary.endpoint, primary.week) == ("scorad", 8.0)
    row = primary.between.filter((pl.col("method") == "mmrm") & (pl.col("week") == 8.0)).row(
        0, named=True
    )
    shown = f"serum: {row['estimate']:.2f} ({row['ci_low']:.2f} to {row['ci_high']:.2f})"
    assert _minus(shown) in text  # the report writes the typographic minus, and the PDF too
    # the between-arm table prints the MMRM t statistic, then its (Kenward-Roger) df, then p
    df = f"{row['df']:.0f}" if float(row["df"]).is_integer() else f"{row['df']:.1f}"
    assert _minus(f"t = {row['statistic']:.2f} {df} {row['p_value']:.3f}") in text


def test_the_ls_means_and_the_overall_test_are_printed(sap_report: ReportFiles, text: str) -> None:
    primary = sap_report.model.primary
    for r in primary.ls_means.iter_rows(named=True):
        assert _minus(f"{r['estimate']:.2f}") in text
    o = primary.overall
    assert o is not None
    assert f"F = {o['statistic']:.2f} on 1 and {o['df2']:.0f} df" in text


def test_the_multiplicity_decisions_are_printed(text: str) -> None:
    assert "Multiplicity: fixed-sequence (hierarchical) testing at α = 0.05" in text
    assert "SCORAD serum 8 MMRM" in text  # the family in the plan's order, primary first
    # the demo RCT (seed 2188): serum beats placebo on SCORAD (MMRM p = 0.004), EASI and DLQI
    assert "SCORAD serum 8 MMRM 0.004 0.004 rejected EASI serum 8 ANCOVA" in text


def test_the_participant_flow_is_printed(text: str, sap_report: ReportFiles) -> None:
    assert "Participant flow: 23 subjects enrolled" in text
    assert Path(sap_report.pdf).read_bytes().startswith(b"%PDF")


def test_the_subgroups_of_the_plan_are_printed(sap_report: ReportFiles, text: str) -> None:
    section = next(s for s in sap_report.model.sections if s.id == "subgroups")
    (table,) = section.tables
    first = table.rows[0]
    assert first[0] == "SCORAD at baseline"
    assert first[7].startswith("F = ")
    assert "Treatment effect by subgroup" in text
    assert first[7] in text
    assert [f.id for f in section.figures] == ["forest"]


def test_the_primary_mmrm_has_kenward_roger_df(sap_report: ReportFiles) -> None:
    primary = sap_report.model.primary
    assert primary.mmrm_df == "kenward_roger"  # as the SAP fixes
    df = primary.between.filter(pl.col("method") == "mmrm")["df"].to_list()
    assert all(not float(d).is_integer() for d in df)  # KR df, not N - p


def test_the_sensitivity_analyses_are_printed(sap_report: ReportFiles, text: str) -> None:
    section = next(s for s in sap_report.model.sections if s.id == "sap")
    table = next(t for t in section.tables if t.id == "sensitivity")
    (j2r,) = [r for r in table.rows if r[0].endswith("jump to reference")]
    assert "Sensitivity analyses of the primary estimand" in text
    assert j2r[4] in text  # the pooled J2R estimate
    assert j2r[3] == "100 (seed 2024)"


def test_the_time_to_first_flare_is_printed(sap_report: ReportFiles, text: str) -> None:
    section = next(s for s in sap_report.model.sections if s.id == "time-to-event")
    summary = dict(section.summary)
    assert summary["Log-rank"].startswith("χ² = ")
    assert summary["Log-rank"] in text  # χ², as written
    assert "Kaplan–Meier by arm" in section.tables[0].title
    assert [f.id for f in section.figures] == ["kaplan-meier"]
