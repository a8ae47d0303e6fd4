"""Text limits of the entity registry, and unique-constraint names that cannot collide.

- Terms and names hold up to 500 characters (``study.rules.TERM_MAX``): ``adverse_events.term``,
  ``con_meds.name`` and ``con_meds.indication`` widen from ``VARCHAR(200)`` to ``VARCHAR(500)``.
- The naming convention of unique constraints names every column
  (``uq_<table>_<col1>_<col2>``; it named the first column only, so two constraints starting with
  the same column collided). The six multi-column unique constraints named under the old
  convention are renamed: ``uq_sites_study_id`` → ``uq_sites_study_id_code``,
  ``uq_subjects_study_id`` → ``uq_subjects_study_id_subject_id``,
  ``uq_allocation_lists_study_id`` → ``uq_allocation_lists_study_id_stratum``,
  ``uq_allocations_list_id`` → ``uq_allocations_list_id_sequence``,
  ``uq_assessments_visit_id`` → ``uq_assessments_visit_id_instrument``,
  ``uq_labs_visit_id`` → ``uq_labs_visit_id_analyte``. PostgreSQL renames in place
  (``ALTER TABLE … RENAME CONSTRAINT``, which renames the index too); SQLite rebuilds the table
  (batch mode).

The downgrade restores the old names and narrows the columns back to 200 characters; on
PostgreSQL it fails (and changes nothing) while a longer term or name is stored.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: table -> (columns, old name); the new name is uq_<table>_<columns joined by _>.
RENAMED: dict[str, tuple[tuple[str, ...], str]] = {
    "sites": (("study_id", "code"), "uq_sites_study_id"),
    "subjects": (("study_id", "subject_id"), "uq_subjects_study_id"),
    "allocation_lists": (("study_id", "stratum"), "uq_allocation_lists_study_id"),
    "allocations": (("list_id", "sequence"), "uq_allocations_list_id"),
    "assessments": (("visit_id", "instrument"), "uq_assessments_visit_id"),
    "labs": (("visit_id", "analyte"), "uq_labs_visit_id"),
}

#: table -> columns widened from VARCHAR(200) to VARCHAR(500).
WIDENED: dict[str, tuple[str, ...]] = {
    "adverse_events": ("term",),
    "con_meds": ("name", "indication"),
}
NOT_NULL = {("adverse_events", "term"), ("con_meds", "name")}


def _new_name(table: str) -> str:
    columns, _ = RENAMED[table]
    return f"uq_{table}_{'_'.join(columns)}"


def _rename(old_to_new: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, (columns, old) in RENAMED.items():
        new = _new_name(table)
        source, target = (old, new) if old_to_new else (new, old)
        if sqlite:
            with op.batch_alter_table(table, schema=None, recreate="always") as batch_op:
                batch_op.drop_constraint(source, type_="unique")
                batch_op.create_unique_constraint(target, list(columns))
        else:
            op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {source} TO {target}")


def _width(length: int, previous: int) -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=previous),
                    type_=sa.String(length=length),
                    existing_nullable=(table, column) not in NOT_NULL,
                )


def upgrade() -> None:
    _width(500, 200)
    _rename(old_to_new=True)


def downgrade() -> None:
    _rename(old_to_new=False)
    _width(200, 500)
