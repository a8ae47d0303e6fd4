"""The audit trail at the web edge: the filter parameters shared by the page, the API and the
CSV export (parsed once, into :class:`autoserum.store.AuditFilter`), the cursor link of the next
page, and the CSV export streamed one page at a time (constant memory, text cells neutralised
against spreadsheet formulas).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BeforeValidator

from autoserum.store import MAX_PAGE, AuditFilter, AuditRecord, Store
from autoserum.study.tidy import neutralise_cell
from autoserum.web.deps import CurrentUser

__all__ = [
    "CSV_COLUMNS",
    "AfterQuery",
    "AuditFilterDep",
    "LimitQuery",
    "audit_filter",
    "csv_lines",
    "next_url",
]

CSV_COLUMNS = (
    "id", "at", "username", "role", "subject_id", "entity", "record_id", "action", "field",
    "old_value", "new_value", "reason",
)  # fmt: skip
"""The columns of the audit trail's CSV export (``old_value``/``new_value`` as JSON text)."""

_OR_BLANK = r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,49})?$"
_BLANK = BeforeValidator(lambda value: None if value == "" else value)
"""A field left empty in the page's filter form (the browser sends ``name=``) means no filter
(the text fields' patterns accept the empty text for the same reason)."""


def audit_filter(
    *,
    site: Annotated[str | None, Query(pattern=_OR_BLANK, description="a site code")] = None,
    subject_id: Annotated[str | None, Query(pattern=_OR_BLANK)] = None,
    username: Annotated[str | None, Query(max_length=100, description="the author")] = None,
    entity: Annotated[str | None, Query(pattern=r"^[a-z_]{0,30}$")] = None,
    record_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    since: Annotated[dt.date | None, _BLANK, Query(description="first UTC day (inclusive)")] = None,
    until: Annotated[dt.date | None, _BLANK, Query(description="last UTC day (inclusive)")] = None,
) -> AuditFilter:
    """The audit filter of a request's query (422 naming the parameter when invalid)."""
    return AuditFilter(
        site=site or None,
        subject_id=subject_id or None,
        username=username or None,
        entity=entity or None,
        record_id=record_id,
        since=since,
        until=until,
    )


AuditFilterDep = Annotated[AuditFilter, Depends(audit_filter)]
AfterQuery = Annotated[int, Query(ge=0, le=2**63 - 1, description="cursor: last id read")]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most {MAX_PAGE}")]


def next_url(request: Request, after: int | None) -> str | None:
    """The URL of the next page (the same query with ``after`` moved), ``None`` on the last."""
    if after is None:
        return None
    url = request.url.include_query_params(after=after)
    return f"{url.path}?{url.query}"


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_cell(value)
    return value


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _row(r: AuditRecord) -> list[Any]:
    data = r.to_json()
    data["old_value"] = _json(r.old_value)
    data["new_value"] = _json(r.new_value)
    return [_cell(data[c]) for c in CSV_COLUMNS]


def csv_lines(
    store: Store, user: CurrentUser, study: str, where: AuditFilter, *, batch: int = 200
) -> Iterator[str]:
    """The audit trail as CSV text, a header and then one chunk per ``batch`` records, read
    one page (one short read transaction) at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    records = store.audit.pages(study, actor=user.actor, where=where, limit=MAX_PAGE)
    for count, record in enumerate(records, start=1):
        writer.writerow(_row(record))
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
