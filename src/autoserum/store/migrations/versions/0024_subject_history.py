"""Subject history: the subject's date of birth, ethnicity, race, Fitzpatrick skin type and age
at onset of atopic dermatitis; previous systemic treatments and atopic comorbidities, one
record each (``autoserum.study.entities.SUBJECT``, ``PRIOR_TREATMENT``, ``COMORBIDITY``;
vocabularies in ``autoserum.study.history``).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

FITZPATRICK = ("I", "II", "III", "IV", "V", "VI")
DRUG_CLASSES = (
    "tcs", "tci", "antihistamine", "systemic_corticosteroid", "systemic_immunosuppressant",
    "biologic", "jak_inhibitor", "emollient", "antimicrobial", "phototherapy", "other",
)  # fmt: skip
RESPONSES = ("none", "partial", "good", "unknown")
STOP_REASONS = (
    "lack_of_efficacy", "loss_of_response", "adverse_event", "course_completed",
    "patient_choice", "cost_or_access", "study_entry", "other", "unknown",
)  # fmt: skip
COMORBIDITIES = (
    "asthma", "allergic_rhinitis", "allergic_conjunctivitis", "allergic_rhinoconjunctivitis",
    "food_allergy", "eosinophilic_oesophagitis", "urticaria", "other",
)  # fmt: skip


def _in(column: str, values: tuple[str, ...], *, nullable: bool = True) -> str:
    allowed = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {allowed}" if nullable else allowed


def _keys(table: str) -> list[Any]:
    return [
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], name=f"fk_{table}_study_id_studies"),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=f"fk_{table}_subject_pk_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _indexes(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in ("study_id", "subject_pk"):
            batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ethnicity", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("race", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("fitzpatrick", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("ad_onset_age", sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_subjects_fitzpatrick"), _in("fitzpatrick", FITZPATRICK)
        )
    op.create_table(
        "prior_treatments",
        sa.Column("drug", sa.String(length=500), nullable=False),
        sa.Column("atc_code", sa.String(length=7), nullable=True),
        sa.Column("drug_class", sa.String(length=30), nullable=True),
        sa.Column("start_year", sa.Integer(), nullable=True),
        sa.Column("end_year", sa.Integer(), nullable=True),
        sa.Column("response", sa.String(length=10), nullable=True),
        sa.Column("stop_reason", sa.String(length=20), nullable=True),
        *_keys("prior_treatments"),
        sa.CheckConstraint(_in("drug_class", DRUG_CLASSES), name="ck_prior_treatments_drug_class"),
        sa.CheckConstraint(_in("response", RESPONSES), name="ck_prior_treatments_response"),
        sa.CheckConstraint(
            _in("stop_reason", STOP_REASONS), name="ck_prior_treatments_stop_reason"
        ),
    )
    _indexes("prior_treatments")
    op.create_table(
        "comorbidities",
        sa.Column("condition", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("onset_age", sa.String(length=64), nullable=True),
        sa.Column("ongoing", sa.Boolean(), nullable=True),
        *_keys("comorbidities"),
        sa.CheckConstraint(
            _in("condition", COMORBIDITIES, nullable=False), name="ck_comorbidities_condition"
        ),
    )
    _indexes("comorbidities")


def downgrade() -> None:
    for table in ("comorbidities", "prior_treatments"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_subject_pk")
            batch_op.drop_index(f"ix_{table}_study_id")
        op.drop_table(table)
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_subjects_fitzpatrick"), type_="check")
        for column in ("ad_onset_age", "fitzpatrick", "race", "ethnicity", "birth_date"):
            batch_op.drop_column(column)
