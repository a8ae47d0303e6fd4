"""Pages: locks. ``GET /studies/{study}/locks`` lists the study's locks (the database lock
with its manifest); ``POST .../database-lock`` locks the database (admin), ``POST
.../locks/{lock_id}/unlock`` lifts a lock (admin, a reason) and ``POST
/studies/{study}/subjects/{subject_id}/locks`` locks a subject's data or one of its visits
(monitor, admin). The rules live in the store (``store.locks``, :mod:`autoserum.study.locks`);
these routes parse the form and render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from autoserum.errors import Expected, ValidationError
from autoserum.i18n import N_
from autoserum.store import Store
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import page_redisplay, submit_form
from autoserum.web.recordforms import optional_text
from autoserum.web.routes.subjects import SUBJECT_PATH, subject_page
from autoserum.web.templating import render, translate
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

LockId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_LABELS = {
    "db_lock_reason": N_("Reason for the database lock"),
    "sap_sha256": N_("SHA-256 of the analysis plan"),
    "unlock_reason": N_("Reason for lifting the lock"),
}


def _locks_page(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user.require("read_subject")
    view = study_for(store, user, study)
    locks = store.locks.visible(study, actor=user.actor)
    return render(
        request,
        "locks.html",
        {
            "study": view,
            "locks": [lk.to_dict() for lk in locks],
            "database_locked": any(lk.active and lk.level == "study" for lk in locks),
            "can_lock_database": user.can("lock_database"),
            "values": values or {},
            "errors": errors or {},
            "labels": _LABELS,
        },
        status_code=status_code,
    )


@router.get("/studies/{study}/locks")
def locks_page(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """The study's locks, active and lifted; the database lock's manifest."""
    return _locks_page(request, store, user, study)


def _on_locks_page(
    request: Request, store: Store, user: CurrentUser, study: str, form: CsrfForm, run: Any
) -> Response:
    return submit_form(
        request,
        form,
        names=_LABELS,
        action=run,
        redisplay=page_redisplay(_locks_page, request, store, user, study),
        success_url=f"/studies/{study}/locks",
        aliases={"reason": "db_lock_reason", "sap_sha256": "sap_sha256"},
    )


@router.post("/studies/{study}/database-lock")
def lock_database(
    request: Request, study: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Lock the database (admin): the audit chain verified, the manifest recorded."""
    user.require("lock_database")
    study_for(store, user, study)

    def run() -> str:
        lock = store.locks.lock(
            study,
            "study",
            actor=user.actor,
            reason=optional_text(form, "db_lock_reason") or "",
            sap_sha256=optional_text(form, "sap_sha256"),
        )
        head = lock.manifest.get("audit_chain", {}).get("head_hash", "")
        return translate(
            request, "Database of %(study)s locked (lock %(id)s); audit chain head %(head)s.",
            study=study, id=lock.id, head=head,
        )  # fmt: skip

    return _on_locks_page(request, store, user, study, form, run)


@router.post("/studies/{study}/locks/{lock_id}/unlock")
def unlock(
    request: Request, study: str, lock_id: LockId, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Lift a lock (admin), with a reason kept in the audit trail."""
    user.require("lock_database")
    study_for(store, user, study)

    def run() -> str:
        reason = optional_text(form, "unlock_reason") or ""
        try:
            store.locks.unlock(study, lock_id, actor=user.actor, reason=reason)
        except ValidationError as err:
            raise ValidationError("unlock_reason", err.value, err.expectation) from err
        return translate(request, "Lock %(id)s lifted.", id=lock_id)

    return _on_locks_page(request, store, user, study, form, run)


@router.post(SUBJECT_PATH + "/locks")
def lock_subject_data(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Lock the subject's data (``lock_level=subject``) or one of its visits (``visit``)."""
    user.require("lock")
    study_for(store, user, study)

    def run() -> str:
        level = optional_text(form, "lock_level") or "subject"
        if level not in ("subject", "visit"):
            raise ValidationError("lock_level", level, Expected("subject or visit"))
        visit = optional_text(form, "lock_visit_code") if level == "visit" else None
        if level == "visit" and visit is None:
            raise ValidationError("lock_visit_code", None, Expected("the visit to lock"))
        try:
            lock = store.locks.lock(
                study,
                level,
                actor=user.actor,
                reason=optional_text(form, "lock_reason") or "",
                subject_id=subject_id,
                visit_code=visit,
            )
        except ValidationError as err:
            field = {"reason": "lock_reason", "visit_code": "lock_visit_code"}
            raise ValidationError(
                field.get(err.field, err.field), err.value, err.expectation
            ) from err
        if visit:
            return translate(
                request, "%(subject)s: visit %(visit)s locked (lock %(id)s).",
                subject=subject_id, visit=visit, id=lock.id,
            )  # fmt: skip
        return translate(
            request, "%(subject)s: data locked (lock %(id)s).", subject=subject_id, id=lock.id
        )

    return submit_form(
        request,
        form,
        names={"lock_level", "lock_visit_code", "lock_reason"},
        action=run,
        redisplay=page_redisplay(
            subject_page, request, store, user, study, subject_id, extra={"_form": "lock"}
        ),
        success_url=SUBJECT_PATH.format(study=study, subject_id=subject_id),
    )
