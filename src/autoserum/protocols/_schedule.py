"""The visit and injection calendar of a protocol, and visit deviations.

Dates come from the date of **day 0** (the first injection): an event planned on day ``d`` falls
on ``start + d days``; its window runs from ``d - window_before`` to ``d + window_after`` (a
``None`` bound means no limit on that side).

>>> from datetime import date
>>> from autoserum.protocols import load_protocol
>>> events = schedule(load_protocol("asim-choi2024"), date(2026, 1, 5))
>>> [(e.code, e.date.isoformat()) for e in events if e.kind == "injection"][:2]
[('injection_1', '2026-01-05'), ('injection_2', '2026-01-12')]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from autoserum.errors import Expected, ValidationError
from autoserum.protocols._schema import InjectionPlan, Protocol, VisitPlan

__all__ = ["ScheduledEvent", "schedule", "visit_deviation", "window_bounds"]


@dataclass(frozen=True)
class ScheduledEvent:
    """One planned visit or injection of one subject, with its dates.

    ``earliest``/``latest`` are the window bounds (``None``: no limit on that side).
    ``doses`` maps each arm code to its dose for this injection (``'unknown'`` when not
    published); it is empty for a visit.
    """

    kind: Literal["visit", "injection"]
    code: str
    label: str
    phase: str
    day: int
    date: dt.date
    earliest: dt.date | None
    latest: dt.date | None
    window_source: str
    day_source: str
    instruments: tuple[str, ...] = ()
    labs: tuple[str, ...] = ()
    other_assessments: tuple[str, ...] = ()
    doses: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO dates) with stable snake_case keys."""
        return {
            "kind": self.kind,
            "code": self.code,
            "label": self.label,
            "phase": self.phase,
            "day": self.day,
            "date": self.date.isoformat(),
            "earliest": self.earliest.isoformat() if self.earliest else None,
            "latest": self.latest.isoformat() if self.latest else None,
            "window_source": self.window_source,
            "day_source": self.day_source,
            "instruments": list(self.instruments),
            "labs": list(self.labs),
            "other_assessments": list(self.other_assessments),
            "doses": dict(self.doses),
        }


def window_bounds(
    plan: VisitPlan | InjectionPlan, start: dt.date
) -> tuple[dt.date, dt.date | None, dt.date | None]:
    """The target date and the window bounds of a planned visit or injection."""
    target = start + dt.timedelta(days=plan.day)
    early = None if plan.window_before is None else target - dt.timedelta(days=plan.window_before)
    late = None if plan.window_after is None else target + dt.timedelta(days=plan.window_after)
    return target, early, late


def schedule(protocol: Protocol, start: dt.date) -> list[ScheduledEvent]:
    """The visit and injection calendar of one subject whose day 0 (first injection) is ``start``.

    Events are sorted by day; on the same day the visit comes before the injection.
    """
    if not isinstance(start, dt.date):
        raise ValidationError("start", start, Expected("a date (day 0 = first injection)"))
    events: list[tuple[int, int, ScheduledEvent]] = []
    for visit in protocol.visits:
        target, early, late = window_bounds(visit, start)
        event = ScheduledEvent(
            kind="visit",
            code=visit.code,
            label=visit.label,
            phase=visit.phase,
            day=visit.day,
            date=target,
            earliest=early,
            latest=late,
            window_source=visit.window_source,
            day_source=visit.day_source,
            instruments=visit.instruments,
            labs=visit.labs,
            other_assessments=visit.other_assessments,
        )
        events.append((visit.day, 0, event))
    for injection in protocol.injections:
        target, early, late = window_bounds(injection, start)
        doses = tuple((arm.code, _dose(arm.dose, injection.number)) for arm in protocol.arms)
        event = ScheduledEvent(
            kind="injection",
            code=f"injection_{injection.number}",
            label=f"Injection {injection.number}",
            phase=injection.phase,
            day=injection.day,
            date=target,
            earliest=early,
            latest=late,
            window_source=injection.window_source,
            day_source=injection.day_source,
            doses=doses,
        )
        events.append((injection.day, 1, event))
    return [event for _, _, event in sorted(events, key=lambda t: (t[0], t[1]))]


def _dose(dose: Any, number: int) -> str:
    if dose.per_injection is not None:
        value = dose.at(number)
        shown = int(value) if float(value).is_integer() else value
        return f"{shown} {dose.unit}" if dose.unit else str(shown)
    return str(dose.describe())


def visit_deviation(plan: VisitPlan | InjectionPlan, start: dt.date, actual: dt.date) -> int | None:
    """Days outside the window of a planned visit (or injection), or ``None`` when inside.

    Negative: that many days **before** the window opens (too early); positive: that many days
    after it closes (too late). A ``None`` window bound never flags that side.

    >>> from datetime import date
    >>> from autoserum.protocols import load_protocol
    >>> week_4 = load_protocol("asim-choi2024").visit("week_4")   # day 28, window -3/+3
    >>> visit_deviation(week_4, date(2026, 1, 5), date(2026, 2, 6))   # day 32: 1 day late
    1
    >>> visit_deviation(week_4, date(2026, 1, 5), date(2026, 2, 2)) is None   # day 28
    True
    """
    _, early, late = window_bounds(plan, start)
    if early is not None and actual < early:
        return (actual - early).days
    if late is not None and actual > late:
        return (actual - late).days
    return None
