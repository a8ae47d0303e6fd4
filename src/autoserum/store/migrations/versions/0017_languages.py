"""Languages: the language of a user's pages and of a subject's own (patient) pages, one of
``autoserum.i18n.LANGUAGES`` or NULL (the browser's, the study's).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_LANGUAGES = "language IS NULL OR language IN ('en', 'ko', 'zh-Hans')"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
        batch_op.create_check_constraint("language", _LANGUAGES)
    with op.batch_alter_table("subjects") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
        batch_op.create_check_constraint("language", _LANGUAGES)


def downgrade() -> None:
    with op.batch_alter_table("subjects") as batch_op:
        batch_op.drop_constraint("language", type_="check")
        batch_op.drop_column("language")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("language", type_="check")
        batch_op.drop_column("language")
