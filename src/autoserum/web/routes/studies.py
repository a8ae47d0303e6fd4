"""Pages: the studies list and a study's dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from autoserum.web.dashboard import study_summary
from autoserum.web.deps import PageUser, StoreDep
from autoserum.web.safety import sae_alerts
from autoserum.web.templating import render
from autoserum.web.views import study_for, visible_studies

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/")
def home() -> Response:
    """The home page is the studies list."""
    return RedirectResponse("/studies", status_code=303)


@router.get("/studies")
def studies_page(request: Request, user: PageUser, store: StoreDep) -> Response:
    """The studies at the user's sites."""
    user.require("read_study")
    views = visible_studies(store, user)
    rows = [
        {
            "name": v.name,
            "protocol_code": v.protocol_code,
            "title": v.title,
            "sites": v.sites,
            "n_subjects": store.subjects.consort(v.name, actor=user.actor).assessed,
        }
        for v in views
    ]
    return render(request, "studies.html", {"studies": rows})


@router.get("/studies/{study}")
def dashboard(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """A study's dashboard: CONSORT counts, enrolment by site, overdue visits, the serious
    adverse events due for their 24-hour report, and for the study admin the emergency
    unblindings."""
    user.require("read_study")
    view = study_for(store, user, study)
    summary = study_summary(store, user, view, today=request.app.state.clock())
    return render(
        request,
        "dashboard.html",
        {
            "study": view,
            "consort": summary.consort_rows,
            "by_site": summary.by_site,
            "overdue": summary.overdue,
            "versions": store.studies.versions(study),
            "can_read_subjects": user.can("read_subject"),
            "can_screen": user.can("screen"),
            "can_export": user.can("export"),
            "sae_alerts": sae_alerts(store, user, study, now=request.app.state.now()),
            "can_report_sae": user.can("report_sae"),
            "can_prepare": user.can("prepare_product"),
            "unblindings": (
                store.subjects.unblindings(study, actor=user.actor)
                if user.can("review_unblindings") and not view.study.open_label
                else None
            ),
        },
    )
