"""Daily diaries: the recall period of a diary instrument and its published weekly rule.

A diary instrument (PP-NRS, sleep NRS) is answered once a day about the last 24 hours; the
value analysed at a visit is the **weekly mean**: the mean of the daily values of the
``window_days`` days ending on that day, when at least ``min_days`` of them are present (else
not derived). The rule is declared on the instrument (:attr:`Instrument.diary`) and applied
here, exactly (``Fraction``), with nothing rounded.

Reference: the weekly average of the daily peak-pruritus NRS as the trial endpoint (Simpson EL
et al. N Engl J Med 2016;375:2335-48; Yosipovitch G et al. Br J Dermatol 2019;181:761-9). The
minimum of 4 of the 7 daily values for a weekly mean is the rule declared here
(:data:`DIARY_24H`), as commonly prespecified for diary endpoints; a protocol's statistical
analysis plan may state another, and the rule is data on the instrument, not code.

>>> from datetime import date
>>> from fractions import Fraction
>>> rule = DiaryRule("the last 24 hours", window_days=7, min_days=4, reference="see above")
>>> days = {date(2026, 1, d): Fraction(v) for d, v in ((1, 6), (2, 5), (4, 4), (7, 3))}
>>> w = rule.weekly_mean(days, end=date(2026, 1, 7))
>>> w.total, w.days_present, w.start.isoformat()
(Fraction(9, 2), 4, '2026-01-01')
>>> rule.weekly_mean(days, end=date(2026, 1, 8)).total is None   # 3 of 7 days present
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

__all__ = ["DIARY_24H", "DiaryRule", "WeeklyMean"]


@dataclass(frozen=True)
class WeeklyMean:
    """A derived weekly value: the days ``start``..``end`` (inclusive), how many daily values
    were present and their exact mean (``None`` with ``reason`` when too few)."""

    start: date
    end: date
    days_present: int
    total: Fraction | None
    reason: str | None = None


@dataclass(frozen=True)
class DiaryRule:
    """How a diary instrument is collected and summarised: its recall period, and the weekly
    mean over ``window_days`` days with at least ``min_days`` present."""

    recall: str
    window_days: int = 7
    min_days: int = 4
    reference: str = ""

    def weekly_mean(self, daily: Mapping[date, Fraction | None], *, end: date) -> WeeklyMean:
        """The weekly mean of the ``window_days`` days ending on ``end`` (inclusive) from the
        daily values by date (a ``None`` value counts as absent)."""
        start = end - timedelta(days=self.window_days - 1)
        values = [v for d, v in daily.items() if start <= d <= end and v is not None]
        if len(values) < self.min_days:
            reason = (
                f"{len(values)} of {self.window_days} daily values from {start.isoformat()} to "
                f"{end.isoformat()}; at least {self.min_days} needed"
            )
            return WeeklyMean(start, end, len(values), None, reason)
        return WeeklyMean(start, end, len(values), sum(values, Fraction(0)) / len(values))

    def describe(self) -> str:
        """The rule in words (docs, exports and the instrument's JSON)."""
        return (
            f"recall {self.recall}, once a day; weekly value = mean of the last "
            f"{self.window_days} days, at least {self.min_days} present"
        )

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON (``autoserum instruments --json``)."""
        return {
            "recall": self.recall,
            "window_days": self.window_days,
            "min_days": self.min_days,
            "rule": self.describe(),
            "reference": self.reference,
        }


DIARY_24H = DiaryRule(
    "the last 24 hours",
    window_days=7,
    min_days=4,
    reference=(
        "Simpson EL et al. N Engl J Med 2016;375:2335-48 (weekly average of the daily peak "
        "pruritus NRS); Yosipovitch G et al. Br J Dermatol 2019;181:761-9"
    ),
)
"""The rule of the daily NRS diaries (PP-NRS, sleep NRS): 24-hour recall, weekly mean of the
last 7 days with at least 4 present."""
