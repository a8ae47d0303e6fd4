"""Pages: lesion photographs (the subject page's gallery and upload) and the blinded central
rating (issue 13 item 5; docs/photos.md).

``POST /studies/{study}/subjects/{subject_id}/photos`` uploads a photograph (``write_data``);
``GET .../photos/{photo_id}`` serves one to readers of the subject. ``/rating`` lists the
studies a central rater rates; ``/studies/{study}/rating`` the study's coded photographs in the
rater's random order; ``/studies/{study}/rating/{code}`` shows one (its image without EXIF and
nothing else) with the rating form (``rate_photos``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from autoserum.i18n import N_
from autoserum.store import Store
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, SettingsDep, StoreDep
from autoserum.web.formflow import submit
from autoserum.web.routes.subjects import PHOTO_LABELS, subject_page
from autoserum.web.templating import render, translate
from autoserum.web.views import study_for, visible_studies

__all__ = ["RATING_LABELS", "router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_SUBJECT = "/studies/{study}/subjects/{subject_id}"
_RATING = "/studies/{study}/rating"
RATING_LABELS: dict[str, str] = {
    "erythema": N_("Erythema (0-3)"),
    "induration": N_("Oedema/induration/papulation (0-3)"),
    "excoriation": N_("Excoriation (0-3)"),
    "lichenification": N_("Lichenification (0-3)"),
    "area": N_("Area score (0-6)"),
    "viga_grade": N_("vIGA-AD grade (0-4)"),
}
"""The rating form's fields and labels."""
SIGN_OPTIONS = [(v, v) for v in ("0", "1", "1.5", "2", "2.5", "3")]
AREA_OPTIONS = [(str(v), f"{v}") for v in range(7)]
GRADE_OPTIONS = [
    ("0", N_("0 clear")), ("1", N_("1 almost clear")), ("2", N_("2 mild")),
    ("3", N_("3 moderate")), ("4", N_("4 severe")),
]  # fmt: skip


def _image(data: bytes, media_type: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


# --- the subject page's photographs --------------------------------------------------------
@router.post(_SUBJECT + "/photos")
async def upload_photo(
    request: Request,
    study: str,
    subject_id: str,
    user: PageUser,
    store: StoreDep,
    settings: SettingsDep,
    form: CsrfForm,
) -> Response:
    """Upload a photograph of a visit and body region (re-encoded without metadata)."""
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    upload = form.get("photo_file")
    try:
        data = await upload.read() if isinstance(upload, UploadFile) else b""
    finally:
        await form.close()  # the spooled upload is closed whatever happens next
    user.require("write_data")

    def action() -> str:
        photo = store.photos.upload(
            study, subject_id, values.get("photo_visit_code", ""),
            values.get("photo_region", ""), data, actor=user.actor,
            max_bytes=settings.max_upload_bytes,
        )  # fmt: skip
        return translate(request, "Photograph stored (SHA-256 %(hash)s…).", hash=photo.sha256[:12])

    def redisplay(typed: Any, errors: Any, status_code: int) -> Response:
        return subject_page(
            request, store, user, study, subject_id,
            values={**typed, "_form": "photos"}, errors=dict(errors), status_code=status_code,
        )  # fmt: skip

    return submit(
        request,
        values=values,
        names=PHOTO_LABELS,
        action=action,
        redisplay=redisplay,
        success_url=_SUBJECT.format(study=study, subject_id=subject_id) + "#photos-h",
        aliases={
            "photo": "photo_file",
            "consent": "photo_file",
            "visit": "photo_visit_code",
            "region": "photo_region",
        },
    )


@router.get(_SUBJECT + "/photos/{photo_id}")
def photo_image(
    study: str, subject_id: str, photo_id: int, user: PageUser, store: StoreDep
) -> Response:
    """One of the subject's photographs (readers of the subject; 404 out of reach)."""
    user.require("read_subject")
    data, media_type = store.photos.image(study, subject_id, photo_id, actor=user.actor)
    return _image(data, media_type)


# --- the blinded central rater -------------------------------------------------------------
@router.get("/rating")
def rating_studies(request: Request, user: PageUser, store: StoreDep) -> Response:
    """The studies whose photographs the rater rates."""
    user.require("rate_photos")
    names = [v.name for v in visible_studies(store, user) if user.may("rate_photos", v.name)]
    return render(request, "rating_studies.html", {"studies": names})


def _queue_page(request: Request, store: Store, user: CurrentUser, study: str) -> Response:
    user.require("rate_photos")
    study_for(store, user, study)
    queue = store.photos.queue(study, actor=user.actor)
    return render(
        request,
        "rating.html",
        {
            "study_name": study,
            "photos": queue,
            "done": sum(p.rated for p in queue),
        },
    )


@router.get(_RATING)
def rating_queue(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """The study's coded photographs in the rater's random order (no identity)."""
    return _queue_page(request, store, user, study)


def _photo_page(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    code: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user.require("rate_photos")
    photo = store.photos.coded(study, code, actor=user.actor)
    queue = store.photos.queue(study, actor=user.actor)
    following = next((p.code for p in queue if not p.rated and p.code != code), None)
    return render(
        request,
        "rating_photo.html",
        {
            "study_name": study,
            "photo": photo,
            "next_code": following,
            "sign_options": SIGN_OPTIONS,
            "area_options": AREA_OPTIONS,
            "grade_options": [(v, translate(request, label)) for v, label in GRADE_OPTIONS],
            "values": values or {},
            "errors": errors or {},
            "labels": RATING_LABELS,
        },
        status_code=status_code,
    )


@router.get(_RATING + "/{code}")
def rating_photo(
    request: Request, study: str, code: str, user: PageUser, store: StoreDep
) -> Response:
    """One coded photograph with the rating form."""
    return _photo_page(request, store, user, study, code)


@router.get(_RATING + "/{code}/image")
def rating_image(study: str, code: str, user: PageUser, store: StoreDep) -> Response:
    """A coded photograph's image (re-encoded at upload: no EXIF, no GPS)."""
    user.require("rate_photos")
    data, media_type = store.photos.coded_image(study, code, actor=user.actor)
    return _image(data, media_type)


@router.post(_RATING + "/{code}")
def rate_photo(
    request: Request, study: str, code: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record the rater's scores of one coded photograph."""
    user.require("rate_photos")
    values = {k: str(v) for k, v in form.items() if k in RATING_LABELS}

    def action() -> str:
        store.photos.rate(study, code, values, actor=user.actor)
        return translate(request, "Rating of %(code)s saved.", code=code)

    def redisplay(typed: Any, errors: Any, status_code: int) -> Response:
        return _photo_page(
            request, store, user, study, code,
            values=dict(typed), errors=dict(errors), status_code=status_code,
        )  # fmt: skip

    return submit(
        request,
        values=values,
        names=RATING_LABELS,
        action=action,
        redisplay=redisplay,
        success_url=_RATING.format(study=study),
    )
