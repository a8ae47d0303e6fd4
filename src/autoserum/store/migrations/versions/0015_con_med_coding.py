"""Concomitant medication as analysable data: the ATC code, drug class, topical steroid potency
(European I-IV, US I-VII), weekly amount and its unit (g or ftu), body area, start and end in
study weeks, and the rescue flag (``autoserum.study.entities.CON_MED``).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_CHECKS = {
    "drug_class": (
        "tcs", "tci", "antihistamine", "systemic_corticosteroid", "systemic_immunosuppressant",
        "biologic", "jak_inhibitor", "emollient", "antimicrobial", "phototherapy", "other",
    ),
    "potency_eu": ("I", "II", "III", "IV"),
    "potency_us": ("I", "II", "III", "IV", "V", "VI", "VII"),
    "amount_unit": ("g", "ftu"),
}  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("con_meds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("atc_code", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("drug_class", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("potency_eu", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("potency_us", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("amount", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("amount_unit", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("body_area", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("start_week", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("end_week", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rescue", sa.Boolean(), nullable=True))
        for name, values in _CHECKS.items():
            allowed = ", ".join(f"'{v}'" for v in values)
            batch_op.create_check_constraint(
                op.f(f"ck_con_meds_{name}"), f"{name} IS NULL OR {name} IN ({allowed})"
            )
    op.execute(sa.text("UPDATE con_meds SET rescue = false WHERE rescue IS NULL"))


def downgrade() -> None:
    with op.batch_alter_table("con_meds", schema=None) as batch_op:
        for name in _CHECKS:
            batch_op.drop_constraint(op.f(f"ck_con_meds_{name}"), type_="check")
        for column in (
            "rescue",
            "end_week",
            "start_week",
            "body_area",
            "amount_unit",
            "amount",
            "potency_us",
            "potency_eu",
            "drug_class",
            "atc_code",
        ):
            batch_op.drop_column(column)
