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


def test_cli_simulate_records_serious_events_with_their_clock(tmp_path: Path) -> None:
    """The serious events are recorded through ``records.add_adverse_event`` (the store's
    checks) with their awareness and report times, and a follow-up version closes the ended
    ones (the ASIM pilot, 60 subjects, seed 30: three SAEs, one not reported, so overdue, and
    one still ongoing; picked by scanning seeds for both cases)."""
    from datetime import UTC, datetime

    from autoserum.study.safety import sae_clock

    simulated = study("asim-choi2024", 60, 30).serious
    url = f"sqlite:///{tmp_path / 'sae.db'}"
    args = ["simulate", "asim-choi2024", "--subjects", "60", "--seed", "30"]
    result = CliRunner().invoke(app, [*args, "--db", url, "--study", "asim"])
    assert result.exit_code == 0, result.output
    store = open_store(url, create=False)
    try:
        events = store.records.serious_events("asim", actor=ADMIN)
        exported = store.exports.adverse_events("asim", actor=ADMIN)
    finally:
        store.close()
    assert simulated.height == len(events) == 3
    assert exported.filter(pl.col("serious")).height == 3
    by_key = {(e.subject_id, e.term): e for e in events}
    now = datetime(2026, 1, 1, tzinfo=UTC)
    overdue = 0
    for row in simulated.iter_rows(named=True):
        event = by_key[(row["subject_id"], row["term"])]
        assert (event.aware_at, event.reported_at) == (row["aware_at"], row["reported_at"])
        assert (event.end_date, event.outcome) == (row["end_date"], row["outcome"])
        assert event.version == (1 if row["end_date"] is None else 2)  # the follow-up
        assert event.aesi == row["aesi"]
        assert event.expected == row["expected"]
        overdue += sae_clock(event.aware_at, reported_at=event.reported_at, now=now).overdue
    assert overdue == 1


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_simulated_files_carry_the_sae_clock_and_round_trip(suffix: str, tmp_path: Path) -> None:
    """``simulate --out`` writes each event's dates and each serious event's awareness and
    report times (the SAE clock) in the adverse-event file; ``import`` reads them back with
    the format's one validator, and ``export`` writes the same rows (the ASIM pilot, 60
    subjects, seed 30: three SAEs, one not reported; see the test above)."""
    from datetime import UTC, datetime

    from autoserum.study.safety import sae_clock

    runner = CliRunner()
    written = tmp_path / f"sim{suffix}"
    args = ["simulate", "asim-choi2024", "--subjects", "60", "--seed", "30"]
    result = runner.invoke(app, [*args, "--out", str(written)])
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{tmp_path / 'rt.db'}"
    result = runner.invoke(
        app, ["import", str(written), "--db", url, "--study", "rt", "--protocol", "asim-choi2024"]
    )
    assert result.exit_code == 0, result.output
    back = tmp_path / "back.csv"
    result = runner.invoke(app, ["export", "--db", url, "--study", "rt", "--out", str(back)])
    assert result.exit_code == 0, result.output
    store = open_store(url, create=False)
    try:
        events = store.records.serious_events("rt", actor=ADMIN)
    finally:
        store.close()
    simulated = study("asim-choi2024", 60, 30)
    order = ["subject_id", "onset_week", "term"]
    exported = pl.read_csv(tmp_path / "back.ae.csv", try_parse_dates=True).sort(order)
    original = simulated.adverse_events.sort(order)
    assert exported.columns == original.columns
    for column in ("onset_date", "end_date", "aware_at", "reported_at", "outcome", "serious"):
        assert exported[column].to_list() == original[column].to_list(), column
    serious = simulated.serious
    assert len(events) == serious.height == 3
    now = datetime(2026, 1, 1, tzinfo=UTC)
    clocks = {(e.subject_id, e.term): (e.aware_at, e.reported_at, e.end_date) for e in events}
    for row in serious.iter_rows(named=True):
        assert clocks[(row["subject_id"], row["term"])] == (
            row["aware_at"], row["reported_at"], row["end_date"]
        )  # fmt: skip
    overdue = [sae_clock(e.aware_at, reported_at=e.reported_at, now=now).overdue for e in events]
    assert sum(overdue) == 1
