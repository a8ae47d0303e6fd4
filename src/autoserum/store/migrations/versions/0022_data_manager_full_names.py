"""The ``data_manager`` role (queries, checks, SDV progress, exports; blinded; no clinical
data): the ``users.role`` CHECK lists it; ``users.full_name``, the printed name shown with a
user's electronic signatures (21 CFR 11.50).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ROLES_BEFORE = ("admin", "investigator", "coordinator", "monitor", "statistician", "preparer")
ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "statistician",
         "preparer")  # fmt: skip


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("role", type_="check")
        batch_op.create_check_constraint("role", _in("role", ROLES))
        batch_op.add_column(sa.Column("full_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("full_name")
        batch_op.drop_constraint("role", type_="check")
        batch_op.create_check_constraint("role", _in("role", ROLES_BEFORE))
