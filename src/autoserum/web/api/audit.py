"""API: ``/api/v1/studies/{study}/audit``: the audit trail a page at a time (arm values masked
when blinded), filtered in SQL, and ``/audit/export.csv``, the filtered trail as streamed CSV.

Paging: ``limit`` (at most 1,000; more is refused with 422) and the cursor ``after`` (the id of
the last record read). The response carries ``Link: <…>; rel="next"`` while records remain.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from autoserum.store import MAX_PAGE
from autoserum.web.api._common import StudyPath
from autoserum.web.audittrail import AfterQuery, AuditFilterDep, LimitQuery, csv_lines, next_url
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.schemas import AuditPublic
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}/audit", tags=["audit"])

_CSV = {"content": {"text/csv": {}}, "description": "the audit trail as CSV"}


@router.get("", response_model=list[AuditPublic])
def audit_trail(
    study: StudyPath,
    user: ApiUser,
    store: StoreDep,
    request: Request,
    response: Response,
    where: AuditFilterDep,
    after: AfterQuery = 0,
    limit: LimitQuery = MAX_PAGE,
) -> list[AuditPublic]:
    """Who changed what, when, from which value to which, and why (oldest first), one page;
    the next page is in the ``Link`` header (``rel="next"``)."""
    user.require("read_audit")
    study_for(store, user, study)
    page = store.audit.page(study, actor=user.actor, where=where, after=after, limit=limit)
    following = next_url(request, page.next_after)
    if following is not None:
        response.headers["Link"] = f'<{following}>; rel="next"'
    if page.skipped:
        response.headers["X-Skipped-Malformed"] = str(page.skipped)
    return [
        AuditPublic(
            id=r.id,
            at=r.at,
            username=r.username,
            role=r.role,
            entity=r.entity,
            record_id=r.record_id,
            action=r.action,
            field=r.field,
            old_value=r.old_value,
            new_value=r.new_value,
            reason=r.reason,
            subject_id=r.subject_id,
        )
        for r in page.records
    ]


@router.get("/export.csv", response_class=StreamingResponse, responses={200: _CSV})
def audit_csv(
    study: StudyPath, user: ApiUser, store: StoreDep, where: AuditFilterDep
) -> StreamingResponse:
    """The (filtered) audit trail as CSV, streamed a page at a time."""
    user.require("read_audit")
    study_for(store, user, study)
    store.audit.page(study, actor=user.actor, where=where, limit=1)  # 404/422 before streaming
    return StreamingResponse(
        csv_lines(store, user, study, where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{study}.audit.csv"'},
    )
