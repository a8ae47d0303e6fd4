"""The numbers of a study dashboard: CONSORT counts, enrolment by site, overdue visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from autoserum.i18n import N_
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
    consort_rows: list[tuple[str, str, int]]
    by_site: list[dict[str, Any]]
    overdue: list[dict[str, Any]]


def study_summary(
    store: Store, user: CurrentUser, view: StudyView, *, today: dt.date | None = None
) -> StudySummary:
    """The dashboard numbers over the subjects the user may see (arms pooled when blinded)."""
    flow = store.subjects.consort(view.name, actor=user.actor)
    # (label, arm, count): the label a message (translated on the page, the arm filled in)
    rows: list[tuple[str, str, int]] = [
        (N_("Assessed for eligibility"), "", flow.assessed),
        (N_("Excluded (screen failure)"), "", flow.excluded),
        (N_("In screening"), "", flow.in_screening),
        (N_("Enrolled and randomised"), "", flow.enrolled),
    ]
    if flow.consented is not None:
        rows[1:1] = [(N_("Gave informed consent"), "", flow.consented)]
        rows.append((N_("Withdrew consent"), "", flow.consent_withdrawn or 0))
    for arm, counts in sorted(flow.arms.items()):
        if arm == "blinded":
            labels = (
                N_("Allocated, all arms (blinded)"),
                N_("Active, all arms (blinded)"),
                N_("Withdrawn, all arms (blinded)"),
                N_("Completed, all arms (blinded)"),
            )
        else:
            labels = (
                N_("Allocated, arm %(arm)s"),
                N_("Active, arm %(arm)s"),
                N_("Withdrawn, arm %(arm)s"),
                N_("Completed, arm %(arm)s"),
            )
        numbers = (counts.allocated, counts.active, counts.withdrawn, counts.completed)
        rows += [(label, arm, n) for label, n in zip(labels, numbers, strict=True)]
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
