"""Jinja2 templates of the pages, with the context every page needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from autoserum.web.formflow import banner
from autoserum.web.sessions import csrf_token, pop_flash

__all__ = ["render", "templates"]

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render template ``name`` with the user, CSRF token and flash message added.

    A page showing a refused form passes ``errors`` (field → message) and ``labels`` (field →
    label, in the form's order); the error banner at the top of every page is built from them.
    """
    ctx: dict[str, Any] = {
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "flash": pop_flash(request),
    }
    ctx.update(context or {})
    ctx["form_errors"] = banner(ctx.get("errors") or {}, ctx.get("labels") or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
