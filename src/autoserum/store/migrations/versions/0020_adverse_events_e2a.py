"""Adverse events to ICH E2A: MedDRA LLT/PT codes, end date, the six seriousness criteria,
relatedness to the injection procedure, expectedness against the protocol's reference safety
information, adverse events of special interest, action taken, the SAE clock (aware at,
reported at) and the narrative (``autoserum.study.entities.ADVERSE_EVENT``).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_CRITERIA = (
    "death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly",
    "important_medical_event",
)  # fmt: skip
_CHECKS = {
    "related_procedure": ("not_related", "unlikely", "possible", "probable", "definite"),
    "action_taken": (
        "dose_not_changed", "dose_reduced", "dose_increased", "drug_interrupted",
        "drug_withdrawn", "not_applicable", "unknown",
    ),
}  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("adverse_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meddra_llt", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("meddra_pt", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("end_date", sa.Date(), nullable=True))
        for name in _CRITERIA:
            batch_op.add_column(sa.Column(f"sae_{name}", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("related_procedure", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("expected", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("aesi", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("action_taken", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("aware_at", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("reported_at", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("narrative", sa.Text(), nullable=True))
        for name, values in _CHECKS.items():
            allowed = ", ".join(f"'{v}'" for v in values)
            batch_op.create_check_constraint(
                op.f(f"ck_adverse_events_{name}"), f"{name} IS NULL OR {name} IN ({allowed})"
            )


def downgrade() -> None:
    with op.batch_alter_table("adverse_events", schema=None) as batch_op:
        for name in _CHECKS:
            batch_op.drop_constraint(op.f(f"ck_adverse_events_{name}"), type_="check")
        for column in (
            "narrative",
            "reported_at",
            "aware_at",
            "action_taken",
            "aesi",
            "expected",
            "related_procedure",
            *(f"sae_{c}" for c in _CRITERIA),
            "end_date",
            "meddra_pt",
            "meddra_llt",
        ):
            batch_op.drop_column(column)
