"""Migration 0009 on a 0008 database with audit rows (both engines): the audit trail gets an
index on (study, time), the rows survive, and the day-range filter of the trail reads it."""

from __future__ import annotations

from sqlalchemy import inspect, text

from autoserum.store import AuditFilter, open_store
from autoserum.store._engine import make_engine
from autoserum.store._migrate import upgrade
from tests.store.helpers import ADMIN, double_blind_study, enrolled


def test_0009_indexes_the_audit_trail_by_study_and_time(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert upgrade(engine, "0008")[1] == "0008"
        assert "ix_audit_log_study_at" not in {
            i["name"] for i in inspect(engine).get_indexes("audit_log")
        }
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO audit_log (txn, at, username, role, study_id, entity, "
                     "record_id, action, field, new_value) VALUES ('t', "
                     "'2026-01-01T00:00:00.000000Z', 'ada', 'admin', NULL, 'user', 1, 'insert', "
                     "'username', '\"ada\"')")
            )  # fmt: skip
        assert upgrade(engine)[1] == "0009"
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("audit_log")}
        assert indexes["ix_audit_log_study_at"] == ["study_id", "at"]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1
            if engine.dialect.name == "sqlite":
                plan = conn.execute(
                    text("EXPLAIN QUERY PLAN SELECT id FROM audit_log WHERE study_id = 1 AND "
                         "at >= '2026-05-20' AND at < '2026-05-21' ORDER BY id")
                ).all()  # fmt: skip
                assert "ix_audit_log_study_at" in " ".join(str(r) for r in plan)
        assert upgrade(engine, "0008")[1] == "0009"  # upgrade never goes back
    finally:
        engine.dispose()
    store = open_store(db_url)
    try:
        study = double_blind_study(store)
        enrolled(store, study, "S01")
        day = store.audit.trail(study, actor=ADMIN)[-1].at.date()
        page = store.audit.page(study, actor=ADMIN, where=AuditFilter(since=day, until=day))
        assert page.records
        assert {r.at.date() for r in page.records} == {day}
    finally:
        store.close()
