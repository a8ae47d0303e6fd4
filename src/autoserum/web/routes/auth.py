"""Pages: ``GET/POST /login`` and ``POST /logout``."""

from __future__ import annotations

import functools

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from autoserum.i18n import N_
from autoserum.web.accounts import GENERIC_FAILURE, authenticate
from autoserum.web.deps import CsrfForm, SettingsDep, StoreDep
from autoserum.web.security import CSRF_FIELD, csrf_matches
from autoserum.web.sessions import end_session, flash, session_user, start_session
from autoserum.web.templating import render, translate

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local absolute paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/studies"


def _login_page(
    request: Request, *, message: str | None = None, username: str = "", next_url: str = ""
) -> Response:
    return render(
        request,
        "login.html",
        {
            "message": translate(request, message) if message else None,
            "username": username,
            "next_url": _safe_next(next_url),
        },
    )


@router.get("/login")
def login_form(
    request: Request, store: StoreDep, settings: SettingsDep, next: str = "/studies"
) -> Response:
    """The login page (already logged in: go to the studies)."""
    if session_user(request, store, settings):
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_url=next)


@router.post("/login")
async def login(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """Check the credentials; a failure re-shows the login page with a message."""
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    next_url = str(form.get("next") or "/studies")
    given = form.get(CSRF_FIELD)
    if not csrf_matches(request.session.get("csrf"), given if isinstance(given, str) else None):
        return _login_page(
            request,
            message=N_("The login form had expired; please log in again."),
            username=username,
            next_url=next_url,
        )
    if "\x00" in username + password:
        return _login_page(request, message=GENERIC_FAILURE, next_url=next_url)
    if not username or not password:
        return _login_page(
            request,
            message=N_("Enter your username and password."),
            username=username,
            next_url=next_url,
        )
    client = request.client.host if request.client else "unknown"
    limit = request.app.state.hashing
    outcome = await limit.run(
        functools.partial(
            authenticate, store, settings, username, password, client=client, limit=limit
        )
    )
    if outcome.user is None:
        return _login_page(request, message=outcome.message, username=username, next_url=next_url)
    await run_in_threadpool(start_session, request, store, settings, outcome.user.username)
    return RedirectResponse(_safe_next(next_url), status_code=303)


@router.post("/logout")
def logout(request: Request, store: StoreDep, form: CsrfForm) -> Response:
    """End the session and go back to the login page."""
    end_session(request, store)
    flash(request, translate(request, "You are logged out."))
    return RedirectResponse("/login", status_code=303)
