"""A blinded kit filled from a blood draw (``preparations.blood_draw_id``, optional): a
double-blind whole-blood arm's kit links to the subject's draw, so that the draw-to-injection
limit is checked through the kit and both arms are injected by kit codes (docs/product.md). A
kit has at most one source: an aliquot or a draw.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("preparations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blood_draw_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_preparations_blood_draw_id"), ["blood_draw_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_preparations_blood_draw_id_blood_draws"),
            "blood_draws",
            ["blood_draw_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_preparations_one_source"), "aliquot_id IS NULL OR blood_draw_id IS NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("preparations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_preparations_one_source"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_preparations_blood_draw_id_blood_draws"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_preparations_blood_draw_id"))
        batch_op.drop_column("blood_draw_id")
