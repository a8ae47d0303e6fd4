"""The lesion-photos migration on both engines: the photos and photo_ratings tables with their
CHECK and unique constraints, the ``central_rater`` role, and its downgrade."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from autoserum.store._engine import make_engine
from autoserum.store._migrate import migrate
from tests.store.migrations import NOW, STUDY_AND_SITE, downgrade, revisions, upgrade_over

REVISION, BEFORE = revisions("lesion_photos")
SEED = [
    *STUDY_AND_SITE,
    "INSERT INTO subjects (id, study_id, site_id, subject_id, status, version)"
    " VALUES (1, 1, 1, 'A-001', 'screened', 1)",
    "INSERT INTO visits (id, study_id, subject_pk, visit_code, version)"
    " VALUES (1, 1, 1, 'baseline', 1)",
]
PHOTO = (
    "INSERT INTO photos (study_id, subject_pk, visit_id, code, region, media_type, source_type,"
    " sha256, size_bytes, width, height, uploaded_at, uploaded_by, version) VALUES (1, 1, 1,"
    " :code, :region, 'image/jpeg', 'image/heic', :sha, 10, 2, 2, '" + NOW + "', 'cora', 1)"
)
RATING = (
    "INSERT INTO photo_ratings (study_id, subject_pk, photo_id, rater, rated_at, erythema,"
    " induration, excoriation, lichenification, area, region_score, viga_grade, version)"
    " VALUES (1, 1, 1, 'rhea', '" + NOW + "', '1', '1', '1', '1', 2, '0.8', 2, 1)"
)

USER = (
    "INSERT INTO users (username, password_hash, role, active, unblinded, failed_logins,"
    " created_at, version) VALUES ('rhea', 'x', 'central_rater', true, false, 0, '" + NOW + "', 1)"
)


def test_photos_migration_creates_the_tables_and_the_role(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_over(engine, SEED, before=BEFORE, revision=REVISION)
        with engine.begin() as conn:
            conn.execute(text(PHOTO), {"code": "PH-1", "region": "trunk", "sha": "a" * 64})
            conn.execute(text(RATING))
            conn.execute(text(USER))
        refused = [
            (PHOTO, {"code": "PH-2", "region": "face", "sha": "b" * 64}),  # CHECK region
            (PHOTO, {"code": "PH-1", "region": "trunk", "sha": "c" * 64}),  # unique code
            (RATING, {}),  # one rating per rater and photograph
        ]
        for sql, params in refused:
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(sql), params)
        names = {u["name"] for u in inspect(engine).get_unique_constraints("photo_ratings")}
        assert "uq_photo_ratings_photo_id_rater" in names
    finally:
        engine.dispose()


def test_photos_migration_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert migrate(engine, REVISION) == REVISION
        downgrade(engine, BEFORE)
        tables = set(inspect(engine).get_table_names())
        assert not {"photos", "photo_ratings"} & tables
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(USER))
    finally:
        engine.dispose()
