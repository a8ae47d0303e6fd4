"""Site membership as data, and constraints that keep recorded data right.

- ``user_sites`` (user × site, keyed to ``sites.id``: a membership is always a site of one
  study) replaces the JSON list ``users.sites``; ``users.all_sites`` marks users of every site
  (today's ``NULL``). Each code of a JSON list becomes a membership of every site with that
  code, which is the reach the list had (a bare code matched that code in every study); an
  administrator narrows it with ``user`` commands afterwards.
- ``UNIQUE(subject_pk, visit_code)`` on visits; ``UNIQUE(allocation_id)`` on subjects (one
  allocation entry links to one subject, and back).
- CHECK constraints on the fixed vocabularies (role, subject status and sex, adverse-event
  severity, relatedness and outcome, injected product, lab flag, audit action); their values are
  written out here as they stand at this revision.
- Indexes on the foreign keys no other index covers (subjects.site_id, injections.visit_id,
  deviations.visit_id, user_sites.site_id).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ROLES = ("admin", "investigator", "coordinator", "monitor", "statistician")
STATUSES = (
    "screened", "screen_failed", "enrolled", "run_in", "treatment", "follow_up", "completed",
    "withdrawn",
)  # fmt: skip
CHECKS: dict[str, dict[str, str]] = {
    "users": {"role": _in("role", ROLES)},
    "subjects": {
        "status": _in("status", STATUSES),
        "sex": "sex IS NULL OR " + _in("sex", ("F", "M")),
    },
    "adverse_events": {
        "severity": _in("severity", ("mild", "moderate", "severe")),
        "related": _in("related", ("not_related", "unlikely", "possible", "probable", "definite")),
        "outcome": _in("outcome", ("recovered", "recovering", "not_recovered", "fatal", "unknown")),
    },
    "injections": {
        "product": _in("product", ("whole_blood", "serum", "igg", "saline", "none")),
    },
    "labs": {"flag": "flag IS NULL OR " + _in("flag", ("low", "normal", "high"))},
}


def upgrade() -> None:
    op.create_table(
        "user_sites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sites_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_user_sites_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sites")),
        sa.UniqueConstraint("user_id", "site_id", name="uq_user_sites_user_id_site_id"),
    )
    op.create_index(op.f("ix_user_sites_site_id"), "user_sites", ["site_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("all_sites", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    conn = op.get_bind()
    sites: dict[str, list[int]] = {}
    for site_id, code in conn.execute(sa.text("SELECT id, code FROM sites")):
        sites.setdefault(code, []).append(site_id)
    for user_id, listed in conn.execute(sa.text("SELECT id, sites FROM users")).all():
        if listed is None:
            conn.execute(
                sa.text("UPDATE users SET all_sites = :yes WHERE id = :id"),
                {"yes": True, "id": user_id},
            )
            continue
        members = sorted({s for code in json.loads(listed) for s in sites.get(code, [])})
        if members:
            conn.execute(
                sa.text(
                    "INSERT INTO user_sites (user_id, site_id, version) VALUES (:user, :site, 1)"
                ),
                [{"user": user_id, "site": s} for s in members],
            )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("sites")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_visits_subject_pk_visit_code", ["subject_pk", "visit_code"]
        )
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_subjects_allocation_id", ["allocation_id"])
        batch_op.create_index(op.f("ix_subjects_site_id"), ["site_id"], unique=False)
    for table in ("injections", "deviations"):
        op.create_index(op.f(f"ix_{table}_visit_id"), table, ["visit_id"], unique=False)
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks.items():
                batch_op.create_check_constraint(name, condition)


def downgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in checks:
                batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
    for table in ("injections", "deviations"):
        op.drop_index(op.f(f"ix_{table}_visit_id"), table_name=table)
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_subjects_site_id"))
        batch_op.drop_constraint("uq_subjects_allocation_id", type_="unique")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_constraint("uq_visits_subject_pk_visit_code", type_="unique")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sites", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT u.id, u.all_sites, s.code FROM users u "
            "LEFT JOIN user_sites m ON m.user_id = u.id LEFT JOIN sites s ON s.id = m.site_id"
        )
    ).all()
    codes: dict[int, set[str]] = {}
    for user_id, all_sites, code in rows:
        mine = codes.setdefault(user_id, set())
        if code is not None and not all_sites:
            mine.add(code)
    for user_id, mine in codes.items():
        listed = None if any(r[0] == user_id and r[1] for r in rows) else json.dumps(sorted(mine))
        conn.execute(
            sa.text("UPDATE users SET sites = :sites WHERE id = :id"),
            {"sites": listed, "id": user_id},
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("all_sites")
    op.drop_index(op.f("ix_user_sites_site_id"), table_name="user_sites")
    op.drop_table("user_sites")
