"""Data review: data queries and their threads, source-data verifications and electronic
signatures (bound to the SHA-256 of the signed content).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _keys(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f(f"fk_{table}_study_id_studies")
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "queries",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.String(length=50), nullable=True),
        sa.Column("finding", sa.String(length=300), nullable=True),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("opened_at", sa.String(length=32), nullable=False),
        sa.Column("closed_at", sa.String(length=32), nullable=True),
        *_keys("queries"),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'closed', 'cancelled')",
            name=op.f("ck_queries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_queries_subject_pk_subjects")
        ),
    )
    op.create_index("ix_queries_study_id_status", "queries", ["study_id", "status"])
    op.create_index("ix_queries_finding", "queries", ["finding"])
    op.create_index(op.f("ix_queries_subject_pk"), "queries", ["subject_pk"])
    op.create_table(
        "query_messages",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("correction", sa.Text(), nullable=True),
        *_keys("query_messages"),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_query_messages_subject_pk_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["query_id"], ["queries.id"], name=op.f("fk_query_messages_query_id_queries")
        ),
    )
    op.create_index(op.f("ix_query_messages_study_id"), "query_messages", ["study_id"])
    op.create_index(op.f("ix_query_messages_query_id"), "query_messages", ["query_id"])
    op.create_table(
        "verifications",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column("verified_by", sa.String(length=100), nullable=False),
        sa.Column("verified_at", sa.String(length=32), nullable=False),
        sa.Column("cleared_at", sa.String(length=32), nullable=True),
        sa.Column("cleared_reason", sa.Text(), nullable=True),
        *_keys("verifications"),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_verifications_subject_pk_subjects")
        ),
    )
    op.create_index(op.f("ix_verifications_study_id"), "verifications", ["study_id"])
    op.create_index("ix_verifications_entity_record_id", "verifications", ["entity", "record_id"])
    op.create_table(
        "signatures",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("meaning", sa.String(length=20), nullable=False),
        sa.Column("signer", sa.String(length=100), nullable=False),
        sa.Column("printed_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("signed_at", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("local_signed_at", sa.String(length=40), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("invalidated_at", sa.String(length=32), nullable=True),
        sa.Column("invalid_reason", sa.Text(), nullable=True),
        *_keys("signatures"),
        sa.CheckConstraint(
            "level IN ('visit', 'casebook', 'study')", name=op.f("ck_signatures_level")
        ),
        sa.CheckConstraint(
            "meaning IN ('authorship', 'review', 'approval')", name=op.f("ck_signatures_meaning")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_signatures_subject_pk_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_signatures_visit_id_visits")
        ),
    )
    op.create_index(op.f("ix_signatures_study_id"), "signatures", ["study_id"])


def downgrade() -> None:
    for table in ("signatures", "verifications", "query_messages", "queries"):
        op.drop_table(table)
