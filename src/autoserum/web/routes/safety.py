"""Pages: the SAE report (PDF) of a serious adverse event,
``/studies/{study}/subjects/{id}/adverse_events/{record_id}/sae.pdf`` (permission
``report_sae``; the study treatment masked for blinded users)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.web.deps import PageUser, StoreDep
from autoserum.web.routes.subjects import SUBJECT_PATH
from autoserum.web.safety import sae_pdf, sae_report
from autoserum.web.templating import language_of
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get(SUBJECT_PATH + "/adverse_events/{record_id}/sae.pdf")
def sae_report_pdf(
    request: Request, study: str, subject_id: str, record_id: int, user: PageUser, store: StoreDep
) -> Response:
    """The SAE report of one serious adverse event, as a PDF download."""
    user.require("report_sae")
    view = study_for(store, user, study)
    report = sae_report(store, user, view, subject_id, record_id)
    body = sae_pdf(report, generated=request.app.state.now(), language=language_of(request))
    name = f"{study}-{subject_id}-sae-{record_id}-v{report.version}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
