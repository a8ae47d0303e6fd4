"""API: ``/api/v1/studies/{study}/subjects``: screening, randomisation, withdrawal, visits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from autoserum.protocols import evaluate_eligibility
from autoserum.study.status import SubjectStatus
from autoserum.web.api._common import (
    StudyPath,
    SubjectPath,
    json_response,
    record_json,
    subject_public,
)
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.schemas import (
    EligibilityPublic,
    RandomiseRequest,
    SubjectCreate,
    SubjectPublic,
    SubjectScreened,
    UnblindPublic,
    UnblindRequest,
    UnscheduledVisitCreate,
    VisitCreate,
    WithdrawRequest,
)
from autoserum.web.unblinding import NOTICE, emergency_unblind
from autoserum.web.views import shows_arm, study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}/subjects", tags=["subjects"])


@router.get("", response_model=list[SubjectPublic])
def list_subjects(study: StudyPath, user: ApiUser, store: StoreDep) -> list[SubjectPublic]:
    """The subjects at the caller's sites (arm only for roles that may see it)."""
    user.require("read_subject")
    view = study_for(store, user, study)
    show = shows_arm(user, view.study)
    return [subject_public(s, show_arm=show) for s in store.subjects.all(study, actor=user.actor)]


@router.post("", response_model=SubjectScreened, status_code=201)
def screen_subject(
    study: StudyPath, body: SubjectCreate, user: ApiUser, store: StoreDep
) -> SubjectScreened:
    """Screen a subject; eligibility is evaluated from the protocol's rules (a failed rule
    makes the subject a screen failure)."""
    user.require("screen")
    view = study_for(store, user, study)
    result = evaluate_eligibility(view.protocol, body.facts)
    subject = store.subjects.screen(  # records the screening visit with its assessments
        study,
        body.site,
        body.subject_id,
        body.facts,
        actor=user.actor,
        screened_on=body.screened_on,
    )
    if result.failed:
        subject = store.subjects.transition(
            study,
            body.subject_id,
            SubjectStatus.SCREEN_FAILED,
            actor=user.actor,
            reason="not eligible: " + ", ".join(result.failed),
        )
    public = subject_public(subject, show_arm=shows_arm(user, view.study))
    return SubjectScreened(**public.model_dump(), eligibility=EligibilityPublic(**result.to_json()))


@router.get("/{subject_id}", response_model=dict[str, Any])
def read_subject(
    study: StudyPath, subject_id: SubjectPath, user: ApiUser, store: StoreDep
) -> Response:
    """Everything recorded about a subject (arm and injected product masked when blinded)."""
    user.require("read_subject")
    view = study_for(store, user, study)
    detail = store.subjects.detail(study, subject_id, actor=user.actor)
    out = record_json(detail)
    out["subject"] = subject_public(
        detail.subject, show_arm=shows_arm(user, view.study)
    ).model_dump()
    return json_response(out, dict[str, Any])


@router.post("/{subject_id}/randomise", response_model=SubjectPublic)
def randomise(
    study: StudyPath,
    subject_id: SubjectPath,
    user: ApiUser,
    store: StoreDep,
    body: RandomiseRequest | None = None,
) -> SubjectPublic:
    """Enrol and randomise a screened, eligible subject (arm null for blinded callers).

    A study stratified by factors besides the site needs ``{"strata": {factor: level}}`` with
    the subject's level of every declared factor."""
    user.require("randomise")
    view = study_for(store, user, study)
    strata = body.strata if body is not None else None
    override = body.override_reason if body is not None else None
    store.subjects.randomise(
        study, subject_id, actor=user.actor, strata=strata, override_reason=override
    )
    subject = store.subjects.detail(study, subject_id, actor=user.actor, parts=()).subject
    return subject_public(subject, show_arm=shows_arm(user, view.study))


@router.post("/{subject_id}/withdraw", response_model=SubjectPublic)
def withdraw(
    study: StudyPath, subject_id: SubjectPath, body: WithdrawRequest, user: ApiUser, store: StoreDep
) -> SubjectPublic:
    """Withdraw a subject (the reason is kept in the audit trail)."""
    user.require("withdraw")
    view = study_for(store, user, study)
    subject = store.subjects.withdraw(study, subject_id, actor=user.actor, reason=body.reason)
    return subject_public(subject, show_arm=shows_arm(user, view.study))


@router.post("/{subject_id}/unblind", response_model=UnblindPublic)
def unblind(
    study: StudyPath,
    subject_id: SubjectPath,
    body: UnblindRequest,
    user: ApiUser,
    store: StoreDep,
    response: Response,
) -> UnblindPublic:
    """Emergency unblinding of one subject (admin, investigator at the subject's site; blinded
    studies): needs a reason and ``"confirm": true``; audited and listed for the study admin.
    The arm is returned to the caller in this response only."""
    user.require("unblind")
    view = study_for(store, user, study)
    arm = emergency_unblind(store, user, view, subject_id, body.reason, body.confirm)
    response.headers["Cache-Control"] = "no-store"
    return UnblindPublic(
        subject_id=subject_id,
        arm=arm,
        reason=body.reason.strip(),
        unblinded_by=user.username,
        notice=NOTICE,
    )


@router.post("/{subject_id}/visits", status_code=201)
def record_visit(
    study: StudyPath, subject_id: SubjectPath, body: VisitCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Record a planned visit on its date (placed in its window)."""
    user.require("write_data")
    study_for(store, user, study)
    visit = store.records.add_visit(
        study, subject_id, body.visit_code, body.visit_date, actor=user.actor
    )
    return record_json(visit)


@router.post("/{subject_id}/unscheduled-visits", status_code=201)
def record_unscheduled_visit(
    study: StudyPath,
    subject_id: SubjectPath,
    body: UnscheduledVisitCreate,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Record a visit outside the schedule (a flare visit) with its reason; it is coded
    ``unscheduled-N``: record assessments and labs at that visit code."""
    user.require("write_data")
    study_for(store, user, study)
    visit = store.records.add_unscheduled_visit(
        study, subject_id, body.visit_date, actor=user.actor, reason=body.reason
    )
    return record_json(visit)
