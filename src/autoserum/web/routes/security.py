"""Page: the security-event stream (logins, failed logins, lockouts, tokens, password changes,
exports, unblinding views), for admins: newest first, filtered by kind and user, a page at a
time (keyset cursor, like the audit trail's page)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from autoserum.store.models import SECURITY_EVENTS
from autoserum.web.deps import PageUser, StoreDep
from autoserum.web.templating import render

__all__ = ["PAGE", "router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE = 200
"""Events per page unless ``limit`` says otherwise (at most 1,000)."""


@router.get("/admin/security-events")
def security_events_page(
    request: Request,
    user: PageUser,
    store: StoreDep,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{0,40}$")] = None,
    username: Annotated[str | None, Query(max_length=100)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE,
) -> Response:
    """Who logged in, failed, was locked out, made or revoked a token, exported or viewed an
    unblinding, and when (newest first)."""
    user.require("manage_users")
    events = store.events.events(
        actor=user.actor,
        kind=kind or None,
        username=username or None,
        before=before,
        limit=limit + 1,  # one more than shown: is there an older page?
    )
    more = len(events) > limit
    events = events[1:] if more else events  # oldest first: the extra one is the oldest
    rows = [
        {
            "id": e.id,
            "at": e.at.strftime("%Y-%m-%d %H:%M:%S"),
            "kind": e.kind,
            "username": e.username or "",
            "actor": e.actor or "",
            "client": e.client or "",
            "detail": "" if e.detail is None else json.dumps(e.detail, ensure_ascii=False),
        }
        for e in reversed(events)
    ]
    older = None  # relative links (never built from the Host header)
    if more:
        url = request.url.include_query_params(before=events[0].id)
        older = f"{url.path}?{url.query}"
    first = None
    if before is not None:
        url = request.url.remove_query_params(["before"])
        first = f"{url.path}?{url.query}" if url.query else url.path
    return render(
        request,
        "security_events.html",
        {
            "events": rows,
            "kinds": SECURITY_EVENTS,
            "kind": kind or "",
            "username": username or "",
            "older_url": older,
            "first_url": first,
        },
    )
