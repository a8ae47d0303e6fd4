"""Adverse events to ICH E2A (pure core): seriousness criteria, relatedness to the product and to
the injection procedure, action taken, the consistency rules of one event, SUSARs and the
24-hour clock of a serious adverse event.

- **Serious** (ICH E2A §II.B): an event that results in death, is life-threatening, requires
  or prolongs hospitalisation, results in persistent or significant disability/incapacity, is a
  congenital anomaly/birth defect, or is another important medical event. ``serious`` is true
  exactly when at least one criterion is given, and a fatal outcome needs the ``death``
  criterion.
- **Relatedness**: WHO-UMC categories (``autoserum.study.vocab.RELATEDNESS``), judged separately
  for the product and for the injection procedure (an autologous injection's haematoma is
  caused by the needle, not by the serum). *Related* = possible, probable or definite.
- **Expected**: listed in the protocol's reference safety information
  (``autoserum.protocols``); a serious, related and unexpected event is a **SUSAR**.
- **Action taken** with the study treatment: CDISC SDTM AEACN terms.
- **SAE clock**: the investigator reports a serious adverse event to the sponsor within 24 hours
  of becoming aware of it (ICH E6(R2) §4.11.1; EU CTR Art. 41(4)). :func:`sae_clock` takes
  ``now`` as an argument, so a caller injects its clock.

>>> from datetime import UTC, datetime
>>> aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
>>> clock = sae_clock(aware, reported_at=None, now=datetime(2026, 3, 2, 21, 30, tzinfo=UTC))
>>> clock.deadline.isoformat(), clock.hours_left, clock.overdue
('2026-03-03T09:00:00+00:00', 11.5, False)
>>> check_seriousness(serious=True, criteria=(), outcome="recovered")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
autoserum.errors.ValidationError: seriousness_criteria: got (); expected at least one criterion...
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from autoserum.errors import Expected, ValidationError

__all__ = [
    "ACTIONS_TAKEN",
    "MEDDRA_PATTERN",
    "MEDDRA_RULE",
    "OVERDUE_HOURS_SHOWN",
    "RELATED_CODES",
    "REPORTING_HOURS",
    "SERIOUSNESS_CRITERIA",
    "SaeClock",
    "check_ae_dates",
    "check_meddra",
    "check_seriousness",
    "follow_up_of",
    "is_related",
    "is_susar",
    "sae_clock",
]

#: ICH E2A §II.B seriousness criteria.
SERIOUSNESS_CRITERIA: tuple[str, ...] = (
    "death",
    "life_threatening",
    "hospitalisation",
    "disability",
    "congenital_anomaly",
    "important_medical_event",
)
#: Action taken with the study treatment (CDISC SDTM AEACN, lower-case with underscores).
ACTIONS_TAKEN: tuple[str, ...] = (
    "dose_not_changed",
    "dose_reduced",
    "dose_increased",
    "drug_interrupted",
    "drug_withdrawn",
    "not_applicable",
    "unknown",
)
#: Relatedness codes counted as related (WHO-UMC possible, probable, certain/definite).
RELATED_CODES: tuple[str, ...] = ("possible", "probable", "definite")
#: Hours from awareness within which an SAE is reported to the sponsor.
REPORTING_HOURS = 24
#: Overdue by up to this many hours, a clock's overdue time is told in hours (``OVERDUE by
#: 6.0 h``); past it, in whole days (a 2024 event still unreported reads ``708 days``, not
#: ``~17,000 h``): the dashboard (``web/safety.py``) and the SAE report (PDF) alike.
OVERDUE_HOURS_SHOWN = 48
#: A MedDRA code (lowest level term or preferred term): eight digits (MedDRA, ICH M1).
MEDDRA_PATTERN = r"^[0-9]{8}$"
MEDDRA_RULE = "a MedDRA code of eight digits, e.g. 10022086"


def check_meddra(field: str, value: object) -> str:
    """A MedDRA LLT or PT code (eight digits); :class:`ValidationError` otherwise. The
    dictionary is licensed and not shipped: only the code's form is checked.

    >>> check_meddra("meddra_pt", " 10022086 ")
    '10022086'
    """
    code = value.strip() if isinstance(value, str) else value
    if not isinstance(code, str) or re.match(MEDDRA_PATTERN, code) is None:
        raise ValidationError(field, value, Expected(MEDDRA_RULE))
    return code


def check_seriousness(
    *, serious: bool, criteria: Iterable[str], outcome: str | None
) -> tuple[str, ...]:
    """The criteria, checked against ``serious`` and the outcome; returned in ICH order."""
    given = tuple(criteria)
    for c in given:
        if c not in SERIOUSNESS_CRITERIA:
            raise ValidationError(
                "seriousness_criteria",
                c,
                Expected("one of %(values)s", values=", ".join(SERIOUSNESS_CRITERIA)),
            )
    ordered = tuple(c for c in SERIOUSNESS_CRITERIA if c in given)
    if serious and not ordered:
        raise ValidationError(
            "seriousness_criteria",
            given,
            Expected(
                "at least one criterion of a serious event (%(values)s)",
                values=", ".join(SERIOUSNESS_CRITERIA),
            ),
        )
    if not serious and ordered:
        raise ValidationError(
            "serious",
            serious,
            Expected("true (criteria given: %(values)s)", values=", ".join(ordered)),
        )
    if outcome == "fatal" and "death" not in ordered:
        raise ValidationError(
            "seriousness_criteria", given, Expected("the criterion death (the outcome is fatal)")
        )
    return ordered


def check_ae_dates(*, onset: date | None, end: date | None, outcome: str | None) -> None:
    """An end not before the onset; an ended event has an outcome other than ongoing ones
    (``recovering``, ``not_recovered``), an ongoing event (no end) not ``recovered``."""
    if onset is not None and end is not None and end < onset:
        raise ValidationError(
            "end_date", end.isoformat(), Expected("not before onset %(onset)s", onset=onset)
        )
    if end is None and outcome in ("recovered", "fatal"):
        raise ValidationError(
            "end_date",
            None,
            Expected("the date it ended (the outcome is %(outcome)s)", outcome=outcome),
        )
    if end is not None and outcome in ("recovering", "not_recovered"):
        raise ValidationError(
            "outcome",
            outcome,
            Expected("recovered or fatal, or no end date (the event is ongoing)"),
        )


def is_related(related: str | None) -> bool:
    """Possibly, probably or definitely related."""
    return related in RELATED_CODES


def is_susar(
    *, serious: bool, related: str | None, related_procedure: str | None, expected: bool
) -> bool:
    """A suspected unexpected serious adverse reaction: serious, related to the product or the
    procedure, and not in the reference safety information."""
    return serious and (is_related(related) or is_related(related_procedure)) and not expected


@dataclass(frozen=True)
class SaeClock:
    """Where an SAE stands against its 24-hour reporting clock."""

    aware_at: datetime
    deadline: datetime
    reported_at: datetime | None
    #: hours left at ``now`` (negative when overdue); ``None`` once reported
    hours_left: float | None
    #: not reported and past the deadline, or reported after it
    overdue: bool

    @property
    def overdue_days(self) -> int | None:
        """Whole days overdue when not reported and overdue by more than
        :data:`OVERDUE_HOURS_SHOWN` hours (else ``None``: the time is told in hours).

        >>> from datetime import UTC, datetime
        >>> t = datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
        >>> sae_clock(t, reported_at=None, now=t + timedelta(hours=24 + 48)).overdue_days
        >>> sae_clock(t, reported_at=None, now=t + timedelta(hours=24 + 17000)).overdue_days
        708
        """
        if self.hours_left is None or -self.hours_left <= OVERDUE_HOURS_SHOWN:
            return None
        return int(-self.hours_left // 24)

    @property
    def reported(self) -> bool:
        """Whether the SAE has been reported to the sponsor."""
        return self.reported_at is not None


def follow_up_of(version: int) -> int:
    """The follow-up number of an adverse event at ``version``: a follow-up is a correction
    with its reason, a new version of the event (``docs/data-format.md``), so version 1 is
    the event as first reported (0) and version n + 1 the event after its n-th follow-up.

    >>> follow_up_of(1), follow_up_of(3)
    (0, 2)
    """
    return version - 1


def sae_clock(aware_at: datetime, *, reported_at: datetime | None, now: datetime) -> SaeClock:
    """The 24-hour clock of an SAE the site became aware of at ``aware_at`` (aware datetimes).

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    >>> sae_clock(t, reported_at=None, now=t + timedelta(hours=25)).overdue
    True
    >>> sae_clock(t, reported_at=t + timedelta(hours=3), now=t + timedelta(days=9)).overdue
    False
    """
    for name, value in (("aware_at", aware_at), ("reported_at", reported_at), ("now", now)):
        if value is not None and value.tzinfo is None:
            raise ValidationError(
                name, value.isoformat(), Expected("a date and time with its UTC offset")
            )
    deadline = aware_at + timedelta(hours=REPORTING_HOURS)
    if reported_at is not None:
        return SaeClock(aware_at, deadline, reported_at, None, reported_at > deadline)
    left = (deadline - now).total_seconds() / 3600
    return SaeClock(aware_at, deadline, None, left, left < 0)
