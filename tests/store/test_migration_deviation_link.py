"""Migration 0028 on both engines: ``deviations.injection_id`` added (nullable, a foreign key to
``injections``), existing deviations kept unlinked (their content is audited: the link is
written by the store's next reconcile, ``store/_dose.py``), and its downgrade."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from autoserum.store._engine import make_engine
from autoserum.store._migrate import migrate
from tests.store.migrations import STUDY_AND_SITE, downgrade, revisions, upgrade_over

REVISION, BEFORE = revisions("deviation_record_link")
SEED = [
    *STUDY_AND_SITE,
    "INSERT INTO subjects (id, study_id, site_id, subject_id, status, age, version)"
    " VALUES (1, 1, 1, 'A-001', 'screened', '30', 1)",
    "INSERT INTO injections (id, study_id, subject_pk, given_on, product, volume_ml, version)"
    " VALUES (1, 1, 1, '2026-03-16', 'whole_blood', '2', 1)",
    "INSERT INTO deviations (id, study_id, subject_pk, kind, description, version) VALUES"
    " (1, 1, 1, 'injection_dose', 'injection on 2026-03-16: injection 3: volume_ml 2 mL"
    " (protocol: 3 mL ± 10%)', 1)",
]


def test_the_migration_adds_the_link_and_keeps_the_deviations(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_over(engine, SEED, before=BEFORE, revision=REVISION)
        with engine.begin() as conn:
            kept = conn.execute(text("SELECT id, kind, injection_id FROM deviations")).all()
            assert [tuple(r) for r in kept] == [(1, "injection_dose", None)]
            conn.execute(text("UPDATE deviations SET injection_id = 1"))
        with pytest.raises(IntegrityError), engine.begin() as conn:  # the engine enforces FKs
            conn.execute(text("UPDATE deviations SET injection_id = 99"))  # no such injection
    finally:
        engine.dispose()


def test_the_migration_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert migrate(engine, REVISION) == REVISION
        downgrade(engine, BEFORE)
        columns = {c["name"] for c in inspect(engine).get_columns("deviations")}
        assert "injection_id" not in columns
        assert "visit_id" in columns
    finally:
        engine.dispose()
