"""Vital signs per visit: systolic and diastolic blood pressure, pulse, temperature, weight and
height, one record per visit (``autoserum.study.entities.VITAL_SIGN``; the plausibility limits
are checked by the registry's converters, ``autoserum.study.vitals``).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vital_signs",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("systolic_bp", sa.Integer(), nullable=True),
        sa.Column("diastolic_bp", sa.Integer(), nullable=True),
        sa.Column("pulse", sa.Integer(), nullable=True),
        sa.Column("temperature", sa.String(length=64), nullable=True),
        sa.Column("weight", sa.String(length=64), nullable=True),
        sa.Column("height", sa.String(length=64), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_vital_signs_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_vital_signs_subject_pk_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_vital_signs_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vital_signs")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_vital_signs_visit_id")),
    )
    with op.batch_alter_table("vital_signs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vital_signs_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vital_signs_subject_pk"), ["subject_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vital_signs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vital_signs_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_vital_signs_study_id"))
    op.drop_table("vital_signs")
