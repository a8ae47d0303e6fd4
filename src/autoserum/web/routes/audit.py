"""Page: the audit trail of a study, a subject or one record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.web.deps import PageUser, StoreDep
from autoserum.web.templating import render
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)


def _show(value: Any) -> Any:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items())
    return value


@router.get("/studies/{study}/audit")
def audit_page(
    request: Request,
    study: str,
    user: PageUser,
    store: StoreDep,
    subject_id: str | None = None,
    entity: str | None = None,
    record_id: int | None = None,
) -> Response:
    """Who changed what, when, from which value to which, and why (oldest first)."""
    user.require("read_audit")
    view = study_for(store, user, study)
    records = store.audit.trail(
        study,
        actor=user.actor,
        subject_id=subject_id,
        entity=entity,
        record_id=record_id,
    )
    rows = [
        {
            "at": r.at.strftime("%Y-%m-%d %H:%M:%S"),
            "actor": f"{r.username} ({r.role})",
            "action": r.action,
            "entity": r.entity,
            "record_id": r.record_id,
            "field": r.field,
            "old": _show(r.old_value),
            "new": _show(r.new_value),
            "reason": r.reason,
        }
        for r in records
    ]
    parts = [f"subject {subject_id}" if subject_id else "", entity or "", str(record_id or "")]
    back = f"/studies/{study}/subjects/{subject_id}" if subject_id else f"/studies/{study}"
    return render(
        request,
        "audit.html",
        {
            "study": view,
            "records": rows,
            "scope": " · ".join(p for p in parts if p) or f"study {study}",
            "back_url": back,
        },
    )
