"""The security-event stream: ``security_events`` (logins, failed logins, lockouts, API tokens,
password changes, exports, unblinding views), append-only like ``audit_log`` (triggers refuse
UPDATE, DELETE and TRUNCATE) and hash-chained in ``audit_heads`` as chain -1.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER security_events_no_update BEFORE UPDATE ON security_events
    BEGIN SELECT RAISE(ABORT, 'security_events is append-only'); END""",
    """CREATE TRIGGER security_events_no_delete BEFORE DELETE ON security_events
    BEGIN SELECT RAISE(ABORT, 'security_events is append-only'); END""",
]
_PG_TRIGGERS = [
    """CREATE FUNCTION security_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'security_events is append-only'; END $$""",
    """CREATE TRIGGER security_events_no_update_delete BEFORE UPDATE OR DELETE
    ON security_events FOR EACH ROW EXECUTE FUNCTION security_events_append_only()""",
    """CREATE TRIGGER security_events_no_truncate BEFORE TRUNCATE ON security_events
    FOR EACH STATEMENT EXECUTE FUNCTION security_events_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "security_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_security_events"),
    )
    op.create_index("ix_security_events_at", "security_events", ["at"])
    op.create_index("ix_security_events_username", "security_events", ["username"])
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS security_events_no_truncate ON security_events")
        op.execute("DROP TRIGGER IF EXISTS security_events_no_update_delete ON security_events")
        op.execute("DROP FUNCTION IF EXISTS security_events_append_only()")
    op.drop_index("ix_security_events_username", table_name="security_events")
    op.drop_index("ix_security_events_at", table_name="security_events")
    op.drop_table("security_events")
    op.execute("DELETE FROM audit_heads WHERE chain = -1")
