"""The study start (issue 10 item 7): no date of a subject's record before it, on every path
(Python services, CLI create and import; the web and API paths are in tests/web). Each refusal
names the field, the value and the date expected; nothing is written. Migration 0007 adds the
column to a 0006 database with data (both engines)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from autoserum.errors import ValidationError
from autoserum.store import Store, open_store
from autoserum.store._engine import make_engine
from autoserum.store._migrate import head_revision, migrate
from tests.store.helpers import ADMIN, COORDINATOR, ELIGIBLE
from tests.store.test_import_export import _cli, visit_file

START = "2026-03-01"
BEFORE = "expected a date on or after the study start (2026-03-01)"


def started_study(store: Store, name: str = "AST") -> str:
    store.studies.create(name, "ast-nahm2023", actor=ADMIN, seed=1, start_date=START)
    store.studies.add_site(name, "s01", "Seoul", actor=ADMIN)
    return name


def test_the_study_keeps_its_start_date(store: Store) -> None:
    study = started_study(store)
    assert store.studies.get(study).start_date is not None
    assert str(store.studies.get(study).start_date) == START
    with pytest.raises(ValidationError, match="start_date: got '2026-02-30'"):
        store.studies.create("X", "ast-nahm2023", actor=ADMIN, seed=1, start_date="2026-02-30")
    assert [s.name for s in store.studies.all()] == [study]


def test_no_screening_or_visit_before_the_study_start(store: Store) -> None:
    study = started_study(store)
    with pytest.raises(
        ValidationError, match=re.escape(f"screened_on: got '2026-02-16'; {BEFORE}")
    ):
        store.subjects.screen(
            study, "s01", "S01", ELIGIBLE, screened_on="2026-02-16", actor=COORDINATOR
        )
    assert store.subjects.all(study, actor=ADMIN) == []
    store.subjects.screen(study, "s01", "S01", ELIGIBLE, screened_on=START, actor=COORDINATOR)
    store.subjects.randomise(study, "S01", actor=COORDINATOR)
    with pytest.raises(ValidationError, match=re.escape(f"visit_date: got '2026-02-27'; {BEFORE}")):
        store.records.add_visit(study, "S01", "baseline", "2026-02-27", actor=COORDINATOR)
    with pytest.raises(ValidationError, match=re.escape(f"given_on: got '2026-02-27'; {BEFORE}")):
        store.records.add_injection(study, "S01", "2026-02-27", actor=COORDINATOR)
    detail = store.subjects.detail(study, "S01", actor=ADMIN)
    assert [v.visit_code for v in detail.visits] == ["screening"]
    assert detail.injections == ()
    # a correction of the screening visit's date is held to the study start too
    [screening] = detail.visits
    with pytest.raises(ValidationError, match=re.escape(f"visit_date: got '2026-02-20'; {BEFORE}")):
        store.records.update(
            study, "visit", screening.id, {"visit_date": "2026-02-20"},
            actor=COORDINATOR, reason="typo", expected_version=screening.version,
        )  # fmt: skip
    again = store.subjects.detail(study, "S01", actor=ADMIN).visits[0]
    assert again.visit_date is not None
    assert (again.visit_date.isoformat(), again.version) == (START, screening.version)


def test_an_import_with_a_visit_before_the_study_start_is_refused_whole(store: Store) -> None:
    study = started_study(store)
    store.studies.add_site(study, "s02", "Busan", actor=ADMIN)
    frame = visit_file()  # its first visit: 2026-03-02; the study starts 2026-03-05 here
    store.studies.create("LATE", "ast-nahm2023", actor=ADMIN, seed=1, start_date="2026-03-05")
    for code in ("s01", "s02"):
        store.studies.add_site("LATE", code, code, actor=ADMIN)
    with pytest.raises(ValidationError, match="on or after the study start") as err:
        store.exports.import_long("LATE", frame, actor=ADMIN)
    assert err.value.field == "visit_date"
    assert err.value.location is not None
    assert "line 2" in err.value.location
    assert store.subjects.all("LATE", actor=ADMIN) == []
    assert store.exports.import_long(study, frame, actor=ADMIN)["subjects"] == 2  # the control


def test_the_cli_takes_the_start_date_and_refuses_a_bad_one(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    create = ["study", "create", "C1", "--protocol", "ast-nahm2023", "--db", db_url]
    code, _, err = _cli(capsys, *create, "--start-date", "2026-13-01")
    assert code == 2, err
    assert "start_date: got '2026-13-01'" in err
    code, _, err = _cli(capsys, *create, "--start-date", "2026-03-05")
    assert code == 0, err
    for site in ("s01", "s02"):
        code, _, err = _cli(capsys, "site", "add", "C1", site, "--name", site, "--db", db_url)
        assert code == 0, err
    path = tmp_path / "visits.csv"
    visit_file().write_csv(path)
    code, _, err = _cli(capsys, "import", str(path), "--study", "C1", "--db", db_url)
    assert code == 2, err
    assert "visit_date: got '2026-03-02'; expected a date on or after the study start" in err
    assert "Traceback" not in err
    store = open_store(db_url)
    try:
        assert store.subjects.all("C1", actor=ADMIN) == []
    finally:
        store.close()


def test_0007_adds_the_start_date_to_a_0006_database(db_url: str) -> None:
    engine = make_engine(db_url)
    assert migrate(engine, "0006") == "0006"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO studies (name, protocol_code, protocol, open_label, has_run_in,"
                " seed, allocation_n, created_at, version) VALUES ('OLD', 'abt-pittler2003',"
                " '{}', false, false, 1, 10, '2026-01-01T00:00:00.000000Z', 1)"
            )
        )
    engine.dispose()
    store = open_store(db_url)
    try:
        with store.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
            assert conn.scalar(text("SELECT start_date FROM studies WHERE name = 'OLD'")) is None
    finally:
        store.close()
