"""API: ``/api/v1/studies/{study}/export``, ``/export/adverse-events`` and ``/export/con-meds``
(de-identified CSV)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from autoserum.web.api._common import StudyPath
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.exporting import export_csv
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}/export", tags=["export"])

_CSV = {"content": {"text/csv": {}}, "description": "tidy long CSV (docs/data-format.md)"}


@router.get("", response_class=PlainTextResponse, responses={200: _CSV})
def export_visits(study: StudyPath, user: ApiUser, store: StoreDep) -> PlainTextResponse:
    """The de-identified visit file (no dates; no arm for blinded callers; your sites only)."""
    user.require("export")
    study_for(store, user, study)
    text = export_csv(store, user, study, what="visits")
    return PlainTextResponse(text, media_type="text/csv")


@router.get("/adverse-events", response_class=PlainTextResponse, responses={200: _CSV})
def export_adverse_events(study: StudyPath, user: ApiUser, store: StoreDep) -> PlainTextResponse:
    """The de-identified adverse-event file."""
    user.require("export")
    study_for(store, user, study)
    text = export_csv(store, user, study, what="adverse_events")
    return PlainTextResponse(text, media_type="text/csv")


@router.get("/con-meds", response_class=PlainTextResponse, responses={200: _CSV})
def export_con_meds(study: StudyPath, user: ApiUser, store: StoreDep) -> PlainTextResponse:
    """The de-identified concomitant-medication file (start and end as study weeks)."""
    user.require("export")
    study_for(store, user, study)
    text = export_csv(store, user, study, what="con_meds")
    return PlainTextResponse(text, media_type="text/csv")
