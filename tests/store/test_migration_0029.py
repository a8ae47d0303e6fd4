"""The kit-disposal migration (0029) on both engines: a disposal names exactly one of an
aliquot, a kit or a blood draw (``disposals.aliquot_id`` now optional, ``preparation_id`` and
``blood_draw_id`` added, a CHECK), an existing aliquot disposal kept, and its downgrade (which
deletes the disposals that name no aliquot)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from autoserum.store._engine import make_engine
from autoserum.store._migrate import migrate
from tests.store.migrations import NOW, STUDY_AND_SITE, downgrade, revisions, upgrade_over

REVISION, BEFORE = revisions("kit_disposal")
SEED = [
    *STUDY_AND_SITE,
    "INSERT INTO subjects (id, study_id, site_id, subject_id, status, version)"
    " VALUES (1, 1, 1, 'A-001', 'treatment', 1)",
    "INSERT INTO blood_draws (id, study_id, subject_pk, code, drawn_at, volume_ml, drawn_by,"
    f" version) VALUES (1, 1, 1, 'BD', '{NOW}', '10', 'prep', 1)",
    "INSERT INTO processings (id, study_id, subject_pk, draw_id, started_at, processed_by,"
    f" deviates, version) VALUES (1, 1, 1, 1, '{NOW}', 'prep', false, 1)",
    "INSERT INTO aliquots (id, study_id, subject_pk, processing_id, code, volume_ml, expires_at,"
    f" prepared_by, version) VALUES (1, 1, 1, 1, 'AL', '1', '{NOW}', 'prep', 1)",
    "INSERT INTO preparations (id, study_id, subject_pk, code, product, volume_ml, prepared_at,"
    f" prepared_by, version) VALUES (1, 1, 1, 'KIT', 'saline', '1', '{NOW}', 'prep', 1)",
    "INSERT INTO disposals (study_id, subject_pk, aliquot_id, at, reason, disposed_by, version)"
    f" VALUES (1, 1, 1, '{NOW}', 'leak', 'prep', 1)",
]
DISPOSAL = (
    "INSERT INTO disposals (study_id, subject_pk, aliquot_id, preparation_id, blood_draw_id, at,"
    f" reason, disposed_by, version) VALUES (1, 1, :a, :k, :d, '{NOW}', 'x', 'prep', 1)"
)


def test_kit_disposal_migration_adds_the_links_with_one_of_them_set(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_over(engine, SEED, before=BEFORE, revision=REVISION)
        with engine.begin() as conn:
            conn.execute(text(DISPOSAL), {"a": None, "k": 1, "d": None})  # a (saline) kit
            conn.execute(text(DISPOSAL), {"a": None, "k": None, "d": 1})  # a blood draw
            kept = conn.execute(
                text("SELECT aliquot_id, preparation_id, blood_draw_id, reason FROM disposals"
                     " ORDER BY id")
            ).all()  # fmt: skip
        assert [tuple(r) for r in kept] == [(1, None, None, "leak"), (None, 1, None, "x"),
                                            (None, None, 1, "x")]  # fmt: skip
        for links in ({"a": None, "k": None, "d": None}, {"a": 1, "k": 1, "d": None},
                      {"a": None, "k": 1, "d": 1}, {"a": 1, "k": 1, "d": 1}):  # fmt: skip
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(DISPOSAL), links)  # CHECK: exactly one of the three
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(DISPOSAL), {"a": None, "k": 99, "d": None})  # no such kit
        columns = {c["name"]: c["nullable"] for c in inspect(engine).get_columns("disposals")}
        assert (columns["aliquot_id"], columns["preparation_id"], columns["blood_draw_id"]) == (
            True, True, True,
        )  # fmt: skip
    finally:
        engine.dispose()


def test_kit_disposal_migration_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_over(engine, SEED, before=BEFORE, revision=REVISION)
        with engine.begin() as conn:
            conn.execute(text(DISPOSAL), {"a": None, "k": 1, "d": None})
        downgrade(engine, BEFORE)
        columns = {c["name"]: c["nullable"] for c in inspect(engine).get_columns("disposals")}
        assert "preparation_id" not in columns
        assert "blood_draw_id" not in columns
        assert columns["aliquot_id"] is False
        with engine.begin() as conn:
            kept = conn.execute(text("SELECT aliquot_id, reason FROM disposals")).all()
        assert [tuple(r) for r in kept] == [(1, "leak")]  # the kit's disposal deleted
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text("INSERT INTO disposals (study_id, subject_pk, aliquot_id, at, reason,"
                     f" disposed_by, version) VALUES (1, 1, NULL, '{NOW}', 'x', 'prep', 1)")
            )  # fmt: skip
        assert migrate(engine, REVISION) == REVISION  # and up again
    finally:
        engine.dispose()
