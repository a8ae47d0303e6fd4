"""API: ``/api/v1/studies/{study}/subjects/{subject_id}/assessments``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from autoserum.errors import Message, NotFoundError
from autoserum.web.api._common import (
    StudyPath,
    SubjectPath,
    assessment_public,
    json_response,
    record_json,
    visit_code_of,
)
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.forms import payload_json
from autoserum.web.schemas import (
    AssessmentCreate,
    AssessmentNotDone,
    AssessmentPublic,
    AssessmentUpdate,
    parse_items,
)
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(
    prefix="/studies/{study}/subjects/{subject_id}/assessments", tags=["assessments"]
)


@router.get("", response_model=list[AssessmentPublic])
def list_assessments(
    study: StudyPath, subject_id: SubjectPath, user: ApiUser, store: StoreDep
) -> Response:
    """The subject's assessments with their exact totals and bands."""
    user.require("read_subject")
    study_for(store, user, study)
    detail = store.subjects.detail(
        study, subject_id, actor=user.actor, parts=("visits", "assessments")
    )
    return json_response(
        [assessment_public(a, visit_code_of(detail, a.visit_id)) for a in detail.assessments],
        list[AssessmentPublic],
    )


@router.post("", response_model=AssessmentPublic, status_code=201)
def record_assessment(
    study: StudyPath,
    subject_id: SubjectPath,
    body: AssessmentCreate,
    user: ApiUser,
    store: StoreDep,
) -> Response:
    """Record an instrument at a visit, validated and scored exactly as the web form does.

    With ``visit_date`` the visit is recorded first when it is not recorded yet.
    """
    user.require("write_data")
    study_for(store, user, study)
    flat = parse_items(body.instrument, body.items)
    payload = payload_json(body.instrument, flat)
    saved = store.records.add_assessment(
        study,
        subject_id,
        body.visit_code,
        body.instrument,
        payload,
        actor=user.actor,
        visit_date=body.visit_date,  # a visit not recorded yet: in the same transaction
    )
    return json_response(
        assessment_public(saved, body.visit_code), AssessmentPublic, status_code=201
    )


@router.post("/not-done", status_code=201)
def assessment_not_done(
    study: StudyPath,
    subject_id: SubjectPath,
    body: AssessmentNotDone,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Record that an instrument was not done at a visit, with the reason (an
    ``assessment_not_done`` deviation; an incomplete assessment is refused, not saved)."""
    user.require("write_data")
    study_for(store, user, study)
    deviation = store.records.assessment_not_done(
        study,
        subject_id,
        body.visit_code,
        body.instrument,
        actor=user.actor,
        reason=body.reason,
        visit_date=body.visit_date,
    )
    return record_json(deviation)


@router.patch("/{assessment_id}", response_model=AssessmentPublic)
def correct_assessment(
    study: StudyPath,
    subject_id: SubjectPath,
    assessment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: AssessmentUpdate,
    user: ApiUser,
    store: StoreDep,
) -> AssessmentPublic:
    """Correct a saved assessment: the full new items, the version read and the reason
    (audited; 409 when someone changed it meanwhile). It is validated and rescored."""
    user.require("write_data")
    study_for(store, user, study)
    detail = store.subjects.detail(study, subject_id, actor=user.actor)
    current = next((a for a in detail.assessments if a.id == assessment_id), None)
    if current is None:
        raise NotFoundError(
            Message(
                "no assessment %(assessment_id)s of subject %(subject_id)s",
                assessment_id=assessment_id,
                subject_id=repr(subject_id),
            )
        )
    payload = payload_json(current.instrument, parse_items(current.instrument, body.items))
    saved = store.records.update(
        study,
        "assessment",
        assessment_id,
        {"payload": payload},
        actor=user.actor,
        reason=body.reason,
        expected_version=body.expected_version,
    )
    return assessment_public(saved, visit_code_of(detail, current.visit_id))
