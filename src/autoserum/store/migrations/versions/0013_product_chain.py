"""The autologous product's chain of identity: blood draws, their processing (parameters and
flagged deviations), aliquots with their label codes and expiry, storage events (freeze, thaw,
move), disposals and blinded kits; an injection's product code, side and links to the draw,
aliquot or kit it used; the ``preparer`` role.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ROLES_BEFORE = ("admin", "investigator", "coordinator", "monitor", "statistician")
ROLES = (*ROLES_BEFORE, "preparer")
SIDES = ("left", "right", "bilateral", "midline")
TABLES = ("storage_events", "disposals", "preparations", "aliquots", "processings", "blood_draws")


def upgrade() -> None:
    op.create_table(
        "blood_draws",
        sa.Column("code", sa.String(length=320), nullable=False),
        sa.Column("drawn_at", sa.String(length=32), nullable=False),
        sa.Column("volume_ml", sa.String(length=64), nullable=False),
        sa.Column("tube", sa.String(length=100), nullable=True),
        sa.Column("drawn_by", sa.String(length=100), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_blood_draws_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_blood_draws_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blood_draws")),
        sa.UniqueConstraint("study_id", "code", name=op.f("uq_blood_draws_study_id_code")),
    )
    with op.batch_alter_table("blood_draws", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blood_draws_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_blood_draws_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "processings",
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("clotting_minutes", sa.String(length=64), nullable=True),
        sa.Column("centrifuge_g", sa.String(length=64), nullable=True),
        sa.Column("centrifuge_minutes", sa.String(length=64), nullable=True),
        sa.Column("centrifuge_temperature", sa.String(length=64), nullable=True),
        sa.Column("purification", sa.String(length=100), nullable=True),
        sa.Column("protein_concentration", sa.String(length=64), nullable=True),
        sa.Column("purity", sa.String(length=64), nullable=True),
        sa.Column("processed_by", sa.String(length=100), nullable=False),
        sa.Column("deviates", sa.Boolean(), nullable=False),
        sa.Column("deviations", sa.Text(), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"], ["blood_draws.id"], name=op.f("fk_processings_draw_id_blood_draws")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_processings_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_processings_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processings")),
    )
    with op.batch_alter_table("processings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_processings_draw_id"), ["draw_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_processings_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_processings_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "aliquots",
        sa.Column("processing_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=320), nullable=False),
        sa.Column("volume_ml", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.Column("prepared_by", sa.String(length=100), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["processing_id"],
            ["processings.id"],
            name=op.f("fk_aliquots_processing_id_processings"),
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_aliquots_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_aliquots_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aliquots")),
        sa.UniqueConstraint("study_id", "code", name=op.f("uq_aliquots_study_id_code")),
    )
    with op.batch_alter_table("aliquots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_aliquots_processing_id"), ["processing_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_aliquots_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_aliquots_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "disposals",
        sa.Column("aliquot_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("disposed_by", sa.String(length=100), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["aliquot_id"], ["aliquots.id"], name=op.f("fk_disposals_aliquot_id_aliquots")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_disposals_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_disposals_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposals")),
    )
    with op.batch_alter_table("disposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disposals_aliquot_id"), ["aliquot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disposals_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disposals_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "preparations",
        sa.Column("aliquot_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=320), nullable=False),
        sa.Column("product", sa.String(length=30), nullable=False),
        sa.Column("volume_ml", sa.String(length=64), nullable=False),
        sa.Column("prepared_at", sa.String(length=32), nullable=False),
        sa.Column("prepared_by", sa.String(length=100), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "product IN ('whole_blood', 'serum', 'igg', 'saline', 'none')",
            name=op.f("ck_preparations_product"),
        ),
        sa.ForeignKeyConstraint(
            ["aliquot_id"], ["aliquots.id"], name=op.f("fk_preparations_aliquot_id_aliquots")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_preparations_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_preparations_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preparations")),
        sa.UniqueConstraint("study_id", "code", name=op.f("uq_preparations_study_id_code")),
    )
    with op.batch_alter_table("preparations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_preparations_aliquot_id"), ["aliquot_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_preparations_study_id"), ["study_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_preparations_subject_pk"), ["subject_pk"], unique=False
        )

    op.create_table(
        "storage_events",
        sa.Column("aliquot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("temperature", sa.String(length=64), nullable=True),
        sa.Column("location", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('stored', 'frozen', 'thawed', 'moved')", name=op.f("ck_storage_events_kind")
        ),
        sa.ForeignKeyConstraint(
            ["aliquot_id"], ["aliquots.id"], name=op.f("fk_storage_events_aliquot_id_aliquots")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_storage_events_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_storage_events_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_events")),
    )
    with op.batch_alter_table("storage_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_storage_events_aliquot_id"), ["aliquot_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_storage_events_study_id"), ["study_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_storage_events_subject_pk"), ["subject_pk"], unique=False
        )

    with op.batch_alter_table("injections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draw_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("aliquot_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("preparation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("product_code", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("side", sa.String(length=10), nullable=True))
        batch_op.create_index(batch_op.f("ix_injections_aliquot_id"), ["aliquot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_injections_draw_id"), ["draw_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_injections_preparation_id"), ["preparation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_injections_aliquot_id_aliquots"), "aliquots", ["aliquot_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_injections_preparation_id_preparations"),
            "preparations",
            ["preparation_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_injections_draw_id_blood_draws"), "blood_draws", ["draw_id"], ["id"]
        )

    with op.batch_alter_table("injections", schema=None) as batch_op:
        batch_op.create_check_constraint("side", "side IS NULL OR " + _in("side", SIDES))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("role", type_="check")
        batch_op.create_check_constraint("role", _in("role", ROLES))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("role", type_="check")
        batch_op.create_check_constraint("role", _in("role", ROLES_BEFORE))
    with op.batch_alter_table("injections", schema=None) as batch_op:
        batch_op.drop_constraint("side", type_="check")
        for fk in ("aliquot_id_aliquots", "preparation_id_preparations", "draw_id_blood_draws"):
            batch_op.drop_constraint(batch_op.f(f"fk_injections_{fk}"), type_="foreignkey")
        for column in ("aliquot_id", "draw_id", "preparation_id"):
            batch_op.drop_index(batch_op.f(f"ix_injections_{column}"))
        for column in ("draw_id", "aliquot_id", "preparation_id", "product_code", "side"):
            batch_op.drop_column(column)
    for table in TABLES:
        op.drop_table(table)
