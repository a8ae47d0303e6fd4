"""API: ``/api/v1/studies/{study}/export``, ``/export/adverse-events`` and ``/export/con-meds``
(de-identified CSV), ``/export/package``, ``/export/sdtm`` and ``/export/adam`` (every record,
zipped) and ``/export/fhir`` (a FHIR R4 Bundle; ``docs/exports.md``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from autoserum.web.api._common import StudyPath
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.exporting import export_csv, export_records
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


_ZIP = {"content": {"application/zip": {}}, "description": "zip (docs/exports.md)"}


@router.get("/package", response_class=Response, responses={200: _ZIP})
def export_package(study: StudyPath, user: ApiUser, store: StoreDep) -> Response:
    """Every record as the de-identified data package (Frictionless), zipped."""
    user.require("export")
    study_for(store, user, study)
    return Response(export_records(store, user, study, "package"), media_type="application/zip")


@router.get("/sdtm", response_class=Response, responses={200: _ZIP})
def export_sdtm(study: StudyPath, user: ApiUser, store: StoreDep) -> Response:
    """The de-identified CDISC SDTM datasets (XPT v5) with define.xml, zipped."""
    user.require("export")
    study_for(store, user, study)
    return Response(export_records(store, user, study, "sdtm"), media_type="application/zip")


@router.get("/adam", response_class=Response, responses={200: _ZIP})
def export_adam(study: StudyPath, user: ApiUser, store: StoreDep) -> Response:
    """The de-identified CDISC ADaM datasets (XPT v5) with define.xml, zipped."""
    user.require("export")
    study_for(store, user, study)
    return Response(export_records(store, user, study, "adam"), media_type="application/zip")


_FHIR = {"content": {"application/fhir+json": {}}, "description": "FHIR R4 transaction Bundle"}


@router.get("/fhir", response_class=Response, responses={200: _FHIR})
def export_fhir(study: StudyPath, user: ApiUser, store: StoreDep) -> Response:
    """The de-identified FHIR R4 transaction Bundle (pseudonymous patients, no dates)."""
    user.require("export")
    study_for(store, user, study)
    return Response(export_records(store, user, study, "fhir"), media_type="application/fhir+json")
