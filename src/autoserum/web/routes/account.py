"""Page: "My account", for every user: change one's own password (the current one re-entered;
the new one under the password policy; every session and API token of the user ends, so the
user logs in again) and see, issue and revoke one's own API tokens. The rules are the store's
(``store.accounts.update_user``, ``create_api_token``, ``revoke_api_token``: a user may change
only their own password and revoke only their own tokens) and :mod:`autoserum.accounts`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from autoserum.accounts import check_password, hash_password, hash_token, new_token, verify_password
from autoserum.errors import Expected, Message, NotFoundError, ValidationError
from autoserum.i18n import N_, check_language, error_text, negotiate
from autoserum.store import Store
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import submit
from autoserum.web.recordforms import optional_text
from autoserum.web.routes.admin import issued_token_page, token_expiry
from autoserum.web.sessions import end_session, flash
from autoserum.web.templating import language_of, render, translate

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_LABELS = {
    "current_password": N_("Current password"),
    "new_password": N_("New password"),
    "confirm_password": N_("New password again"),
    "label": N_("Token label"),
    "expires_days": N_("Expires after (days)"),
    "language": N_("Language of my pages"),
}


def _page(
    request: Request,
    store: Store,
    user: CurrentUser,
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "account.html",
        {
            "tokens": store.accounts.api_tokens(user.username, actor=user.actor),
            "account": store.accounts.get_user(user.username),
            "values": values or {},
            "errors": errors or {},
            "labels": _LABELS,
        },
        status_code=status_code,
    )


@router.get("/account")
def account(request: Request, user: PageUser, store: StoreDep) -> Response:
    """My account: the password form and my API tokens."""
    return _page(request, store, user)


@router.post("/account/password")
def change_password(request: Request, user: PageUser, store: StoreDep, form: CsrfForm) -> Response:
    """Change my password: every session and API token of mine ends (log in again)."""
    current = str(form.get("current_password") or "")
    new = str(form.get("new_password") or "")
    again = str(form.get("confirm_password") or "")

    def run() -> str:
        record = store.accounts.get_user(user.username)
        with request.app.state.hashing.slot():
            right = record is not None and verify_password(record.password_hash, current)
        if not right:
            raise ValidationError("current_password", "<hidden>", Expected("your current password"))
        if new != again:
            raise ValidationError(
                "confirm_password", "<hidden>", Expected("the new password once more")
            )
        check_password(new, context=[user.username])
        with request.app.state.hashing.slot():
            hashed = hash_password(new)
        store.accounts.update_user(
            user.username, {"password_hash": hashed}, actor=user.actor,
            reason="password changed by its owner",
        )  # fmt: skip
        return translate(
            request,
            "Password changed: every session and API token of yours has ended; log in again.",
        )

    def redisplay(typed: Mapping[str, str], errs: Mapping[str, str], code: int) -> Response:
        return _page(request, store, user, errors=errs, status_code=code)

    response = submit(
        request,
        values={},
        names=set(_LABELS),
        action=run,
        redisplay=redisplay,
        success_url="/login",
        aliases={"password": "new_password"},
    )
    if isinstance(response, RedirectResponse):  # the session ended in the store: log out here
        message = request.session.get("flash")
        end_session(request, store)
        if isinstance(message, str):
            flash(request, message)
    return response


@router.post("/account/language")
def choose_language(request: Request, user: PageUser, store: StoreDep, form: CsrfForm) -> Response:
    """Choose the language of my pages (empty: the browser's), audited as a change of mine."""
    chosen = str(form.get("language") or "").strip()
    try:
        language = check_language("language", chosen) if chosen else None
    except ValidationError as err:
        return _page(
            request,
            store,
            user,
            errors={"language": error_text(err, language_of(request))},
            status_code=422,
        )
    store.accounts.update_user(
        user.username, {"language": language}, actor=user.actor,
        reason="language chosen by its owner",
    )  # fmt: skip
    request.state.language = language or negotiate(request.headers.get("accept-language"))
    flash(request, translate(request, "Language saved."))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens")
def issue_own_token(request: Request, user: PageUser, store: StoreDep, form: CsrfForm) -> Response:
    """Issue a personal API token for myself: shown once."""
    try:
        expires = token_expiry(form)
    except ValidationError as err:
        values = {"label": optional_text(form, "label") or ""}
        return _page(
            request,
            store,
            user,
            errors={"expires_days": error_text(err, language_of(request))},
            values=values,
            status_code=422,
        )
    token = new_token()
    store.accounts.create_api_token(
        user.username, hash_token(token), actor=user.actor,
        label=optional_text(form, "label") or "", expires_at=expires,
    )  # fmt: skip
    return issued_token_page(request, user.username, token, "/account")


@router.post("/account/tokens/{token_id}/revoke")
def revoke_own_token(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: PageUser,
    store: StoreDep,
    form: CsrfForm,
) -> Response:
    """Revoke one of my API tokens (another user's token is not found)."""
    mine = {t.id for t in store.accounts.api_tokens(user.username, actor=user.actor)}
    if token_id not in mine:
        raise NotFoundError(Message("no API token %(token_id)s of yours", token_id=token_id))
    store.accounts.revoke_api_token(token_id, actor=user.actor)
    flash(request, translate(request, "API token %(id)s revoked.", id=token_id))
    return RedirectResponse("/account", status_code=303)
