"""Initial schema: studies, sites, users, tokens, sessions, allocation lists, subjects,
visits, assessments, labs, injections, adverse events, con-meds, deviations, unblindings and the
append-only audit log (triggers refuse UPDATE, DELETE and TRUNCATE on both engines).

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("txn", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("subject_pk", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_entity_record", ["entity", "record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_subject_pk"), ["subject_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_txn"), ["txn"], unique=False)

    op.create_table(
        "studies",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("protocol_code", sa.String(length=100), nullable=False),
        sa.Column("protocol", sa.Text(), nullable=False),
        sa.Column("open_label", sa.Boolean(), nullable=False),
        sa.Column("has_run_in", sa.Boolean(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("allocation_n", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studies")),
        sa.UniqueConstraint("name", name=op.f("uq_studies_name")),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("sites", sa.Text(), nullable=True),
        sa.Column("unblinded", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.String(length=32), nullable=True),
        sa.Column("last_login_at", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "allocation_lists",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("stratum", sa.String(length=200), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("arms", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_allocation_lists_study_id_studies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_lists")),
        sa.UniqueConstraint("study_id", "stratum", name=op.f("uq_allocation_lists_study_id")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=True),
        sa.Column("revoked_at", sa.String(length=32), nullable=True),
        sa.Column("last_used_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_sessions_session_hash")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sites",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_sites_study_id_studies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("study_id", "code", name=op.f("uq_sites_study_id")),
    )
    op.create_table(
        "subjects",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("facts", sa.Text(), nullable=True),
        sa.Column("arm", sa.String(length=50), nullable=True),
        sa.Column("allocation_id", sa.Integer(), nullable=True),
        sa.Column("day0", sa.Date(), nullable=True),
        sa.Column("age", sa.String(length=64), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("per_protocol", sa.Boolean(), nullable=True),
        sa.Column("treated", sa.Boolean(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_subjects_site_id_sites")),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_subjects_study_id_studies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
        sa.UniqueConstraint("study_id", "subject_id", name=op.f("uq_subjects_study_id")),
    )
    op.create_table(
        "adverse_events",
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("onset_week", sa.String(length=64), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("related", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_adverse_events_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_adverse_events_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_events")),
    )
    with op.batch_alter_table("adverse_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adverse_events_study_id"), ["study_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_adverse_events_subject_pk"), ["subject_pk"], unique=False
        )

    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("block_size", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=50), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["allocation_lists.id"],
            name=op.f("fk_allocations_list_id_allocation_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_allocations_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
        sa.UniqueConstraint("list_id", "sequence", name=op.f("uq_allocations_list_id")),
        sa.UniqueConstraint("subject_pk", name=op.f("uq_allocations_subject_pk")),
    )
    op.create_table(
        "con_meds",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("dose", sa.String(length=100), nullable=True),
        sa.Column("route", sa.String(length=50), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("indication", sa.String(length=200), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_con_meds_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_con_meds_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_con_meds")),
    )
    with op.batch_alter_table("con_meds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_con_meds_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_con_meds_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "unblindings",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_unblindings_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_unblindings_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unblindings")),
    )
    with op.batch_alter_table("unblindings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unblindings_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unblindings_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "visits",
        sa.Column("visit_code", sa.String(length=50), nullable=True),
        sa.Column("week", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("visit_date", sa.Date(), nullable=True),
        sa.Column("earliest", sa.Date(), nullable=True),
        sa.Column("latest", sa.Date(), nullable=True),
        sa.Column("deviation_days", sa.Integer(), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_visits_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_visits_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "assessments",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=30), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("total", sa.String(length=64), nullable=True),
        sa.Column("band", sa.String(length=50), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_assessments_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_assessments_subject_pk_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_assessments_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("visit_id", "instrument", name=op.f("uq_assessments_visit_id")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessments_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "deviations",
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_deviations_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_deviations_subject_pk_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_deviations_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviations")),
    )
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deviations_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deviations_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "injections",
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("product", sa.String(length=30), nullable=False),
        sa.Column("volume_ml", sa.String(length=64), nullable=True),
        sa.Column("site", sa.String(length=100), nullable=True),
        sa.Column("lot", sa.String(length=100), nullable=True),
        sa.Column("given_by", sa.String(length=100), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_injections_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_injections_subject_pk_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_injections_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_injections")),
    )
    with op.batch_alter_table("injections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_injections_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_injections_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "labs",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("analyte", sa.String(length=30), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("ref_low", sa.String(length=64), nullable=True),
        sa.Column("ref_high", sa.String(length=64), nullable=True),
        sa.Column("flag", sa.String(length=10), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_labs_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_labs_subject_pk_subjects")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_labs_visit_id_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labs")),
        sa.UniqueConstraint("visit_id", "analyte", name=op.f("uq_labs_visit_id")),
    )
    with op.batch_alter_table("labs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_labs_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_labs_subject_pk"), ["subject_pk"], unique=False)

    _append_only_audit()


_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]
_PG_TRIGGERS = [
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
]


def _append_only_audit() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table("labs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_labs_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_labs_study_id"))

    op.drop_table("labs")
    with op.batch_alter_table("injections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_injections_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_injections_study_id"))

    op.drop_table("injections")
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deviations_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_deviations_study_id"))

    op.drop_table("deviations")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_assessments_study_id"))

    op.drop_table("assessments")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_visits_study_id"))

    op.drop_table("visits")
    with op.batch_alter_table("unblindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unblindings_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_unblindings_study_id"))

    op.drop_table("unblindings")
    with op.batch_alter_table("con_meds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_con_meds_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_con_meds_study_id"))

    op.drop_table("con_meds")
    op.drop_table("allocations")
    with op.batch_alter_table("adverse_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_events_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_adverse_events_study_id"))

    op.drop_table("adverse_events")
    op.drop_table("subjects")
    op.drop_table("sites")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("allocation_lists")
    op.drop_table("users")
    op.drop_table("studies")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_txn"))
        batch_op.drop_index(batch_op.f("ix_audit_log_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_audit_log_study_id"))
        batch_op.drop_index("ix_audit_log_entity_record")

    op.drop_table("audit_log")
