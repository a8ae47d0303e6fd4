"""Calendar dates, window bounds and visit deviations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoserum.errors import ValidationError
from autoserum.protocols import load_protocol, protocol_codes, schedule, visit_deviation

START = date(2026, 3, 2)  # day 0 (first injection), a Monday


def test_choi_calendar() -> None:
    # Choi 2024 (sources.md §1.3): 4-week run-in, weekly ASIM x4, follow-up to week 8.
    events = schedule(load_protocol("asim-choi2024"), START)
    by_code = {e.code: e for e in events}
    assert by_code["run_in_start"].date == date(2026, 2, 2)  # day -28
    assert [by_code[f"injection_{k}"].date for k in range(1, 5)] == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
        date(2026, 3, 23),
    ]
    week_8 = by_code["week_8"]  # day 56, window -7/+7 (autoserum default)
    assert (week_8.date, week_8.earliest, week_8.latest) == (
        date(2026, 4, 27),
        date(2026, 4, 20),
        date(2026, 5, 4),
    )
    assert week_8.window_source == "autoserum default"
    assert [e.day for e in events] == sorted(e.day for e in events)
    # on day 0 the baseline visit comes before the first injection
    day0 = [e.code for e in events if e.day == 0]
    assert day0 == ["baseline", "injection_1"]


def test_pittler_doses_follow_the_injection_number() -> None:
    # Pittler 2003: 1-2-3-2-1 mL (Oomen-Welke 2019 Table 2).
    injections = [
        e for e in schedule(load_protocol("abt-pittler2003"), START) if e.kind == "injection"
    ]
    assert [dict(e.doses)["abt"] for e in injections] == ["1 mL", "2 mL", "3 mL", "2 mL", "1 mL"]
    assert {dict(e.doses)["placebo"] for e in injections} == {"unknown"}


@pytest.mark.parametrize("code", protocol_codes())
def test_every_event_lies_in_its_window(code: str) -> None:
    p = load_protocol(code)
    events = schedule(p, START)
    assert len(events) == len(p.visits) + len(p.injections)
    for e in events:
        assert e.date == START + timedelta(days=e.day)
        assert e.earliest is None or e.earliest <= e.date
        assert e.latest is None or e.date <= e.latest


def test_deviation_early_late_inside() -> None:
    week_4 = load_protocol("ast-nahm2023").visit("week_4")  # day 28, -3/+3
    target = START + timedelta(days=28)
    assert visit_deviation(week_4, START, target) is None
    assert visit_deviation(week_4, START, target - timedelta(days=3)) is None
    assert visit_deviation(week_4, START, target + timedelta(days=3)) is None
    assert visit_deviation(week_4, START, target - timedelta(days=5)) == -2  # 2 days early
    assert visit_deviation(week_4, START, target + timedelta(days=4)) == 1  # 1 day late


def test_deviation_of_an_injection() -> None:
    second = load_protocol("ast-nahm2023").injections[1]  # day 3, ±1 (autoserum default)
    assert visit_deviation(second, START, START + timedelta(days=6)) == 2


@given(offset=st.integers(-60, 60))
def test_deviation_is_distance_to_the_window(offset: int) -> None:
    visit = load_protocol("aigt-nahm2020").visit("week_16")  # day 112, ±7
    actual = START + timedelta(days=112 + offset)
    deviation = visit_deviation(visit, START, actual)
    if abs(offset) <= 7:
        assert deviation is None
    else:
        assert deviation == offset - 7 if offset > 0 else offset + 7


def test_schedule_needs_a_date() -> None:
    with pytest.raises(ValidationError, match="start"):
        schedule(load_protocol("ast-nahm2023"), "2026-03-02")  # type: ignore[arg-type]
