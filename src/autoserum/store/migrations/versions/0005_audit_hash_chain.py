"""The audit trail becomes a hash chain: ``audit_log.prev_hash``/``row_hash`` and the chain heads
in ``audit_heads``. Existing rows are chained here, oldest first (the append-only triggers are
lifted for the span of this migration only).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autoserum.store._chain import GENESIS, audit_key, head_mac, row_hash

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = {
    "audit_log_no_update": """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    "audit_log_no_delete": """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
}
_FIELDS = (
    "txn",
    "at",
    "username",
    "role",
    "study_id",
    "subject_pk",
    "entity",
    "record_id",
    "action",
    "field",
    "old_value",
    "new_value",
    "reason",
)


def _chain_existing(bind: sa.Connection) -> None:
    log = sa.table("audit_log", sa.column("id"), *(sa.column(k) for k in _FIELDS))
    heads: dict[int, tuple[int, str]] = {}
    updates: list[dict[str, object]] = []
    for row in bind.execute(sa.select(log).order_by(log.c.id)).mappings():
        chain = 0 if row["study_id"] is None else int(row["study_id"])
        length, prev = heads.get(chain, (0, GENESIS))
        new = row_hash(prev, chain, row)
        updates.append({"pk": row["id"], "prev_hash": prev, "row_hash": new})
        heads[chain] = (length + 1, new)
    if updates:
        bind.execute(
            sa.text(
                "UPDATE audit_log SET prev_hash = :prev_hash, row_hash = :row_hash WHERE id = :pk"
            ),
            updates,
        )
    key = audit_key()
    head_table = sa.table(
        "audit_heads",
        sa.column("chain"),
        sa.column("length"),
        sa.column("head_hash"),
        sa.column("mac"),
    )
    rows = [
        {
            "chain": chain,
            "length": length,
            "head_hash": head,
            "mac": None if key is None else head_mac(key, chain, length, head),
        }
        for chain, (length, head) in heads.items()
    ]
    if rows:
        bind.execute(sa.insert(head_table), rows)


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(64), nullable=True))
    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_heads")),
    )
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        _chain_existing(bind)
        op.execute(_SQLITE_TRIGGERS["audit_log_no_update"])
    else:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
        _chain_existing(bind)
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete")


def downgrade() -> None:
    op.drop_table("audit_heads")
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # SQLite rebuilds the table to drop a column: lift the triggers for it
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
    if dialect == "sqlite":
        for statement in _SQLITE_TRIGGERS.values():
            op.execute(statement)
