"""The subject-history migration on both engines: the subject's new columns with the
Fitzpatrick CHECK, the prior_treatments and comorbidities tables with their CHECKs, existing
subjects kept, and its downgrade."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from autoserum.store._engine import make_engine
from autoserum.store._migrate import migrate
from tests.store.migrations import STUDY_AND_SITE, downgrade, revisions, upgrade_over

REVISION, BEFORE = revisions("subject_history")
SEED = [
    *STUDY_AND_SITE,
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
        upgrade_over(engine, SEED, before=BEFORE, revision=REVISION)
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
        downgrade(engine, BEFORE)
        tables = set(inspect(engine).get_table_names())
        assert not {"prior_treatments", "comorbidities"} & tables
        columns = {c["name"] for c in inspect(engine).get_columns("subjects")}
        assert not {"birth_date", "ethnicity", "race", "fitzpatrick", "ad_onset_age"} & columns
    finally:
        engine.dispose()
