"""API: locks. ``GET /api/v1/studies/{study}/locks`` (the study's locks the caller may see),
``POST .../subjects/{subject_id}/locks`` (a subject, visit or record lock: monitors and
admins), ``POST .../database-lock`` (the database lock with its manifest: admin) and
``POST .../locks/{lock_id}/unlock`` (admin, with a reason). Every write is audited by the
store (:class:`autoserum.store.Store` ``.locks``); no arm appears in any response (a
manifest holds allocation-list digests, never an allocation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from autoserum.web.api._common import StudyPath, SubjectPath
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.schemas import DatabaseLockCreate, LockCreate, UnlockRequest
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}", tags=["locks"])


@router.get("/locks")
def list_locks(study: StudyPath, user: ApiUser, store: StoreDep) -> list[dict[str, Any]]:
    """The study's locks, active and lifted: database locks with their manifest, and the
    locks of subjects at the caller's sites."""
    user.require("read_subject")
    study_for(store, user, study)
    return [lk.to_dict() for lk in store.locks.visible(study, actor=user.actor)]


@router.post("/subjects/{subject_id}/locks", status_code=201)
def lock_subject_data(
    study: StudyPath, subject_id: SubjectPath, body: LockCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Lock a subject's data, one of its visits or one of its records (audited)."""
    user.require("lock")
    study_for(store, user, study)
    lock = store.locks.lock(
        study,
        body.level,
        actor=user.actor,
        reason=body.reason,
        subject_id=subject_id,
        visit_code=body.visit_code,
        entity=body.entity,
        record_id=body.record_id,
    )
    return lock.to_dict()


@router.post("/database-lock", status_code=201)
def lock_database(
    study: StudyPath, body: DatabaseLockCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Lock the database (admin): the audit chain is verified and the manifest recorded (its
    head, the analysis plan's SHA-256, the allocation lists' digests)."""
    user.require("lock_database")
    study_for(store, user, study)
    lock = store.locks.lock(
        study, "study", actor=user.actor, reason=body.reason, sap_sha256=body.sap_sha256
    )
    return lock.to_dict()


@router.post("/locks/{lock_id}/unlock")
def unlock(
    study: StudyPath,
    lock_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: UnlockRequest,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Lift a lock (admin, with a reason; audited)."""
    user.require("lock_database")
    study_for(store, user, study)
    return store.locks.unlock(study, lock_id, actor=user.actor, reason=body.reason).to_dict()
