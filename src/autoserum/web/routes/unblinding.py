"""Page: emergency unblinding of one subject (POST from the subject page).

On success the arm is rendered on the response page only (``Cache-Control: no-store``), with the
notice that the action is audited; a missing reason or confirmation re-shows the subject page
with the message beside the field.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.errors import StateError, ValidationError
from autoserum.i18n import error_text
from autoserum.web.deps import CsrfForm, PageUser, StoreDep
from autoserum.web.formflow import FORM_WIDE, field_for, shorten
from autoserum.web.recordforms import optional_text
from autoserum.web.routes.subjects import SUBJECT_PATH, subject_page
from autoserum.web.templating import language_of, render
from autoserum.web.unblinding import NOTICE, emergency_unblind
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_NAMES = {"unblind_reason", "unblind_confirm"}
_ALIASES = {"reason": "unblind_reason", "confirm": "unblind_confirm"}


@router.post(SUBJECT_PATH + "/unblind")
def unblind(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Emergency unblinding: a reason and an explicit confirmation; audited."""
    user.require("unblind")
    view = study_for(store, user, study)
    reason = optional_text(form, "unblind_reason")
    values = {"unblind_reason": reason or "", "_form": "unblind"}
    try:
        arm = emergency_unblind(
            store, user, view, subject_id, reason, form.get("unblind_confirm") == "yes"
        )
    except ValidationError as err:
        field = field_for(err, _NAMES, _ALIASES)
        return subject_page(
            request,
            store,
            user,
            study,
            subject_id,
            values=values,
            errors={field: shorten(error_text(err, language_of(request)))},
            status_code=422,
        )
    except StateError as err:
        return subject_page(
            request,
            store,
            user,
            study,
            subject_id,
            values=values,
            errors={FORM_WIDE: shorten(error_text(err, language_of(request)))},
            status_code=err.http_status,
        )
    response = render(
        request,
        "unblinded.html",
        {
            "study": view,
            "subject_id": subject_id,
            "arm": arm,
            "reason": reason,
            "notice": NOTICE,
            "base": SUBJECT_PATH.format(study=study, subject_id=subject_id),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response
