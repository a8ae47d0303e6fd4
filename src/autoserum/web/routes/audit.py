"""Page: the audit trail of a study, for a monitor's review: one row per change event (who,
when, which record, why) with the field differences beneath it (for an instrument's payload
only the items that changed), filtered in SQL (site, subject, author, record type, days), a
page at a time, with the filtered trail as a CSV download."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from autoserum.errors import Note
from autoserum.i18n import N_, message_text
from autoserum.store import DEFAULT_PAGE, change_events
from autoserum.study.aliquots import refusal_message
from autoserum.web.audittrail import AfterQuery, AuditFilterDep, LimitQuery, csv_lines, next_url
from autoserum.web.deps import PageUser, StoreDep
from autoserum.web.templating import language_of, render, translate
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


#: The audited record types that are not entities of the registry (whose names the catalog
#: already has), shown by the trail in the page's language.
_RECORD_TYPES = (
    N_("user"), N_("user_site"), N_("allocation_list"), N_("consent_document"), N_("consent"),
    N_("lock"), N_("query"), N_("query_message"), N_("verification"), N_("signature"),
    N_("protocol_version"),
)  # fmt: skip


def _reason(action: str, reason: str | None, language: str) -> str | None:
    """An event's reason as the page shows it: a refused injection's reason (stored in
    English, the audit's data) in the page's language, by its kind
    (:func:`~autoserum.study.aliquots.refusal_message`; a blinded reader's was worded without
    the product's source by the store); any other reason as recorded."""
    if reason is None or language == "en" or action != "refused":
        return reason
    if isinstance(reason, Note):
        return message_text(reason.text, language)
    return message_text(refusal_message(reason, blinded=False), language)


@router.get("/studies/{study}/audit")
def audit_page(
    request: Request,
    study: str,
    user: PageUser,
    store: StoreDep,
    where: AuditFilterDep,
    after: AfterQuery = 0,
    limit: LimitQuery = DEFAULT_PAGE,
) -> Response:
    """Who changed what, when, from which value to which, and why (oldest first)."""
    user.require("read_audit")
    view = study_for(store, user, study)
    page = store.audit.page(
        study, actor=user.actor, where=where, after=after, limit=limit, whole_events=True
    )
    events = [
        {
            "at": e.at.strftime("%Y-%m-%d %H:%M:%S"),
            "actor": f"{e.username} ({translate(request, e.role)})",
            "action": e.action,
            # the record type in the page's language, its id as recorded ("assessment 7")
            "record": f"{translate(request, e.entity).replace('_', ' ')} {e.record_id}",
            "subject_id": e.subject_id,
            "version": e.version,
            "reason": _reason(e.action, e.reason, language_of(request)),
            "changes": [
                {"field": c.field, "old": _show(c.old), "new": _show(c.new)} for c in e.changes
            ],
        }
        for e in change_events(page.records)
    ]
    scope = [
        translate(request, "site %(site)s", site=where.site) if where.site else "",
        translate(request, "subject %(subject)s", subject=where.subject_id)
        if where.subject_id
        else "",
        translate(request, "by %(user)s", user=where.username) if where.username else "",
        where.entity or "",
        str(where.record_id or ""),
        translate(request, "from %(day)s", day=where.since) if where.since else "",
        translate(request, "to %(day)s", day=where.until) if where.until else "",
    ]
    back = (
        f"/studies/{study}/subjects/{where.subject_id}" if where.subject_id else f"/studies/{study}"
    )
    query = request.url.remove_query_params(["after", "limit"]).query
    return render(
        request,
        "audit.html",
        {
            "study": view,
            "events": events,
            "where": where,
            "scope": " · ".join(p for p in scope if p)
            or translate(request, "study %(study)s", study=study),
            "back_url": back,
            "next_url": next_url(request, page.next_after),
            "first_url": None if not after else f"/studies/{study}/audit?{query}",
            "csv_url": f"/studies/{study}/audit/export.csv?{query}",
            "skipped": page.skipped,
        },
    )


@router.get("/studies/{study}/audit/export.csv")
def audit_csv(study: str, user: PageUser, store: StoreDep, where: AuditFilterDep) -> Response:
    """The (filtered) audit trail as a CSV download, streamed a page at a time."""
    user.require("read_audit")
    study_for(store, user, study)
    store.audit.page(study, actor=user.actor, where=where, limit=1)  # 404/422 before streaming
    return StreamingResponse(
        csv_lines(store, user, study, where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{study}.audit.csv"'},
    )
