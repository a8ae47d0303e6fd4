"""The disposal of a blinded kit or of a blood draw (``disposals.preparation_id`` and
``disposals.blood_draw_id``, optional; ``disposals.aliquot_id`` optional now): a disposal names
exactly one of an aliquot, a kit or a draw, so that a kit of any arm (a saline one included)
can be disposed of and is refused at injection alike (docs/product.md).

Existing rows are aliquots' disposals and stay so (they satisfy the new CHECK).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

ONE_OF = (
    "(aliquot_id IS NOT NULL AND preparation_id IS NULL AND blood_draw_id IS NULL)"
    " OR (aliquot_id IS NULL AND preparation_id IS NOT NULL AND blood_draw_id IS NULL)"
    " OR (aliquot_id IS NULL AND preparation_id IS NULL AND blood_draw_id IS NOT NULL)"
)
"""Exactly one of the three links is set (as ``models.DisposalRow`` declares it)."""


def upgrade() -> None:
    with op.batch_alter_table("disposals", schema=None) as batch_op:
        batch_op.alter_column("aliquot_id", existing_type=sa.Integer(), nullable=True)
        for column, table in (("preparation_id", "preparations"), ("blood_draw_id", "blood_draws")):
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_disposals_{column}"), [column], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_disposals_{column}_{table}"), table, [column], ["id"]
            )
        batch_op.create_check_constraint(batch_op.f("ck_disposals_one_of"), ONE_OF)


def downgrade() -> None:
    """Back to aliquots' disposals only: a kit's or a draw's disposal has no place there, so
    it is deleted (a downgrade loses them; the audit trail keeps their rows)."""
    op.execute("DELETE FROM disposals WHERE aliquot_id IS NULL")
    with op.batch_alter_table("disposals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_disposals_one_of"), type_="check")
        for column, table in (("blood_draw_id", "blood_draws"), ("preparation_id", "preparations")):
            batch_op.drop_constraint(
                batch_op.f(f"fk_disposals_{column}_{table}"), type_="foreignkey"
            )
            batch_op.drop_index(batch_op.f(f"ix_disposals_{column}"))
            batch_op.drop_column(column)
        batch_op.alter_column("aliquot_id", existing_type=sa.Integer(), nullable=False)
