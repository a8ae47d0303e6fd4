"""A subject's visit calendar, overdue visits and severity trajectory, from the protocol and
what the store recorded.

Day 0 is the first injection (else the baseline visit), as in :mod:`autoserum.protocols`.
Flags: ``done`` (in window), ``window`` (recorded outside its window), ``due`` (window open),
``overdue`` (window closed, not recorded), ``missed`` (not recorded and a later visit was).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from autoserum.display import exact_number
from autoserum.i18n import N_
from autoserum.instruments import get_instrument
from autoserum.protocols import Protocol, window_bounds
from autoserum.store import VisitProgress
from autoserum.study.model import SubjectDetail
from autoserum.study.status import ACTIVE_STATUSES

__all__ = [
    "CalendarRow",
    "InstrumentCell",
    "calendar",
    "day0_of",
    "overdue_visits",
    "trajectory",
]


@dataclass(frozen=True)
class InstrumentCell:
    """An instrument planned at a visit, with its recorded assessment if any."""

    code: str
    record_id: int | None = None
    total: str = ""


@dataclass(frozen=True)
class CalendarRow:
    """One planned visit of the subject's calendar."""

    code: str
    label: str
    day: int
    target: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    actual: dt.date | None
    flag: str | None
    flag_label: str
    instruments: list[InstrumentCell] = field(default_factory=list)
    visit_id: int | None = None
    flag_days: int | None = None  # days outside the window, or overdue (for the page's label)


def _flag_days(flag: str | None, visit: Any, today: dt.date, closed: dt.date | None) -> int | None:
    if flag == "window" and visit is not None:
        return int(visit.deviation_days)
    if flag == "overdue" and closed is not None:
        return (today - closed).days
    return None


def day0_of(detail: SubjectDetail) -> dt.date | None:
    """Day 0 of a subject: the first injection, else the visit planned on day 0."""
    given: list[dt.date] = [i.given_on for i in detail.injections]
    if given:
        return min(given)
    for visit in detail.visits:
        if visit.day == 0 and visit.visit_date is not None:
            day0: dt.date = visit.visit_date
            return day0
    return None


def calendar(
    protocol: Protocol, detail: SubjectDetail, *, today: dt.date | None = None
) -> list[CalendarRow]:
    """The visit calendar of a subject with flags as of ``today`` (UTC date by default)."""
    today = today or dt.datetime.now(dt.UTC).date()
    day0 = day0_of(detail)
    recorded = {v.visit_code: v for v in detail.visits}
    by_visit: dict[tuple[int, str], tuple[int, str]] = {}
    for a in detail.assessments:
        total = "" if a.total is None else exact_number(a.total)
        by_visit[(a.visit_id, a.instrument)] = (a.id, total)
    active = detail.subject.status in ACTIVE_STATUSES
    last_recorded_day = max((v.day for v in detail.visits if v.day is not None), default=None)
    rows = []
    for plan in protocol.visits:
        visit = recorded.get(plan.code)
        target = earliest = latest = None
        if day0 is not None:
            target, earliest, latest = window_bounds(plan, day0)
        flag: str | None
        if visit is not None:
            if visit.deviation_days is not None:
                flag, label = "window", f"outside window ({visit.deviation_days:+d} d)"
            else:
                flag, label = "done", N_("done")
        else:
            flag, label = _unrecorded(plan.day, last_recorded_day, active, target, earliest,
                                      latest, today)  # fmt: skip
        cells = []
        for code in plan.instruments:
            found = by_visit.get((visit.id, code)) if visit is not None else None
            cells.append(
                InstrumentCell(code, found[0], found[1]) if found else InstrumentCell(code)
            )
        rows.append(
            CalendarRow(
                code=plan.code,
                label=plan.label,
                day=plan.day,
                target=target,
                earliest=earliest,
                latest=latest,
                actual=visit.visit_date if visit is not None else None,
                flag=flag,
                flag_label=label,
                flag_days=_flag_days(flag, visit, today, latest or target),
                instruments=cells,
                visit_id=visit.id if visit is not None else None,
            )
        )
    return rows


def _unrecorded(  # noqa: PLR0917 - the inputs of one rule, shared by two callers
    day: int,
    last_recorded_day: int | None,
    active: bool,
    target: dt.date | None,
    earliest: dt.date | None,
    latest: dt.date | None,
    today: dt.date,
) -> tuple[str | None, str]:
    """The flag of a planned visit not recorded: missed (a later one was), overdue (its window
    closed), due (its window is open) or none."""
    if last_recorded_day is not None and day < last_recorded_day:
        return "missed", N_("missed")
    if active and target is not None and (latest or target) < today:
        return "overdue", f"overdue {(today - (latest or target)).days} d"
    if active and target is not None and (earliest or target) <= today:
        return "due", N_("due")
    return None, ""


def overdue_visits(
    protocol: Protocol, progress: VisitProgress, *, today: dt.date
) -> list[tuple[str, dt.date, str]]:
    """The overdue visits of an active subject from its progress (``store.subjects.
    visit_progress``), by the calendar's rule: (visit label, the day its window closed, the
    "N d" overdue), in protocol order."""
    out = []
    for plan in protocol.visits:
        if plan.code in progress.recorded or progress.day0 is None:
            continue
        target, earliest, latest = window_bounds(plan, progress.day0)
        flag, label = _unrecorded(plan.day, progress.last_day, True, target, earliest, latest,
                                  today)  # fmt: skip
        if flag == "overdue":
            out.append((plan.label, latest or target, label.removeprefix("overdue ")))
    return out


def trajectory(
    detail: SubjectDetail,
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, float]]:
    """(series, maxima) of the scored assessments by study day, for the SVG chart."""
    day_of = {v.id: v.day for v in detail.visits}
    series: dict[str, list[tuple[float, float]]] = {}
    for a in detail.assessments:
        day = day_of.get(a.visit_id)
        if a.total is None or day is None:
            continue
        series.setdefault(a.instrument, []).append((float(day), float(Fraction(a.total))))
    maxima = {}
    for code in series:
        maximum = get_instrument(code).maximum
        maxima[code] = float(maximum) if maximum is not None else 1.0
    return series, maxima
