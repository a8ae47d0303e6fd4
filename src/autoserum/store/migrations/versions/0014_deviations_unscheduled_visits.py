"""Manual protocol deviations and unscheduled visits. Deviations get the date of the deviation,
major or minor, and the corrective action (the entity registry's deviation fields
``occurred_on``, ``importance``, ``corrective_action``); automatic deviations recorded before
get their importance: an eligibility override is major, every other kind minor. A visit gets
``unscheduled_reason``: set, the visit is not in the protocol's schedule (a flare visit).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occurred_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("importance", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("corrective_action", sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            "ck_deviations_importance", "importance IS NULL OR importance IN ('major', 'minor')"
        )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unscheduled_reason", sa.Text(), nullable=True))
    op.execute(
        "UPDATE deviations SET importance = CASE WHEN kind = 'eligibility_override' "
        "THEN 'major' ELSE 'minor' END"
    )


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_column("unscheduled_reason")
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.drop_constraint("ck_deviations_importance", type_="check")
        batch_op.drop_column("corrective_action")
        batch_op.drop_column("importance")
        batch_op.drop_column("occurred_on")
