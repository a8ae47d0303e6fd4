"""The subject-history migration on both engines: the subject's new columns with the
Fitzpatrick CHECK, the prior_treatments and comorbidities tables with their CHECKs, existing
subjects kept, and its downgrade."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from autoserum.store._engine import make_engine
from autoserum.store._migrate import _pragma, alembic_config, migrate

_SCRIPT = next(
    s
    for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    if s.path is not None and Path(s.path).stem.endswith("_subject_history")
)
REVISION, BEFORE = _SCRIPT.revision, str(_SCRIPT.down_revision)
NOW = "2026-01-01T00:00:00.000000Z"
SEED = [
    "INSERT INTO studies (id, name, protocol_code, protocol, open_label, has_run_in, seed,"
    f" allocation_n, created_at, version) VALUES (1, 'A', 'p', '{{}}', false, false, 1, 10,"
    f" '{NOW}', 1)",
    "INSERT INTO sites (id, study_id, code, name, version) VALUES (1, 1, 's01', 'one', 1)",
    "INSERT INTO subjects (id, study_id, site_id, subject_id, status, age, version)"
    " VALUES (1, 1, 1, 'A-001', 'screened', '30', 1)",
]
TREATMENT = (
    "INSERT INTO prior_treatments (study_id, subject_pk, drug, response, version)"
    " VALUES (1, 1, 'ciclosporin', :response, 1)"
)
COMORBIDITY = (
    "INSERT INTO comorbidities (study_id, subject_pk, condition, version)"
    " VALUES (1, 1, :condition, 1)"
)


def test_history_migration_adds_the_columns_and_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert migrate(engine, BEFORE) == BEFORE
        with engine.begin() as conn:
            for sql in SEED:
                conn.execute(text(sql))
        assert migrate(engine, REVISION) == REVISION
        with engine.begin() as conn:
            conn.execute(text("UPDATE subjects SET fitzpatrick = 'IV', birth_date = '1995-08-01'"))
            conn.execute(text(TREATMENT), {"response": "partial"})
            conn.execute(text(COMORBIDITY), {"condition": "asthma"})
            kept = conn.execute(text("SELECT subject_id, age, fitzpatrick FROM subjects")).all()
        assert [tuple(r) for r in kept] == [("A-001", "30", "IV")]
        refused = [
            ("UPDATE subjects SET fitzpatrick = 'VII'", {}),  # CHECK fitzpatrick
            (TREATMENT, {"response": "excellent"}),  # CHECK response
            (COMORBIDITY, {"condition": "eczema"}),  # CHECK condition
        ]
        for sql, params in refused:
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(sql), params)
    finally:
        engine.dispose()


def test_history_migration_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert migrate(engine, REVISION) == REVISION
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                _pragma(conn, "foreign_keys=OFF")
            with conn.begin():
                config = alembic_config()
                config.attributes["connection"] = conn
                command.downgrade(config, BEFORE)
        tables = set(inspect(engine).get_table_names())
        assert not {"prior_treatments", "comorbidities"} & tables
        columns = {c["name"] for c in inspect(engine).get_columns("subjects")}
        assert not {"birth_date", "ethnicity", "race", "fitzpatrick", "ad_onset_age"} & columns
    finally:
        engine.dispose()
