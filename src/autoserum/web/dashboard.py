"""The numbers of a study dashboard: CONSORT counts, enrolment by site, overdue visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from autoserum.store import Store
from autoserum.study.status import ACTIVE_STATUSES
from autoserum.web.calendar import calendar
from autoserum.web.deps import CurrentUser
from autoserum.web.views import StudyView

__all__ = ["StudySummary", "study_summary"]


@dataclass(frozen=True)
class StudySummary:
    consort: dict[str, Any]
    consort_rows: list[tuple[str, int]]
    by_site: list[dict[str, Any]]
    overdue: list[dict[str, Any]]


def study_summary(
    store: Store, user: CurrentUser, view: StudyView, *, today: dt.date | None = None
) -> StudySummary:
    """The dashboard numbers over the subjects the user may see (arms pooled when blinded)."""
    flow = store.subjects.consort(view.name, actor=user.actor)
    rows: list[tuple[str, int]] = [
        ("Assessed for eligibility", flow.assessed),
        ("Excluded (screen failure)", flow.excluded),
        ("In screening", flow.in_screening),
        ("Enrolled and randomised", flow.enrolled),
    ]
    for arm, counts in sorted(flow.arms.items()):
        label = "all arms (blinded)" if arm == "blinded" else f"arm {arm}"
        rows += [
            (f"Allocated, {label}", counts.allocated),
            (f"Active, {label}", counts.active),
            (f"Withdrawn, {label}", counts.withdrawn),
            (f"Completed, {label}", counts.completed),
        ]
    per_site = store.subjects.site_counts(view.name, actor=user.actor)
    zero = {"screened": 0, "enrolled": 0, "withdrawn": 0}
    by_site = [
        {"site": site, **per_site.get(site, zero)}
        for site in sorted(set(view.sites) | set(per_site))
    ]
    overdue = []
    # subject identifiers and dates only for who may read subjects (least disclosure: the
    # statistician's dashboard has aggregates only)
    subjects = store.subjects.all(view.name, actor=user.actor) if user.can("read_subject") else []
    for s in subjects:
        if s.status not in ACTIVE_STATUSES:
            continue
        detail = store.subjects.detail(view.name, s.subject_id, actor=user.actor)
        for row in calendar(view.protocol, detail, today=today):
            if row.flag == "overdue":
                closed = row.latest or row.target
                overdue.append(
                    {
                        "subject_id": s.subject_id,
                        "site": s.site,
                        "visit": row.label,
                        "latest": closed,
                        "days": row.flag_label.removeprefix("overdue "),
                    }
                )
    return StudySummary(flow.to_dict(), rows, by_site, overdue)
