"""API: ``/api/v1/studies/{study}/audit``: the audit trail (arm values masked when blinded)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from autoserum.web.api._common import StudyPath
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.schemas import AuditPublic
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}/audit", tags=["audit"])


@router.get("", response_model=list[AuditPublic])
def audit_trail(
    study: StudyPath,
    user: ApiUser,
    store: StoreDep,
    subject_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")] = None,
    entity: Annotated[str | None, Query(pattern=r"^[a-z_]{1,30}$")] = None,
    record_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[AuditPublic]:
    """Who changed what, when, from which value to which, and why (oldest first)."""
    user.require("read_audit")
    study_for(store, user, study)
    records = store.audit.trail(
        study,
        actor=user.actor,
        subject_id=subject_id,
        entity=entity,
        record_id=record_id,
    )
    return [
        AuditPublic(
            id=r.id,
            at=r.at,
            username=r.username,
            role=r.role,
            entity=r.entity,
            record_id=r.record_id,
            action=r.action,
            field=r.field,
            old_value=r.old_value,
            new_value=r.new_value,
            reason=r.reason,
            subject_id=r.subject_id,
        )
        for r in records
    ]
