"""Protocol amendments: the versions of a study's protocol after the one frozen into it at
creation (number, effective date, what changed, who approved it, the amended protocol), and the
number of the study's latest version on the study.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("studies") as batch_op:
        batch_op.add_column(
            sa.Column("protocol_version", sa.Integer(), server_default="1", nullable=False)
        )
    op.create_table(
        "protocol_versions",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=False),
        sa.Column("protocol", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_protocol_versions_study_id_studies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_versions")),
        sa.UniqueConstraint("study_id", "number", name="uq_protocol_versions_study_id_number"),
    )
    op.create_index(
        op.f("ix_protocol_versions_study_id"), "protocol_versions", ["study_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("protocol_versions")
    with op.batch_alter_table("studies") as batch_op:
        batch_op.drop_column("protocol_version")
