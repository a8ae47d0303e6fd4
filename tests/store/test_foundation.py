"""The store's foundation on both engines: engine settings, migrations, the audit mechanism,
append-only audit table, reasons for changes and optimistic concurrency."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from autoserum.errors import ConfigurationError, ConflictError, StateError, ValidationError
from autoserum.store import Actor, Store, open_store
from autoserum.store._migrate import current_revision, head_revision
from autoserum.store.models import AuditRow, Base, SiteRow


def test_schema_is_at_head_and_matches_the_models(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_open_store_is_idempotent(db_url: str) -> None:
    open_store(db_url).close()
    again = open_store(db_url, create=False)
    assert current_revision(again.engine) == head_revision()
    again.close()


def test_migrations_upgrade_a_database_step_by_step(db_url: str) -> None:
    from autoserum.store._engine import make_engine
    from autoserum.store._migrate import migrate

    engine = make_engine(db_url)
    assert migrate(engine, "0001") == "0001"
    with engine.begin() as conn:  # a study written under the first schema ...
        conn.execute(
            text(
                "INSERT INTO studies (name, protocol_code, protocol, open_label, has_run_in, seed,"
                " allocation_n, created_at, version) VALUES ('OLD', 'abt-pittler2003', '{}',"
                " false, false, 1, 10, '2026-01-01T00:00:00.000000Z', 1)"
            )
        )
    assert migrate(engine) == head_revision()
    with engine.connect() as conn:  # ... survives the upgrade
        assert conn.execute(text("SELECT name, column_order FROM studies")).all() == [("OLD", None)]
    engine.dispose()


def test_an_unreachable_or_unmigrated_database_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match="cannot open the database") as caught:
        open_store("postgresql+psycopg://who:secret@127.0.0.1:1/none")
    assert "secret" not in str(caught.value)
    with pytest.raises(ConfigurationError, match="schema revision"):
        open_store(f"sqlite:///{tmp_path / 'empty.db'}", create=False)


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    st = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    with st.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    st.close()


def test_an_insert_writes_one_audit_row_per_field_in_the_same_transaction(
    store: Store, admin: Actor
) -> None:
    store.studies.create("S1", "ast-nahm2023", actor=admin, seed=7)
    store.studies.add_site("S1", "s01", "Seoul", actor=admin)
    trail = store.audit.trail("S1", actor=admin)
    site_rows = [r for r in trail if r.entity == "site"]
    assert {r.field: r.new_value for r in site_rows} == {
        "study_id": site_rows[0].new_value,
        "code": "s01",
        "name": "Seoul",
        "version": 1,
    }
    assert {r.action for r in site_rows} == {"insert"}
    assert {r.username for r in trail} == {"ada"}
    assert len({r.txn for r in site_rows}) == 1
    assert all(r.at.utcoffset() == dt.timedelta(0) for r in trail)


def test_a_failed_transaction_leaves_neither_data_nor_audit(store: Store, admin: Actor) -> None:
    store.studies.create("S1", "ast-nahm2023", actor=admin, seed=7)
    before = len(store.audit.raw_rows())

    def add_then_fail() -> None:
        with store.uow.write(admin) as s:
            s.add(SiteRow(study_id=1, code="x", name="X", version=1))
            s.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        add_then_fail()
    assert len(store.audit.raw_rows()) == before
    assert store.studies.sites("S1") == []


def test_the_audit_table_is_append_only_in_the_database(store: Store, admin: Actor) -> None:
    store.studies.create("S1", "ast-nahm2023", actor=admin, seed=7)
    statements = ["UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"]
    if store.dialect == "postgresql":
        statements.append("TRUNCATE audit_log")
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(sql))
    with store.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM audit_log")) > 0


def test_changes_need_a_reason(store: Store, admin: Actor) -> None:
    store.accounts.create_user("bob", "hash-1", "coordinator", [], actor=admin)
    with pytest.raises(ValidationError, match="reason"):
        store.accounts.update_user("bob", {"role": "monitor"}, actor=admin, reason=" ")
    assert store.accounts.get_user("bob").role == "coordinator"  # type: ignore[union-attr]
    store.accounts.update_user(
        "bob", {"role": "monitor"}, actor=admin, reason="moved to monitoring"
    )
    rec = [r for r in store.audit.raw_rows() if r.entity == "user" and r.action == "update"]
    assert [(r.field, r.old_value, r.new_value, r.reason) for r in rec] == [
        ("role", "coordinator", "monitor", "moved to monitoring"),
        ("version", 1, 2, "moved to monitoring"),
    ]


def test_password_hashes_never_reach_the_audit_trail(store: Store, admin: Actor) -> None:
    store.accounts.create_user("bob", "secret-hash", "coordinator", None, actor=admin)
    store.accounts.update_user("bob", {"password_hash": "other-hash"}, actor=admin, reason="reset")
    text_of_trail = repr(store.audit.raw_rows())
    assert "secret-hash" not in text_of_trail
    assert "other-hash" not in text_of_trail


def test_writes_outside_the_service_are_refused(store: Store) -> None:
    with store.uow._sessions() as s:
        s.add(SiteRow(study_id=1, code="x", name="X", version=1))
        with pytest.raises(StateError, match="outside an audited"):
            s.flush()


def test_a_stale_version_is_a_conflict(store: Store, admin: Actor) -> None:
    store.studies.create("S1", "ast-nahm2023", actor=admin, seed=7)
    store.studies.add_site("S1", "s01", "Seoul", actor=admin)
    with store.uow.read() as s:
        seen = s.scalars(select(SiteRow)).one()  # a user reads version 1 ...
    with store.uow.write(admin, "rename") as s:  # ... someone else changes it meanwhile ...
        s.scalars(select(SiteRow)).one().name = "Seoul National"
    eve = Actor("eve", "admin")

    def save_stale_edit() -> None:
        with store.uow.write(eve, "rename too") as s:
            stale = s.merge(seen, load=False)  # ... and the first user saves their edit of v1
            stale.name = "Busan"

    with pytest.raises(ConflictError):
        save_stale_edit()
    assert [site.name for site in store.studies.sites("S1")] == ["Seoul National"]
    assert not [r for r in store.audit.raw_rows() if r.username == "eve"]


def test_audit_rows_carry_the_actor(store: Store) -> None:
    eve = Actor("eve", "admin")
    store.studies.create("S2", "abt-pittler2003", actor=eve, seed=3)
    with store.engine.connect() as conn:
        users = set(conn.scalars(select(AuditRow.username)))
    assert users == {"eve"}
