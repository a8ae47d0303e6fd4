"""Migration 0010 on a 0009 database with data (both engines): terms and names widen to 500
characters, the multi-column unique constraints get names that cannot collide, and every
constraint still holds (SQLite rebuilds the tables in batch mode)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from autoserum.store._engine import make_engine
from autoserum.store._migrate import migrate
from tests.store.migrations import STUDY_AND_SITE, downgrade

SEED = [
    *STUDY_AND_SITE,
    "INSERT INTO subjects (id, study_id, site_id, subject_id, status, version)"
    " VALUES (1, 1, 1, 'A-001', 'screened', 1)",
    "INSERT INTO visits (id, study_id, subject_pk, visit_code, version)"
    " VALUES (1, 1, 1, 'baseline', 1)",
    "INSERT INTO labs (study_id, subject_pk, visit_id, analyte, value, unit, version)"
    " VALUES (1, 1, 1, 'ige', '100', 'kU/L', 1)",
    "INSERT INTO adverse_events (study_id, subject_pk, term, severity, serious, related,"
    " outcome, version) VALUES (1, 1, 'rash', 'mild', false, 'possible', 'recovered', 1)",
]
RENAMED = {
    "sites": "uq_sites_study_id_code",
    "subjects": "uq_subjects_study_id_subject_id",
    "allocation_lists": "uq_allocation_lists_study_id_stratum",
    "allocations": "uq_allocations_list_id_sequence",
    "assessments": "uq_assessments_visit_id_instrument",
    "labs": "uq_labs_visit_id_analyte",
}


def test_0010_widens_terms_and_renames_the_unique_constraints(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert migrate(engine, "0009") == "0009"
        with engine.begin() as conn:
            for sql in SEED:
                conn.execute(text(sql))
        assert migrate(engine, "0010") == "0010"
        inspector = inspect(engine)
        for table, name in RENAMED.items():
            names = {u["name"] for u in inspector.get_unique_constraints(table)}
            assert name in names, (table, names)
            assert not any(str(n).endswith(("_study_id", "_list_id", "_visit_id")) for n in names)
        widths = {
            (table, c["name"]): getattr(c["type"], "length", None)
            for table in ("adverse_events", "con_meds")
            for c in inspector.get_columns(table)
        }
        assert widths[("adverse_events", "term")] == 500
        assert widths[("con_meds", "name")] == widths[("con_meds", "indication")] == 500
        with engine.begin() as conn:  # the data survived; a 500-character term fits
            assert conn.scalar(text("SELECT term FROM adverse_events")) == "rash"
            conn.execute(text("UPDATE adverse_events SET term = :t"), {"t": "x" * 500})
        refused = [
            "INSERT INTO labs (study_id, subject_pk, visit_id, analyte, value, unit, version)"
            " VALUES (1, 1, 1, 'ige', '5', 'kU/L', 1)",  # the renamed unique constraint
            "INSERT INTO sites (study_id, code, name, version) VALUES (1, 's01', 'x', 1)",
            "UPDATE adverse_events SET severity = 'grave'",  # the CHECK survived the rebuild
            "UPDATE subjects SET status = 'lost'",
        ]
        for sql in refused:
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(sql))
    finally:
        engine.dispose()


def test_0010_downgrades_to_the_old_names(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert migrate(engine, "0010") == "0010"
        downgrade(engine, "0009")  # SQLite's foreign keys off: the rebuild drops tables
        inspector = inspect(engine)
        names = {u["name"] for u in inspector.get_unique_constraints("labs")}
        assert "uq_labs_visit_id" in names
        term = next(c for c in inspector.get_columns("adverse_events") if c["name"] == "term")
        assert getattr(term["type"], "length", None) == 200
    finally:
        engine.dispose()
