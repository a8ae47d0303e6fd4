"""One-query look-ups for the hot write paths.

Recording an assessment needs the subject (locked on PostgreSQL), its site code, the visit,
whether the instrument is recorded at that visit already and whether the study's writers are
gated (consent documents, an active lock): six queries through the ORM helpers, one here.
The statement is built once with bound parameters (compiled once, cached).
A miss (``None``) means "something is wrong": the caller then takes the ORM helpers' path,
which raises the precise error.

Example::

    target = assessment_target(session, "DEMO", "S001", "baseline", "easi")
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from autoserum.store.models import (
    AssessmentRow,
    ConsentDocumentRow,
    LockRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    VisitRow,
)

__all__ = ["AssessmentTarget", "assessment_target", "gated"]


def gated(study_id: Any) -> ColumnElement[bool]:
    """Whether the study's writers are gated beyond the basic checks, as an SQL expression
    (``study_id``: a value or a column): by consent (the study has consent documents) or by an
    active lock."""
    return or_(
        exists().where(ConsentDocumentRow.study_id == study_id),
        exists().where(LockRow.study_id == study_id, LockRow.unlocked_at.is_(None)),
    )


@dataclass(frozen=True)
class AssessmentTarget:
    """Where a new assessment goes, and what the checks need."""

    study_id: int
    subject_pk: int
    status: str
    age: Decimal | None
    site_code: str
    visit_id: int | None
    existing_id: int | None
    gated: bool


_ASSESSMENT_TARGET = (
    select(
        SubjectRow.study_id,
        SubjectRow.id,
        SubjectRow.status,
        SubjectRow.age,
        SiteRow.code,
        VisitRow.id,
        AssessmentRow.id,
        gated(SubjectRow.study_id),
    )
    .select_from(SubjectRow)
    .join(StudyRow, StudyRow.id == SubjectRow.study_id)
    .join(SiteRow, SiteRow.id == SubjectRow.site_id)
    .outerjoin(
        VisitRow,
        and_(VisitRow.subject_pk == SubjectRow.id, VisitRow.visit_code == bindparam("visit")),
    )
    .outerjoin(
        AssessmentRow,
        and_(
            AssessmentRow.visit_id == VisitRow.id,
            AssessmentRow.instrument == bindparam("instrument"),
        ),
    )
    .where(StudyRow.name == bindparam("study"), SubjectRow.subject_id == bindparam("subject"))
)
_ASSESSMENT_TARGET_LOCKED = _ASSESSMENT_TARGET.with_for_update(of=SubjectRow)


def assessment_target(
    session: Session,
    study: str,
    subject_id: str,
    visit_code: str,
    instrument: str,
    *,
    lock: bool = True,
) -> AssessmentTarget | None:
    """The subject (with ``lock``, row-locked on PostgreSQL until the transaction ends), site,
    visit, existing assessment and whether the study is gated, or None when the study or
    subject is unknown."""
    row = session.execute(
        _ASSESSMENT_TARGET_LOCKED if lock else _ASSESSMENT_TARGET,
        {"study": study, "subject": subject_id, "visit": visit_code, "instrument": instrument},
    ).first()
    if row is None:
        return None
    study_id, subject_pk, status, age, site_code, visit_id, existing_id, is_gated = row
    return AssessmentTarget(
        study_id, subject_pk, status, age, site_code, visit_id, existing_id, bool(is_gated)
    )
