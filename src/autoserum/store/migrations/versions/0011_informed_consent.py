"""Informed consent: the study's consent documents (version, language, effective date, SHA-256
of the file) and each subject's consents (document signed, when, by whom obtained, witness or
legally authorised representative, optional components, withdrawal).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_documents",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("document_version", sa.String(length=50), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_consent_documents_study_id_studies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_documents")),
        sa.UniqueConstraint(
            "study_id",
            "document_version",
            "language",
            name="uq_consent_documents_study_id_document_version_language",
        ),
    )
    op.create_index(
        op.f("ix_consent_documents_study_id"), "consent_documents", ["study_id"], unique=False
    )
    op.create_table(
        "consents",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("consented_at", sa.String(length=32), nullable=False),
        sa.Column("obtained_by", sa.String(length=200), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=True),
        sa.Column("representative", sa.String(length=200), nullable=True),
        sa.Column("components", sa.Text(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["consent_documents.id"],
            name=op.f("fk_consents_document_id_consent_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_consents_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_consents_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(op.f("ix_consents_document_id"), "consents", ["document_id"], unique=False)
    op.create_index(op.f("ix_consents_study_id"), "consents", ["study_id"], unique=False)
    op.create_index(op.f("ix_consents_subject_pk"), "consents", ["subject_pk"], unique=False)


def downgrade() -> None:
    op.drop_table("consents")
    op.drop_table("consent_documents")
