"""Pages: the coordinator's self-report pages (docs/epro.md).

``/studies/{study}/self-report`` shows the daily-diary compliance of every subject with a
self-report calendar at the user's sites (``7/7``) and the subjects behind; from it a
coordinator (action ``issue_patient_links``) issues a subject's link (shown once, with its QR
code), prints its card (a PDF that issues a new link) or revokes it.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.report import patient_card_pdf, qr_png
from autoserum.store import IssuedLink, Store
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import submit
from autoserum.web.templating import language_of, render, translate
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_STUDY = "/studies/{study}/self-report"
_SUBJECT = "/studies/{study}/subjects/{subject_id}/self-report"


def _page(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user.require("read_subject")
    view = study_for(store, user, study)
    rows = store.self_report.compliance(study, actor=user.actor)
    return render(
        request,
        "self_report.html",
        {
            "study": view,
            "rows": rows,
            "behind": [r for r in rows if r.compliance.behind],
            "schedules": view.protocol.self_report.schedules,
            "can_issue": user.can("issue_patient_links"),
            "errors": errors or {},
            "labels": {"reason": "Reason"},
        },
        status_code=status_code,
    )


@router.get(_STUDY)
def self_report_page(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """Compliance per subject and the subjects behind, with the link actions."""
    return _page(request, store, user, study)


def _link_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + f"/p/{token}"


def _issue(store: Store, user: CurrentUser, study: str, subject_id: str) -> IssuedLink:
    user.require("issue_patient_links")
    study_for(store, user, study)
    return store.self_report.issue_link(study, subject_id, actor=user.actor)


@router.post(_SUBJECT + "/link")
def issue_link(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Issue a new link (the subject's live one is revoked) and show it once with its QR
    code."""
    issued = _issue(store, user, study, subject_id)
    url = _link_url(request, issued.token)
    return render(
        request,
        "link_issued.html",
        {
            "study": study,
            "subject_id": subject_id,
            "url": url,
            "link": issued.link,
            "qr": base64.b64encode(qr_png(url, scale=6)).decode("ascii"),
        },
    )


@router.post(_SUBJECT + "/card.pdf")
def issue_card(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Issue a new link and return its printable card (PDF)."""
    issued = _issue(store, user, study, subject_id)
    # the card is the patient's: in the subject's language, else the coordinator's
    subject = store.subjects.detail(study, subject_id, actor=user.actor).subject
    pdf = patient_card_pdf(
        _link_url(request, issued.token), study=study, subject_id=subject_id,
        valid_until=issued.link.expires_on.isoformat(),
        language=subject.language or language_of(request),
    )  # fmt: skip
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{study}-{subject_id}-card.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post(_SUBJECT + "/revoke")
def revoke_link(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Revoke the subject's live link (with a reason)."""
    user.require("issue_patient_links")
    study_for(store, user, study)
    reason = str(form.get("reason") or "")

    def action() -> str:
        n = store.self_report.revoke_link(study, subject_id, actor=user.actor, reason=reason)
        if n:
            return translate(request, "The link of %(subject)s was revoked.", subject=subject_id)
        return translate(request, "%(subject)s had no live link.", subject=subject_id)

    return submit(
        request,
        values={"reason": reason},
        names=("reason",),
        action=action,
        redisplay=lambda values, errors, status: _page(
            request, store, user, study, errors=dict(errors), status_code=status
        ),
        success_url=_STUDY.format(study=study),
    )
