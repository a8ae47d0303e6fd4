"""Fixtures: reports of the committed synthetic studies, written once per module."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from autoserum.analysis import read_study
from autoserum.report import ReportFiles, write_report

DATA = Path(__file__).resolve().parents[1] / "analysis" / "data"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def rct_report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    out = tmp_path_factory.mktemp("rct")
    return write_report(
        read_study(DATA / "two_arm.csv"),
        out,
        protocol_code="ast-nahm2023",
        endpoint="easi",
        generated=dt.date(2026, 1, 1),
    )


@pytest.fixture(scope="module")
def pilot_report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    out = tmp_path_factory.mktemp("pilot")
    return write_report(
        read_study(DATA / "single_arm.csv"), out, protocol_code="asim-choi2024", week=8
    )
