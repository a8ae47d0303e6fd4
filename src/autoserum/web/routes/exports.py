"""Pages: ``/studies/{study}/export.csv``, ``export.ae.csv`` and ``export.conmed.csv``
(de-identified downloads)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from autoserum.web.deps import PageUser, StoreDep
from autoserum.web.exporting import export_csv
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
