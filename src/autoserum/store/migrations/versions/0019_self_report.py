"""Self-report by the patient: personal links (token hashes only) and the entries the patient
makes through them (daily diaries, weekly and visit questionnaires).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _keys(table: str) -> list[Any]:
    return [
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f(f"fk_{table}_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f(f"fk_{table}_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "patient_links",
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("issued_at", sa.String(length=32), nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("revoked_at", sa.String(length=32), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        *_keys("patient_links"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_patient_links_token_hash")),
    )
    with op.batch_alter_table("patient_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_links_study_id"), ["study_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_patient_links_subject_pk"), ["subject_pk"], unique=False
        )
    op.create_table(
        "pro_entries",
        sa.Column("instrument", sa.String(length=30), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("slot", sa.Date(), nullable=False),
        sa.Column("visit_code", sa.String(length=50), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("total", sa.String(length=64), nullable=True),
        sa.Column("band", sa.String(length=50), nullable=True),
        sa.Column("submitted_at", sa.String(length=32), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        *_keys("pro_entries"),
        sa.ForeignKeyConstraint(
            ["link_id"], ["patient_links.id"], name=op.f("fk_pro_entries_link_id_patient_links")
        ),
        sa.CheckConstraint(
            "frequency IN ('daily', 'weekly', 'visit')", name=op.f("ck_pro_entries_frequency")
        ),
        sa.UniqueConstraint(
            "subject_pk",
            "instrument",
            "slot",
            name=op.f("uq_pro_entries_subject_pk_instrument_slot"),
        ),
        sa.UniqueConstraint(
            "subject_pk", "submission_id", name=op.f("uq_pro_entries_subject_pk_submission_id")
        ),
    )
    with op.batch_alter_table("pro_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pro_entries_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pro_entries_subject_pk"), ["subject_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_pro_entries_link_id"), ["link_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pro_entries")
    op.drop_table("patient_links")
