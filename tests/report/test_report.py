"""The study report: HTML renders in headless Chromium without console errors or network
requests and has its sections, tables and figures; the PDF is a PDF."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from autoserum.analysis import read_study, rescue_table
from autoserum.report import ReportFiles
from tests.clirun import run_cli
from tests.pdftext import pdf_text
from tests.report.conftest import CHROMIUM_ARGS, DATA

SECTIONS = [
    "study",
    "consort",
    "baseline",
    "primary",
    "secondary",
    "responders",
    "safety",
    "methods",
]


def _render(html: Path) -> dict[str, Any]:
    """Open the report in Chromium; collect console errors, page errors, network requests."""
    console: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        info = page.evaluate(
            """() => ({
                sections: [...document.querySelectorAll('section.report-section')].map(s => s.id),
                tables: [...document.querySelectorAll('table')].map(t => t.id),
                rows: Object.fromEntries([...document.querySelectorAll('table')].map(
                    t => [t.id, t.querySelectorAll('tbody tr').length])),
                figures: [...document.querySelectorAll('figure')].map(f => f.id),
                svgs: [...document.querySelectorAll('figure svg')].map(
                    s => s.getBoundingClientRect().width),
                scripts: document.querySelectorAll('script').length,
                title: document.title,
            })"""
        )
        browser.close()
    return {"console": console, "requests": requests, **info}


COMMON_TABLES = (
    "table-consort",
    "table-baseline",
    "table-primary-within",
    "table-secondary",
    "table-predictors",
    "table-ae-overview",
    "table-ae-term",
    "table-ae-severity",
    "table-ae-serious",
    "table-ae-related",
)


@pytest.mark.browser
def test_demo_rct_report_renders_with_structure(rct_report: ReportFiles) -> None:
    info = _render(rct_report.html)
    assert info["console"] == []
    assert info["requests"] == [rct_report.html.as_uri()]  # nothing but the file itself
    assert info["scripts"] == 0
    assert info["sections"] == SECTIONS
    tables = info["tables"]
    primary = rct_report.model.primary.endpoint
    for table in (*COMMON_TABLES, "table-primary-between", f"table-responders-{primary}"):
        assert table in tables
        assert info["rows"][table] > 0
    assert info["figures"] == [
        "figure-consort",
        "figure-mean-change",
        "figure-trajectories",
        "figure-waterfall",
        "figure-responders",
    ]
    assert all(width > 100 for width in info["svgs"])
    assert "Autologous" in str(info["title"]) or "serum" in str(info["title"]).lower()


@pytest.mark.browser
def test_demo_pilot_report_renders_without_between_arms(pilot_report: ReportFiles) -> None:
    info = _render(pilot_report.html)
    assert info["console"] == []
    assert info["requests"] == [pilot_report.html.as_uri()]
    assert info["sections"] == SECTIONS
    assert "table-primary-between" not in info["tables"]
    for table in (*COMMON_TABLES, "table-lab-shifts"):
        assert table in info["tables"]
        assert info["rows"][table] > 0
    assert "figure-waterfall" in info["figures"]
    assert "figure-consort" in info["figures"]


@pytest.mark.browser
def test_fixture_report_has_lab_shifts_and_all_figures(fixture_report: ReportFiles) -> None:
    info = _render(fixture_report.html)
    assert info["console"] == []
    assert "table-lab-shifts" in info["tables"]
    assert "table-responders-easi" in info["tables"]
    assert info["figures"] == [
        "figure-consort",
        "figure-mean-change",
        "figure-trajectories",
        "figure-waterfall",
        "figure-responders",
    ]


def test_pdf_is_written(rct_report: ReportFiles, pilot_report: ReportFiles) -> None:
    for files, code in ((rct_report, "ast-nahm2023"), (pilot_report, "asim-choi2024")):
        data = files.pdf.read_bytes()
        assert data.startswith(b"%PDF")
        assert data.rstrip().endswith(b"%%EOF")
        text = pdf_text(files.pdf)
        assert f"({code})" in text  # the protocol summary names the protocol
        for section in ("1. Study and protocol summary", "2. Participant flow (CONSORT)",
                        "3. Baseline characteristics"):  # fmt: skip
            assert section in text
        # the primary endpoint's within-arm mean change (SD), as the analysis computed it
        primary = files.model.primary
        for row in primary.within.filter(primary.within["week"] == primary.week).iter_rows(
            named=True
        ):
            assert f"{row['mean_change']:.1f} ({row['sd_change']:.1f})" in text, row


def test_report_numbers_come_from_the_analysis(fixture_report: ReportFiles) -> None:
    html = fixture_report.html.read_text(encoding="utf-8")
    primary = fixture_report.model.primary
    row = primary.within.filter(
        (primary.within["arm"] == "serum") & (primary.within["week"] == primary.week)
    ).row(0, named=True)
    mean = f"{row['mean_change']:.1f}".replace("-", "−")
    assert f"{mean} ({row['sd_change']:.1f})" in html
    assert "ast-nahm2023" in html


def test_the_rescue_table_shows_the_analysis_of_the_con_med_file(rct_report: ReportFiles) -> None:
    """The demo RCT's con-med file (with rescue) gives the safety section its rescue table, and
    each cell is the analysis' number (autoserum.analysis.rescue_table)."""
    safety = next(s for s in rct_report.model.sections if s.id == "safety")
    table = next(t for t in safety.tables if t.id == "rescue")
    study = read_study(rct_report.html.parent / "serum-rct.csv")
    expected = rescue_table(study.visits, study.con_meds)
    assert int(expected["n_rescue"].sum()) > 0
    arms = sorted(expected["arm"].unique())
    assert table.columns[1:] == tuple(f"{a}: {w}" for a in arms for w in ("using rescue", "TCS g"))
    assert len(table.rows) == expected["week"].n_unique()
    for r in expected.iter_rows(named=True):
        row = table.rows[r["week"] - 1]
        assert row[0] == str(r["week"])
        cell = row[1 + 2 * arms.index(r["arm"])]
        assert cell.startswith(f"{r['n_rescue']}/{r['n_subjects']} ("), (r, row)
    html = rct_report.html.read_text(encoding="utf-8")
    assert "Rescue medication by arm and week" in html


def test_report_cli_writes_both_files(tmp_path: Path) -> None:
    out = run_cli(
        "report", DATA / "single_arm.csv",
        "--out", tmp_path, "--protocol", "asim-choi2024", "--week", "8",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "single_arm.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    text = pdf_text(tmp_path / "single_arm.pdf")
    assert "(asim-choi2024)" in text
    assert "Participant flow: 15 subjects enrolled" in text  # tests/analysis/data/single_arm.csv


def test_report_cli_unknown_protocol(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "autoserum", "report", str(DATA / "single_arm.csv"),
         "--out", str(tmp_path), "--protocol", "nope"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("error: ")


def test_report_from_the_database_lists_eligibility_overrides(tmp_path: Path) -> None:
    """An investigator's override of eligibility (issue 10) is listed in the report."""
    import datetime as dt

    import polars as pl

    from autoserum.store import Actor, open_store

    url = f"sqlite:///{tmp_path / 'study.db'}"
    admin = Actor("ada", "admin")
    store = open_store(url, clock=lambda: dt.date(2026, 6, 30))
    try:
        visits = pl.read_csv(DATA / "two_arm.csv", infer_schema=False)
        store.exports.import_long("FIX", visits, actor=admin, protocol="ast-nahm2023")
        facts = {"scorad": 40}  # the diagnosis left unknown
        store.subjects.screen("FIX", "B", "S900", facts, actor=admin, screened_on="2026-01-05")
        store.subjects.randomise(
            "FIX", "S900", actor=admin, override_reason="diagnosis confirmed by the PI"
        )
        store.locks.lock("FIX", "study", actor=admin, reason="data final")
    finally:
        store.close()
    out = run_cli("report", "--db", url, "--study", "FIX", "--out", tmp_path, "--endpoint", "easi")
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "FIX.html").read_text(encoding="utf-8")
    assert "Eligibility overrides" in html
    assert "S900: randomised with eligibility unknown atopic_dermatitis" in html
    assert "diagnosis confirmed by the PI" in html
    # every deviation is listed, the eligibility override as a major one
    assert "Protocol deviations (1, 1 major)" in html
    assert "S900: major eligibility_override" in html
    # the conduct records a database holds: the product's accountability (no product recorded
    # in this study: nothing given of what the protocol plans) and the photo ratings (none)
    assert "<caption>Product accountability by arm</caption>" in html
    assert "No central (blinded) ratings of lesion photographs exist." in html
