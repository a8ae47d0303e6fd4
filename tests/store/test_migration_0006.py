"""Migration 0006 on a 0005 database with data (both engines): the JSON site lists become
memberships keyed to ``sites.id``; the new constraints hold on the migrated database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from autoserum.store import open_store
from autoserum.store._engine import make_engine
from autoserum.store._migrate import head_revision, migrate

NOW = "2026-01-01T00:00:00.000000Z"


def _seed_0005(db_url: str) -> None:
    engine = make_engine(db_url)
    assert migrate(engine, "0005") == "0005"
    with engine.begin() as conn:
        for study_id, name in ((1, "A"), (2, "B")):
            conn.execute(
                text(
                    "INSERT INTO studies (id, name, protocol_code, protocol, open_label,"
                    " has_run_in, seed, allocation_n, created_at, version) VALUES"
                    " (:id, :name, 'abt-pittler2003', '{}', false, false, 1, 10, :now, 1)"
                ),
                {"id": study_id, "name": name, "now": NOW},
            )
            for offset, code in ((0, "s01"), (1, "s02")):
                conn.execute(
                    text(
                        "INSERT INTO sites (id, study_id, code, name, version)"
                        " VALUES (:id, :study, :code, :code, 1)"
                    ),
                    {"id": study_id * 10 + offset, "study": study_id, "code": code},
                )
        users = [(1, "ada", "admin", None), (2, "cora", "coordinator", '["s02"]'),
                 (3, "gone", "monitor", '["s09"]')]  # fmt: skip
        for user_id, username, role, sites in users:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, role, sites, unblinded,"
                    " active, failed_logins, created_at, version) VALUES"
                    " (:id, :username, 'h', :role, :sites, false, true, 0, :now, 1)"
                ),
                {"id": user_id, "username": username, "role": role, "sites": sites, "now": NOW},
            )
        conn.execute(
            text(
                "INSERT INTO subjects (id, study_id, site_id, subject_id, status, version)"
                " VALUES (1, 1, 11, 'A-001', 'screened', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO visits (study_id, subject_pk, visit_code, version)"
                " VALUES (1, 1, 'baseline', 1)"
            )
        )
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        with engine.begin() as conn:
            for table in ("studies", "sites", "users", "subjects", "visits"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
    engine.dispose()


def test_0006_moves_the_json_site_lists_to_memberships(db_url: str) -> None:
    _seed_0005(db_url)
    store = open_store(db_url)  # migrates to the head revision
    try:
        assert store.uow.engine is store.engine
        with store.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
        ada = store.accounts.get_user("ada")
        cora = store.accounts.get_user("cora")
        gone = store.accounts.get_user("gone")
        assert ada is not None
        assert ada.sites is None
        # a bare code reached that code in every study: the migration keeps that reach, now as
        # explicit memberships an administrator can narrow
        assert cora is not None
        assert cora.sites == frozenset({("A", "s02"), ("B", "s02")})
        assert gone is not None
        assert gone.sites == frozenset()
    finally:
        store.close()


def test_0006_constraints_hold_on_the_migrated_database(db_url: str) -> None:
    _seed_0005(db_url)
    open_store(db_url).close()
    engine = make_engine(db_url)
    refused = [
        # a second baseline visit of the same subject
        "INSERT INTO visits (study_id, subject_pk, visit_code, version)"
        " VALUES (1, 1, 'baseline', 1)",
        # a status outside the vocabulary
        "UPDATE subjects SET status = 'lost' WHERE id = 1",
        # a role outside the vocabulary
        "UPDATE users SET role = 'nurse' WHERE id = 2",
        # the same membership twice
        "INSERT INTO user_sites (user_id, site_id, version) VALUES (2, 11, 1), (2, 11, 1)",
    ]
    try:
        for sql in refused:
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(sql))
    finally:
        engine.dispose()
