"""Pages: ``/studies/{study}/export.csv``, ``export.ae.csv``, ``export.conmed.csv``,
``export/{format}.zip`` (the data package, SDTM or ADaM) and ``export/fhir.json`` (de-identified
downloads)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from autoserum.web.deps import PageUser, StoreDep
from autoserum.web.exporting import export_csv, export_records
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)


def _download(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/studies/{study}/export.csv")
def export_visits(study: str, user: PageUser, store: StoreDep) -> Response:
    """The de-identified visit file of the study (tidy long CSV)."""
    user.require("export")
    study_for(store, user, study)
    return _download(export_csv(store, user, study, what="visits"), f"{study}.csv")


@router.get("/studies/{study}/export.ae.csv")
def export_adverse_events(study: str, user: PageUser, store: StoreDep) -> Response:
    """The de-identified adverse-event file of the study."""
    user.require("export")
    study_for(store, user, study)
    return _download(export_csv(store, user, study, what="adverse_events"), f"{study}.ae.csv")


@router.get("/studies/{study}/export.conmed.csv")
def export_con_meds(study: str, user: PageUser, store: StoreDep) -> Response:
    """The de-identified concomitant-medication file of the study."""
    user.require("export")
    study_for(store, user, study)
    return _download(export_csv(store, user, study, what="con_meds"), f"{study}.conmed.csv")


@router.get("/studies/{study}/export.pro.csv")
def export_pro(study: str, user: PageUser, store: StoreDep) -> Response:
    """The de-identified self-report file: raw diary entries and derived weekly means."""
    user.require("export")
    study_for(store, user, study)
    return _download(export_csv(store, user, study, what="pro"), f"{study}.pro.csv")


def _zip(store: StoreDep, user: PageUser, study: str, fmt: str) -> Response:
    user.require("export")
    study_for(store, user, study)
    return Response(
        export_records(store, user, study, fmt),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{study}.{fmt}.zip"'},
    )


@router.get("/studies/{study}/export/package.zip")
def export_package(study: str, user: PageUser, store: StoreDep) -> Response:
    """Every record of the study as the de-identified data package (``docs/exports.md``)."""
    return _zip(store, user, study, "package")


@router.get("/studies/{study}/export/sdtm.zip")
def export_sdtm(study: str, user: PageUser, store: StoreDep) -> Response:
    """The de-identified CDISC SDTM datasets (XPT v5) with define.xml."""
    return _zip(store, user, study, "sdtm")


@router.get("/studies/{study}/export/adam.zip")
def export_adam(study: str, user: PageUser, store: StoreDep) -> Response:
    """The de-identified CDISC ADaM datasets (ADSL, ADQS, ADAE, ADCM; XPT v5) with define.xml."""
    return _zip(store, user, study, "adam")


@router.get("/studies/{study}/export/fhir.json")
def export_fhir(study: str, user: PageUser, store: StoreDep) -> Response:
    """The de-identified FHIR R4 transaction Bundle of the study."""
    user.require("export")
    study_for(store, user, study)
    return Response(
        export_records(store, user, study, "fhir"),
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="{study}.fhir.json"'},
    )
