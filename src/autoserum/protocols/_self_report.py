"""The protocol's self-report section: which patient-reported outcomes are due when, and the
pure calendar of one subject's self-report (due, done, missed, late, compliance).

In a protocol file::

    [self_report]
    show_score = false            # the patient never sees a score unless this says so

    [[self_report.schedules]]     # a daily diary between the visits
    instrument = "pp_nrs"
    frequency = "daily"           # daily | weekly | visit
    start_day = 0                 # days from day 0; end_day: the last visit's day if absent
    grace_days = 1                # an entry may still be made this many days after its day
    late = "refuse"               # refuse | flag an entry made later than that

    [[self_report.schedules]]     # a questionnaire due in the window of some visits
    instrument = "poem"
    frequency = "visit"
    visits = ["baseline", "week_4"]

A **slot** is one due occasion: a day (daily), the first day of a week (weekly, weeks counted
from ``start_day``) or a visit's target date (visit). It opens on its day (a week's first day,
a visit window's first day) and closes ``grace_days`` after its last day (a visit: when its
window closes). An entry made after its slot closed is refused or flagged, as ``late`` says.

>>> from datetime import date
>>> plan = SelfReportPlan(instrument="pp_nrs", frequency="daily", end_day=13, grace_days=1)
>>> [s.slot.isoformat() for s in plan_slots(plan, date(2026, 1, 5), visits={})][:2]
['2026-01-05', '2026-01-06']
>>> timing(plan, date(2026, 1, 5), visits={}, slot=date(2026, 1, 6), today=date(2026, 1, 8))
'late'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, NonNegativeInt

from autoserum.errors import Expected, ValidationError

__all__ = [
    "Compliance",
    "SelfReport",
    "SelfReportPlan",
    "Slot",
    "compliance",
    "plan_slots",
    "subject_visits",
    "timing",
]

Frequency = Literal["daily", "weekly", "visit"]
Timing = Literal["early", "on_time", "late"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class SelfReportPlan(_Frozen):
    """One patient-reported outcome's schedule (see the module's docstring)."""

    instrument: str
    frequency: Frequency
    start_day: int = 0
    end_day: int | None = None
    visits: tuple[str, ...] = ()
    grace_days: NonNegativeInt = 0
    late: Literal["refuse", "flag"] = "refuse"


class SelfReport(_Frozen):
    """The protocol's self-report section: the schedules and whether the patient sees
    scores."""

    schedules: tuple[SelfReportPlan, ...] = ()
    show_score: bool = False

    def plan(self, instrument: str) -> SelfReportPlan | None:
        """The schedule of ``instrument`` (``None`` if it is not self-reported)."""
        return next((p for p in self.schedules if p.instrument == instrument), None)


@dataclass(frozen=True)
class Slot:
    """One due occasion of ``instrument``: ``slot`` (the day, the week's first day or the
    visit's target date), when it opens, and its last day on time (``None``: never late)."""

    instrument: str
    frequency: str
    slot: dt.date
    opens: dt.date
    closes: dt.date | None
    visit: str | None = None

    def state(self, today: dt.date, *, done: bool) -> str:
        """``done``, ``due`` (open and not done), ``missed`` (closed, not done) or
        ``upcoming``."""
        if done:
            return "done"
        if today < self.opens:
            return "upcoming"
        if self.closes is not None and today > self.closes:
            return "missed"
        return "due"


#: a visit code → (target date, window's first day, window's last day or None)
VisitDates = Mapping[str, tuple[dt.date, dt.date | None, dt.date | None]]


def subject_visits(
    visits: Iterable[tuple[str, int, int | None, int | None]], day0: dt.date
) -> dict[str, tuple[dt.date, dt.date | None, dt.date | None]]:
    """The visit dates of a subject whose day 0 is ``day0`` from the protocol's visits as
    ``(code, day, window_before, window_after)``.

    >>> subject_visits([("week_1", 7, 1, 2)], dt.date(2026, 1, 5))["week_1"][2]
    datetime.date(2026, 1, 14)
    """
    out: dict[str, tuple[dt.date, dt.date | None, dt.date | None]] = {}
    for code, day, before, after in visits:
        target = day0 + dt.timedelta(days=day)
        early = None if before is None else target - dt.timedelta(days=before)
        late = None if after is None else target + dt.timedelta(days=after)
        out[code] = (target, early, late)
    return out


def _last_day(plan: SelfReportPlan, visits: VisitDates, day0: dt.date) -> int:
    if plan.end_day is not None:
        return plan.end_day
    return max(((target - day0).days for target, _, _ in visits.values()), default=0)


def plan_slots(plan: SelfReportPlan, day0: dt.date, *, visits: VisitDates) -> list[Slot]:
    """Every slot of ``plan`` for a subject whose day 0 is ``day0`` (``visits``: the subject's
    visit dates by code, from the protocol's calendar)."""
    grace = dt.timedelta(days=plan.grace_days)
    if plan.frequency == "visit":
        out = []
        for code in plan.visits:
            target, early, late = visits[code]
            closes = None if late is None else late + grace
            out.append(Slot(plan.instrument, "visit", target, early or target, closes, code))
        return out
    last = day0 + dt.timedelta(days=_last_day(plan, visits, day0))
    step = 1 if plan.frequency == "daily" else 7
    day = day0 + dt.timedelta(days=plan.start_day)
    slots = []
    while day <= last:
        end = day + dt.timedelta(days=step - 1)
        slots.append(Slot(plan.instrument, plan.frequency, day, day, end + grace))
        day += dt.timedelta(days=step)
    return slots


def timing(
    plan: SelfReportPlan,
    day0: dt.date,
    *,
    visits: VisitDates,
    slot: dt.date,
    today: dt.date,
) -> Timing:
    """Whether an entry for ``slot`` made on ``today`` is ``early`` (not open yet),
    ``on_time`` or ``late`` (after the slot closed); a date that is no slot of the plan is a
    :class:`ValidationError` naming the slots expected."""
    found = next((s for s in plan_slots(plan, day0, visits=visits) if s.slot == slot), None)
    if found is None:
        raise ValidationError(
            "slot",
            slot.isoformat(),
            Expected(
                "a %(frequency)s slot of %(instrument)s's schedule",
                frequency=plan.frequency,
                instrument=plan.instrument,
            ),
        )
    if today < found.opens:
        return "early"
    if found.closes is not None and today > found.closes:
        return "late"
    return "on_time"


@dataclass(frozen=True)
class Compliance:
    """A subject's daily-diary compliance on a day: diary days completed (every daily
    instrument recorded) of the days expected so far (opened on or before that day), and the
    days missed (closed without every entry)."""

    completed: int
    expected: int
    missed: int

    @property
    def behind(self) -> bool:
        """True when a diary day was missed."""
        return self.missed > 0

    def describe(self) -> str:
        """``7/7``."""
        return f"{self.completed}/{self.expected}"


def compliance(
    plans: Iterable[SelfReportPlan],
    day0: dt.date,
    *,
    visits: VisitDates,
    done: Mapping[str, set[dt.date]],
    today: dt.date,
) -> Compliance:
    """The daily-diary compliance on ``today`` given the days recorded per instrument
    (``done``: instrument → slot dates).

    >>> from datetime import date
    >>> plan = SelfReportPlan(instrument="pp_nrs", frequency="daily", end_day=6)
    >>> days = {"pp_nrs": {date(2026, 1, 5), date(2026, 1, 6)}}
    >>> compliance([plan], date(2026, 1, 5), visits={}, done=days, today=date(2026, 1, 7))
    Compliance(completed=2, expected=3, missed=0)
    """
    daily = [p for p in plans if p.frequency == "daily"]
    per_day: dict[dt.date, list[tuple[Slot, bool]]] = {}
    for plan in daily:
        recorded = done.get(plan.instrument, set())
        for s in plan_slots(plan, day0, visits=visits):
            per_day.setdefault(s.slot, []).append((s, s.slot in recorded))
    completed = expected = missed = 0
    for entries in per_day.values():
        if all(today < s.opens for s, _ in entries):
            continue
        expected += 1
        if all(ok for _, ok in entries):
            completed += 1
        elif any(s.state(today, done=ok) == "missed" for s, ok in entries):
            missed += 1
    return Compliance(completed, expected, missed)
