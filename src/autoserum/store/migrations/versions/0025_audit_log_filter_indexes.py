"""Indexes on the audit trail's author and record type within a study, for the author and
record-type filters of the audit pages and API (``username``, ``entity``): each index holds a
study's rows of one author (one record type) in id order, so a page after a cursor is a range
read. Without them a rare author or record type late in a long trail was found by walking every
row of the study from the cursor on (2.6 s for one author and 3.2 s for the sites at 802,500
audit rows of a 1,000,000-row import, on the 2-core machine).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_study_username", "audit_log", ["study_id", "username"])
    op.create_index("ix_audit_log_study_entity", "audit_log", ["study_id", "entity"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_study_entity", table_name="audit_log")
    op.drop_index("ix_audit_log_study_username", table_name="audit_log")
