"""Adverse events to ICH E2A in the core: seriousness criteria, dates and outcome, SUSARs and the
24-hour SAE clock (with an injected 'now')."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from autoserum.errors import ValidationError
from autoserum.study import safety

AWARE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_seriousness_criteria_are_those_of_ich_e2a() -> None:
    # ICH E2A §II.B: death, life-threatening, hospitalisation, disability, congenital anomaly,
    # other important medical event
    assert safety.SERIOUSNESS_CRITERIA == (
        "death",
        "life_threatening",
        "hospitalisation",
        "disability",
        "congenital_anomaly",
        "important_medical_event",
    )


def test_criteria_come_back_in_ich_order() -> None:
    got = safety.check_seriousness(
        serious=True, criteria=["hospitalisation", "death"], outcome="fatal"
    )
    assert got == ("death", "hospitalisation")


@pytest.mark.parametrize(
    ("serious", "criteria", "outcome", "field"),
    [
        (True, [], "recovered", "seriousness_criteria"),  # serious without a criterion
        (False, ["hospitalisation"], "recovered", "serious"),  # a criterion but not serious
        (True, ["hospitalisation"], "fatal", "seriousness_criteria"),  # fatal without death
        (True, ["hospitalised"], "recovered", "seriousness_criteria"),  # not a criterion
    ],
)
def test_inconsistent_seriousness_is_refused(
    serious: bool, criteria: list[str], outcome: str, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        safety.check_seriousness(serious=serious, criteria=criteria, outcome=outcome)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("onset", "end", "outcome", "field"),
    [
        (date(2026, 3, 5), date(2026, 3, 4), "recovered", "end_date"),
        (date(2026, 3, 5), None, "recovered", "end_date"),
        (date(2026, 3, 5), date(2026, 3, 9), "not_recovered", "outcome"),
    ],
)
def test_dates_and_outcome_must_agree(
    onset: date, end: date | None, outcome: str, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        safety.check_ae_dates(onset=onset, end=end, outcome=outcome)
    assert err.value.field == field


def test_an_ongoing_event_has_no_end() -> None:
    safety.check_ae_dates(onset=date(2026, 3, 5), end=None, outcome="not_recovered")
    safety.check_ae_dates(onset=date(2026, 3, 5), end=date(2026, 3, 5), outcome="recovered")


@pytest.mark.parametrize(
    ("related", "procedure", "expected", "susar"),
    [
        ("possible", "not_related", False, True),
        ("not_related", "probable", False, True),  # caused by the injection itself
        ("definite", "definite", True, False),  # listed in the RSI: expected
        ("unlikely", "unlikely", False, False),  # not related
    ],
)
def test_a_susar_is_serious_related_and_unexpected(
    related: str, procedure: str, expected: bool, susar: bool
) -> None:
    got = safety.is_susar(
        serious=True, related=related, related_procedure=procedure, expected=expected
    )
    assert got is susar
    assert not safety.is_susar(
        serious=False, related=related, related_procedure=procedure, expected=expected
    )


def test_the_sae_clock_runs_24_hours_from_awareness() -> None:
    clock = safety.sae_clock(AWARE, reported_at=None, now=AWARE + timedelta(hours=20))
    assert clock.deadline == AWARE + timedelta(hours=24)
    assert clock.hours_left == pytest.approx(4.0, abs=1e-12)
    assert not clock.overdue
    assert not clock.reported


def test_an_unreported_sae_past_24_hours_is_overdue() -> None:
    clock = safety.sae_clock(AWARE, reported_at=None, now=AWARE + timedelta(hours=24, minutes=1))
    assert clock.overdue
    assert clock.hours_left == pytest.approx(-1 / 60, abs=1e-12)


def test_a_late_report_stays_flagged_and_a_timely_one_does_not() -> None:
    late = safety.sae_clock(AWARE, reported_at=AWARE + timedelta(hours=30), now=AWARE)
    assert late.overdue
    assert late.hours_left is None
    timely = safety.sae_clock(AWARE, reported_at=AWARE + timedelta(hours=23), now=AWARE)
    assert not timely.overdue


def test_the_clock_is_the_same_in_any_time_zone() -> None:
    seoul = timezone(timedelta(hours=9))
    a = safety.sae_clock(AWARE.astimezone(seoul), reported_at=None, now=AWARE)
    assert a.deadline == AWARE + timedelta(hours=24)
    assert a.hours_left == pytest.approx(24.0)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        safety.sae_clock(datetime(2026, 3, 2, 9, 0), reported_at=None, now=AWARE)
    assert err.value.field == "aware_at"
