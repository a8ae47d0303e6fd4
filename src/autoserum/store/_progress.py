"""Where each active subject of a study stands in its visit schedule, aggregated in SQL for
the dashboard (one query per aggregate over the study, not one look-up per subject): day 0, the
visits recorded and the latest study day recorded. The flags (overdue, missed) are decided by
the calendar's rule from these (``web/calendar.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autoserum.store.models import InjectionRow, SiteRow, StudyRow, SubjectRow, VisitRow
from autoserum.study.status import ACTIVE_STATUSES

__all__ = ["VisitProgress", "visit_progress"]


@dataclass(frozen=True)
class VisitProgress:
    """One active subject's place in the schedule: day 0 (the first injection, else the dated
    visit planned on day 0), the visit codes recorded and the latest study day recorded."""

    subject_id: str
    site: str
    day0: date | None
    recorded: frozenset[str]
    last_day: int | None


def visit_progress(
    s: Session, st: StudyRow, may_read: Callable[[str], bool]
) -> list[VisitProgress]:
    """The progress of the active subjects of ``st`` at the sites ``may_read`` accepts, by
    subject identifier."""
    injected = (
        select(InjectionRow.subject_pk, func.min(InjectionRow.given_on).label("first"))
        .where(InjectionRow.study_id == st.id)
        .group_by(InjectionRow.subject_pk)
        .subquery()
    )
    visits = (
        select(
            VisitRow.subject_pk,
            func.min(VisitRow.visit_date)
            .filter(VisitRow.day == 0, VisitRow.visit_date.is_not(None))
            .label("day0"),
            func.max(VisitRow.day).label("last_day"),
        )
        .where(VisitRow.study_id == st.id)
        .group_by(VisitRow.subject_pk)
        .subquery()
    )
    rows = s.execute(
        select(
            SubjectRow.id,
            SubjectRow.subject_id,
            SiteRow.code,
            injected.c.first,
            visits.c.day0,
            visits.c.last_day,
        )
        .join(SiteRow, SiteRow.id == SubjectRow.site_id)
        .outerjoin(injected, injected.c.subject_pk == SubjectRow.id)
        .outerjoin(visits, visits.c.subject_pk == SubjectRow.id)
        .where(
            SubjectRow.study_id == st.id,
            SubjectRow.status.in_([x.value for x in ACTIVE_STATUSES]),
        )
        .order_by(SubjectRow.subject_id)
    ).all()
    rows = [r for r in rows if may_read(r.code)]
    codes: dict[int, set[str]] = {}
    for pk, code in s.execute(
        select(VisitRow.subject_pk, VisitRow.visit_code).where(VisitRow.study_id == st.id)
    ):
        codes.setdefault(pk, set()).add(code)
    return [
        VisitProgress(
            subject_id=r.subject_id,
            site=r.code,
            day0=_as_date(r.first) or _as_date(r.day0),
            recorded=frozenset(codes.get(r.id, ())),
            last_day=r.last_day,
        )
        for r in rows
    ]


def _as_date(value: date | str | None) -> date | None:
    """A date from an aggregate (SQLite returns the stored text of ``min`` over a date)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
