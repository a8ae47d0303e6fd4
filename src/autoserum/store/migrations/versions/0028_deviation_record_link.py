"""A deviation's link to the record it is about (``deviations.injection_id``, optional): the
``injection_dose`` deviation an injection's volume off the protocol's dose raises names its
injection, and ``store/_dose.py`` raises and closes them by that link, not by their text.

Existing rows are left unlinked: their content is audited, and a link written here would be a
change the audit trail does not hold (the replay would disagree). An unlinked dose deviation is
matched by its description as before, and linked (an audited update) the next time its
subject's injections are written (``reconcile_dose_deviations``).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("injection_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_deviations_injection_id"), ["injection_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_deviations_injection_id_injections"),
            "injections",
            ["injection_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_deviations_injection_id_injections"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_deviations_injection_id"))
        batch_op.drop_column("injection_id")
