"""The time an injection was given (``injections.given_at``, optional): the product's chain of
identity is judged at it (expiry, freeze-thaw count, draw-to-injection time), so that a
back-dated injection is checked as it was when given (docs/product.md).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("injections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("given_at", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("injections", schema=None) as batch_op:
        batch_op.drop_column("given_at")
