"""API: source-data verification and electronic signatures. ``/api/v1/studies/{study}/sdv``
(progress per site and subject under the study's SDV plan), ``.../verifications`` (list,
verify a record), ``.../signatures`` (list with validity re-checked; sign with the password
re-entered)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from autoserum.web.api._common import StudyPath
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.schemas import SignatureCreate, VerificationCreate
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}", tags=["review"])

Subject = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")]


@router.get("/sdv")
def sdv_progress(study: StudyPath, user: ApiUser, store: StoreDep) -> dict[str, Any]:
    """SDV progress at the caller's sites: the plan, then per site and per subject the
    records it requires and how many are verified."""
    user.require("read_subject")
    study_for(store, user, study)
    return store.sdv.progress(study, actor=user.actor)


@router.get("/verifications")
def list_verifications(
    study: StudyPath, user: ApiUser, store: StoreDep, subject_id: Subject = None
) -> list[dict[str, Any]]:
    """The active verifications at the caller's sites (of one subject)."""
    user.require("read_subject")
    study_for(store, user, study)
    return store.sdv.verifications(study, actor=user.actor, subject_id=subject_id)


@router.post("/verifications", status_code=201)
def verify(
    study: StudyPath, body: VerificationCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Mark a record verified against the source (monitor)."""
    user.require("verify_source")
    study_for(store, user, study)
    return store.sdv.verify(study, body.entity, body.record_id, actor=user.actor)


@router.get("/signatures")
def list_signatures(
    study: StudyPath, user: ApiUser, store: StoreDep, subject_id: Subject = None
) -> list[dict[str, Any]]:
    """Signatures at the caller's sites (of one subject), each with its manifestation and
    whether the signed content is unchanged."""
    user.require("read_subject")
    study_for(store, user, study)
    found = store.signatures.signatures(study, actor=user.actor, subject_id=subject_id)
    return [s.to_dict() for s in found]


@router.post("/signatures", status_code=201)
def sign(study: StudyPath, body: SignatureCreate, user: ApiUser, store: StoreDep) -> dict[str, Any]:
    """Sign a visit, a casebook or the study (investigator), the password re-entered."""
    user.require("sign")
    study_for(store, user, study)
    signature = store.signatures.sign(
        study, body.level, actor=user.actor, password=body.password, meaning=body.meaning,
        timezone=body.timezone, subject_id=body.subject_id, visit_code=body.visit_code,
    )  # fmt: skip
    return signature.to_dict()
