"""Planned and actual visits: the visit window and deviations from it.

A visit planned at study day ``d`` (day 0 = first injection) with a window of ``before`` days
before and ``after`` days after is on time when its date lies in
``[start + d - before, start + d + after]``; outside it the visit is a protocol deviation whose
size is the number of days outside the window (negative = early). A window bound of ``None``
means the bound is not constrained. Reference: ICH E3 §10.2 (protocol deviations).

>>> from datetime import date
>>> window_deviation(date(2024, 1, 29), date(2024, 2, 2), before=3, after=3)
1
>>> window_deviation(date(2024, 1, 29), date(2024, 1, 30), before=3, after=3) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from autoserum.i18n import N_

__all__ = [
    "AUTOMATIC_IMPORTANCE",
    "PlannedVisit",
    "per_protocol",
    "study_week",
    "window_bounds",
    "window_deviation",
]

#: The importance of the deviations the store records by itself (ICH E9 5.2.2: a subject
#: randomised outside the entry criteria leaves the per-protocol set; a visit out of its window
#: or an assessment not done does not by itself).
AUTOMATIC_IMPORTANCE = {
    N_("eligibility_override"): "major",
    N_("visit_window"): "minor",
    N_("assessment_not_done"): "minor",
    # a drug the protocol prohibits, or a rescue it does not allow, confounds the treatment
    # effect (protocols.medication_findings)
    N_("prohibited_medication"): "major",
    N_("rescue_not_allowed"): "major",
}


def per_protocol(recorded: bool | None, *, major_deviation: bool) -> bool | None:
    """Whether a subject belongs to the per-protocol set: never after a major protocol
    deviation; otherwise as recorded (by the import of a tidy file; ``None``: not recorded).
    Not set by hand: a deviation recorded as major takes the subject out.

    >>> per_protocol(True, major_deviation=True), per_protocol(True, major_deviation=False)
    (False, True)
    >>> per_protocol(None, major_deviation=False) is None
    True
    """
    return False if major_deviation else recorded


@dataclass(frozen=True)
class PlannedVisit:
    """A visit of the plan placed on the calendar of one subject."""

    code: str
    day: int
    target: date
    earliest: date | None
    latest: date | None


def window_bounds(
    target: date, *, before: int | None, after: int | None
) -> tuple[date | None, date | None]:
    """The earliest and latest on-time dates around ``target`` (``None`` = unconstrained).

    >>> window_bounds(date(2024, 1, 29), before=2, after=None)
    (datetime.date(2024, 1, 27), None)
    """
    earliest = None if before is None else target - timedelta(days=before)
    latest = None if after is None else target + timedelta(days=after)
    return earliest, latest


def window_deviation(
    target: date, actual: date, *, before: int | None, after: int | None
) -> int | None:
    """Days outside the window (negative: early, positive: late); ``None`` when on time."""
    earliest, latest = window_bounds(target, before=before, after=after)
    if earliest is not None and actual < earliest:
        return (actual - earliest).days
    if latest is not None and actual > latest:
        return (actual - latest).days
    return None


def study_week(day0: date | None, on: date | None) -> Decimal | None:
    """The study week of the date ``on`` (days since day 0 divided by 7, to two decimals as
    the tidy format writes weeks); ``None`` when either date is unknown. An adverse event
    recorded with its onset date gets its ``onset_week`` from it in the exports.

    >>> study_week(date(2024, 1, 1), date(2024, 1, 11))
    Decimal('1.43')
    >>> study_week(None, date(2024, 1, 11)) is None
    True
    """
    if day0 is None or on is None:
        return None
    days = Decimal((on - day0).days)
    return (days / 7).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
