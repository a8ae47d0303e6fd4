"""The numbers of a study dashboard: CONSORT counts, enrolment by site, overdue visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from autoserum.store import Store
from autoserum.web.calendar import overdue_visits
from autoserum.web.deps import CurrentUser
from autoserum.web.views import StudyView

__all__ = ["StudySummary", "study_summary"]


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


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
    if flow.consented is not None:
        rows[1:1] = [("Gave informed consent", flow.consented)]
        rows.append(("Withdrew consent", flow.consent_withdrawn or 0))
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
    # subject identifiers and dates only for who may read subjects (least disclosure: the
    # statistician's dashboard has aggregates only); the schedule positions are aggregated in
    # SQL over the study, not read subject by subject
    progress = (
        store.subjects.visit_progress(view.name, actor=user.actor)
        if user.can("read_subject")
        else []
    )
    overdue = [
        {
            "subject_id": p.subject_id,
            "site": p.site,
            "visit": label,
            "latest": closed,
            "days": days,
        }
        for p in progress
        for label, closed, days in overdue_visits(view.protocol, p, today=today or _utc_today())
    ]
    return StudySummary(flow.to_dict(), rows, by_site, overdue)
