"""Every generated record passes the store's validation: each scenario's study imports into a
SQLite store (all or nothing) and exports back with the same subjects, visits and totals."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from autoserum.cli._app import app
from autoserum.simulate import scenario_codes
from autoserum.store import Actor, open_store
from tests.simulate.conftest import study

ADMIN = Actor("simulate-test", "admin")


@pytest.mark.parametrize("code", scenario_codes())
def test_scenario_imports_and_round_trips(code: str, tmp_path: Path) -> None:
    simulated = study(code, 30, 11)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        counts = store.exports.import_long(
            code,
            simulated.visits,
            actor=ADMIN,
            adverse_events=simulated.adverse_events,
            protocol=code,
        )
        exported = store.exports.long(code, actor=ADMIN)
    finally:
        store.close()
    assert counts["subjects"] == 30
    assert counts["visits"] == simulated.visits.height
    assert counts["adverse_events"] == simulated.adverse_events.height
    keys = ["subject_id", "visit"]
    totals = [
        c for c in ("easi", "scorad", "sassad", "dlqi", "ige") if c in simulated.visits.columns
    ]
    original = simulated.visits.select(*keys, *totals).sort(keys)
    back = exported.select(*keys, *[pl.col(c).cast(pl.Float64) for c in totals]).sort(keys)
    assert back.equals(original)


def test_cli_simulate_into_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["simulate", "asim-choi2024", "--subjects", "25", "--seed", "1"]
    result = CliRunner().invoke(app, [*args, "--db", url, "--study", "asim-pilot"])
    assert result.exit_code == 0, result.output
    assert "25 subjects" in result.output
    store = open_store(url, create=False)
    try:
        exported = store.exports.long("asim-pilot", actor=ADMIN)
    finally:
        store.close()
    assert exported["subject_id"].n_unique() == 25
