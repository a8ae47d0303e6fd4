"""Fixtures: reports of the committed synthetic studies, written once per module."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from autoserum.analysis import read_study
from autoserum.report import ReportFiles, write_report
from autoserum.simulate import simulate_study

DATA = Path(__file__).resolve().parents[1] / "analysis" / "data"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _demo(out: Path, protocol: str, name: str, n: int, seed: int) -> Path:
    """A demo study as `make demo` simulates it (autoserum.simulate; synthetic)."""
    study = simulate_study(protocol, n, seed)
    path = out / f"{name}.csv"
    study.visits.write_csv(path)
    study.adverse_events.write_csv(out / f"{name}.ae.csv")
    study.con_meds.write_csv(out / f"{name}.conmed.csv")
    return path


@pytest.fixture(scope="module")
def rct_report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """The demo serum RCT (scripts/demo.py: ast-nahm2023, 23 subjects, seed 2188)."""
    out = tmp_path_factory.mktemp("rct")
    path = _demo(out, "ast-nahm2023", "serum-rct", 23, 2188)
    return write_report(
        read_study(path), out, protocol="ast-nahm2023", generated=dt.date(2026, 1, 1)
    )


@pytest.fixture(scope="module")
def pilot_report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """The demo ASIM pilot (scripts/demo.py: asim-choi2024, 25 subjects, seed 2025)."""
    out = tmp_path_factory.mktemp("pilot")
    path = _demo(out, "asim-choi2024", "asim-pilot", 25, 2025)
    return write_report(read_study(path), out, protocol="asim-choi2024")


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """The committed two-arm fixture with labs and adverse events of every kind."""
    out = tmp_path_factory.mktemp("fixture")
    return write_report(
        read_study(DATA / "two_arm.csv"), out, protocol="ast-nahm2023", endpoint="easi"
    )
