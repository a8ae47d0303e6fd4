"""Lesion photographs (metadata and content hash; the bytes live in the file store) and their
blinded central ratings (one per rater and photograph); the ``central_rater`` role.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ROLES_BEFORE = (
    "admin", "investigator", "coordinator", "monitor", "data_manager", "statistician", "preparer",
)  # fmt: skip
ROLES = (*ROLES_BEFORE, "central_rater")
REGIONS = ("head_neck", "upper_limbs", "trunk", "lower_limbs")
MEDIA = ("image/jpeg", "image/png")
SOURCES = (*MEDIA, "image/heic")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _keys(table: str) -> list[Any]:
    return [
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], name=f"fk_{table}_study_id_studies"),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=f"fk_{table}_subject_pk_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=20), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.String(length=32), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        *_keys("photos"),
        sa.CheckConstraint(_in("media_type", MEDIA), name="ck_photos_media_type"),
        sa.CheckConstraint(_in("region", REGIONS), name="ck_photos_region"),
        sa.CheckConstraint(_in("source_type", SOURCES), name="ck_photos_source_type"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name="fk_photos_visit_id_visits"),
        sa.UniqueConstraint("study_id", "code", name="uq_photos_study_id_code"),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        for column in ("study_id", "subject_pk", "visit_id"):
            batch_op.create_index(f"ix_photos_{column}", [column], unique=False)

    op.create_table(
        "photo_ratings",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("rater", sa.String(length=100), nullable=False),
        sa.Column("rated_at", sa.String(length=32), nullable=False),
        sa.Column("erythema", sa.String(length=64), nullable=False),
        sa.Column("induration", sa.String(length=64), nullable=False),
        sa.Column("excoriation", sa.String(length=64), nullable=False),
        sa.Column("lichenification", sa.String(length=64), nullable=False),
        sa.Column("area", sa.Integer(), nullable=False),
        sa.Column("region_score", sa.String(length=64), nullable=False),
        sa.Column("viga_grade", sa.Integer(), nullable=False),
        *_keys("photo_ratings"),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name="fk_photo_ratings_photo_id_photos"
        ),
        sa.UniqueConstraint("photo_id", "rater", name="uq_photo_ratings_photo_id_rater"),
    )
    with op.batch_alter_table("photo_ratings", schema=None) as batch_op:
        for column in ("photo_id", "study_id", "subject_pk"):
            batch_op.create_index(f"ix_photo_ratings_{column}", [column], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("role", type_="check")
        batch_op.create_check_constraint("role", _in("role", ROLES))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("role", type_="check")
        batch_op.create_check_constraint("role", _in("role", ROLES_BEFORE))
    op.drop_table("photo_ratings")
    op.drop_table("photos")
