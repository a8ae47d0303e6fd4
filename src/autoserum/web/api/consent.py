"""API: informed consent. ``/api/v1/studies/{study}/consent-documents`` (the study's
documents; admins register them), ``/api/v1/studies/{study}/consents`` (each subject's consent
state at the caller's sites), ``.../subjects/{subject_id}/consents`` (a subject's consents;
site staff record one) and ``.../subjects/{subject_id}/consent-withdrawal``.

No arm appears in any of these responses.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from autoserum.web.api._common import StudyPath, SubjectPath, record_json
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.schemas import ConsentCreate, ConsentDocumentCreate, ConsentWithdrawal
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}", tags=["consent"])


@router.get("/consent-documents")
def list_documents(study: StudyPath, user: ApiUser, store: StoreDep) -> list[dict[str, Any]]:
    """The study's consent documents (version, language, effective date, SHA-256)."""
    user.require("read_study")
    study_for(store, user, study)
    return [record_json(d) for d in store.consent.documents(study)]


@router.post("/consent-documents", status_code=201)
def add_document(
    study: StudyPath, body: ConsentDocumentCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Register an approved consent document version (admin); from then on the study's
    subjects need consent before anything after the pre-screen."""
    user.require("manage_study")
    study_for(store, user, study)
    doc = store.consent.add_document(
        study,
        body.document_version,
        body.language,
        body.effective_on,
        actor=user.actor,
        sha256=body.sha256,
        title=body.title,
    )
    return record_json(doc)


@router.get("/consents")
def consent_overview(study: StudyPath, user: ApiUser, store: StoreDep) -> list[dict[str, Any]]:
    """Each subject at the caller's sites with their consent state today: ``none``,
    ``valid``, ``reconsent`` (a newer document version is in effect) or ``withdrawn``."""
    user.require("read_subject")
    study_for(store, user, study)
    return [c.to_dict() for c in store.consent.overview(study, actor=user.actor)]


@router.get("/subjects/{subject_id}/consents")
def subject_consents(
    study: StudyPath, subject_id: SubjectPath, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """A subject's consents and consent state today."""
    user.require("read_subject")
    study_for(store, user, study)
    return store.consent.of_subject(study, subject_id, actor=user.actor).to_dict()


@router.post("/subjects/{subject_id}/consents", status_code=201)
def record_consent(
    study: StudyPath, subject_id: SubjectPath, body: ConsentCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Record a subject's consent to a document version (audited)."""
    user.require("record_consent")
    study_for(store, user, study)
    consent = store.consent.record(
        study,
        subject_id,
        body.document_version,
        body.consented_at,
        actor=user.actor,
        obtained_by=body.obtained_by,
        language=body.language,
        witness=body.witness,
        representative=body.representative,
        components=body.components,
    )
    return consent.to_dict()


@router.post("/subjects/{subject_id}/consent-withdrawal")
def withdraw_consent(
    study: StudyPath,
    subject_id: SubjectPath,
    body: ConsentWithdrawal,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Record the withdrawal of the subject's consent from a date (audited with the reason):
    nothing dated on or after it is collected; what was collected before is kept."""
    user.require("record_consent")
    study_for(store, user, study)
    state = store.consent.withdraw(
        study, subject_id, body.withdrawn_on, actor=user.actor, reason=body.reason
    )
    return state.to_dict()
