"""Self-report by the patient (issue 14 items 1-3; docs/epro.md), on SQLite and PostgreSQL:
links (hashed, revocable, re-issued, expiring with participation, throttled), the patient's
agenda and entries (idempotent, scheduled, late refused or flagged, audited as the patient
with the link's id), the daily-diary compliance and the weekly mean by the declared rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from fractions import Fraction

import polars as pl
import pytest
from sqlalchemy import select

from autoserum.accounts import hash_token
from autoserum.errors import BusyError, NotFoundError, StateError, ValidationError
from autoserum.store import Actor, LoginLimits, Store, open_store
from autoserum.store.models import PatientLinkRow
from autoserum.store.replay import current_state, replay_audit
from tests.epro import DAY0, FACTS, epro_protocol

ADMIN = Actor("ada", "admin")
CORA = Actor("cora", "coordinator", frozenset({("S", "S1")}))
MONI = Actor("moni", "monitor", frozenset({("S", "S1")}))


class Clock:
    def __init__(self) -> None:
        self.day = DAY0

    def __call__(self) -> dt.date:
        return self.day


_CLOCK = Clock()


@pytest.fixture
def clock() -> Clock:
    _CLOCK.day = DAY0
    return _CLOCK


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[Store]:
    """A study with subjects A, B at site S1 and C at S2 (day 0 = DAY0)."""
    st = open_store(db_url, clock=clock)
    st.studies.create("S", epro_protocol(), actor=ADMIN, seed=7)
    st.studies.add_site("S", "S1", "one", actor=ADMIN)
    st.studies.add_site("S", "S2", "two", actor=ADMIN)
    for site, sid in (("S1", "A"), ("S1", "B"), ("S2", "C")):
        st.subjects.screen("S", site, sid, FACTS, screened_on="2026-02-20", actor=ADMIN)
        st.subjects.randomise("S", sid, actor=ADMIN)
        st.records.add_visit("S", sid, "baseline", DAY0, actor=ADMIN)
    try:
        yield st
    finally:
        st.close()


def test_a_link_is_stored_hashed_and_opens_its_subject_only(store: Store) -> None:
    issued = store.self_report.issue_link("S", "A", actor=CORA)
    assert len(issued.token) >= 43
    assert issued.token not in repr(issued)
    with store.uow.read() as s:
        row = s.scalars(select(PatientLinkRow)).one()
    assert row.token_hash == hash_token(issued.token)
    access = store.self_report.access(issued.token, client="10.0.0.1")
    assert access is not None
    assert (access.subject_id, access.actor.username, access.actor.role) == (
        "A", "patient:A", "patient",
    )  # fmt: skip
    assert not access.actor.may("read_subject", "S", "S1")
    # the link lasts to the end of the calendar: week_8 (day 56) + its window's 7 days
    assert issued.link.expires_on == DAY0 + dt.timedelta(days=63)
    # no trace of the token or its hash in the audit trail
    texts = [repr(r) for r in store.audit.raw_rows("S")]
    assert not any(row.token_hash in t or issued.token in t for t in texts)
    # a coordinator issues at their own sites only, a monitor never
    with pytest.raises(NotFoundError):
        store.self_report.issue_link("S", "C", actor=CORA)  # site S2: as if it did not exist
    with pytest.raises(Exception, match="may not issue"):
        store.self_report.issue_link("S", "A", actor=MONI)
    _reissue_revokes_and_revoked_expired_withdrawn_are_refused(store, _CLOCK)
    _guessing_tokens_is_throttled_per_client(store)
    # the audit trail alone rebuilds the links: issued, revoked, re-issued (no hash in it)
    assert replay_audit(store.audit.raw_rows("S")) == current_state(store, "S")


def _reissue_revokes_and_revoked_expired_withdrawn_are_refused(store: Store, clock: Clock) -> None:
    first = store.self_report.issue_link("S", "A", actor=CORA)
    second = store.self_report.issue_link("S", "A", actor=CORA)
    assert store.self_report.access(first.token, client="c") is None
    assert store.self_report.access(second.token, client="c") is not None
    links = store.self_report.links("S", "A", actor=CORA)
    assert [lk.active for lk in links] == [True, False, False]
    assert links[1].revoked_by == "cora"  # the first link of the test before it, then this one
    assert store.self_report.revoke_link("S", "A", actor=CORA, reason="phone lost") == 1
    assert store.self_report.access(second.token, client="c") is None
    third = store.self_report.issue_link("S", "A", actor=CORA)
    clock.day = third.link.expires_on + dt.timedelta(days=1)
    assert store.self_report.access(third.token, client="c") is None  # expired
    clock.day = DAY0
    b = store.self_report.issue_link("S", "B", actor=CORA)
    store.subjects.withdraw("S", "B", actor=ADMIN, reason="moved away")
    assert store.self_report.access(b.token, client="c") is None  # withdrawn: refused


def _guessing_tokens_is_throttled_per_client(store: Store) -> None:
    issued = store.self_report.issue_link("S", "A", actor=CORA)
    limits = LoginLimits(5, dt.timedelta(minutes=15), 3, dt.timedelta(seconds=60))
    for n in range(3):
        assert store.self_report.access(f"guess-{n}", client="6.6.6.6", limits=limits) is None
    with pytest.raises(BusyError):
        store.self_report.access(issued.token, client="6.6.6.6", limits=limits)
    assert store.self_report.access(issued.token, client="7.7.7.7", limits=limits) is not None


def test_seven_diary_days_a_retry_records_once_and_the_weekly_mean_follows_the_rule(
    store: Store, clock: Clock
) -> None:
    access = store.self_report.access(
        store.self_report.issue_link("S", "A", actor=CORA).token, client="c"
    )
    assert access is not None
    itch = [6, 5, 7, 4, 5, 3, 4]
    for day, value in enumerate(itch):
        clock.day = DAY0 + dt.timedelta(days=day)
        agenda = store.self_report.agenda(access)
        assert {d.instrument for d in agenda.due if d.frequency == "daily"} == {
            "pp_nrs", "sleep_nrs",
        }  # fmt: skip
        first = store.self_report.submit(
            access, "pp_nrs", clock.day, {"score": value}, submission_id=f"itch-{day:04d}"
        )
        again = store.self_report.submit(
            access, "pp_nrs", clock.day, {"score": value}, submission_id=f"itch-{day:04d}"
        )
        assert first.created
        assert not again.created
        assert again.entry.id == first.entry.id
        store.self_report.submit(
            access, "sleep_nrs", clock.day.isoformat(), {"score": 2}, submission_id=f"slp-{day:04d}"
        )
    row = next(r for r in store.self_report.compliance("S", actor=CORA) if r.subject_id == "A")
    assert (row.subject_id, row.compliance.describe(), row.compliance.behind) == ("A", "7/7", False)
    weekly = store.self_report.weekly_mean("S", "A", "pp_nrs", end=clock.day, actor=CORA)
    # declared rule (instruments/_diary.py DIARY_24H): mean of the last 7 days, >= 4 present;
    # exact: (6+5+7+4+5+3+4)/7 = 34/7, tolerance 0
    assert (weekly.total, weekly.days_present) == (Fraction(34, 7), 7)
    three_days = store.self_report.weekly_mean(
        "S", "A", "pp_nrs", end=clock.day + dt.timedelta(days=4), actor=CORA
    )
    assert three_days.total is None
    assert three_days.days_present == 3
    # a week before the week-4 visit (day 28): its weekly mean is the visit value analysis reads
    for day in range(22, 29):
        clock.day = DAY0 + dt.timedelta(days=day)
        store.self_report.submit(
            access, "pp_nrs", clock.day, {"score": day % 3}, submission_id=f"itch-{day:04d}"
        )
    store.records.add_visit("S", "A", "week_4", clock.day, actor=ADMIN)
    visits = store.exports.long("S", actor=ADMIN).filter(pl.col("subject_id") == "A")
    # days 22..28 → scores 1,2,0,1,2,0,1: mean 7/7 = 1 (rule: mean of the last 7 days, >= 4)
    assert visits.filter(pl.col("visit") == "week_4")["pp_nrs"].to_list() == [1.0]
    assert "sleep_nrs" not in visits.columns or visits.filter(pl.col("visit") == "week_4")[
        "sleep_nrs"
    ].to_list() == [None]  # no sleep entries that week: not derived
    pro = store.exports.pro("S", actor=ADMIN)
    assert pro.filter(pl.col("kind") == "daily").height == 21
    derived = pro.filter((pl.col("kind") == "weekly_mean") & (pl.col("instrument") == "pp_nrs"))
    assert derived.select("visit", "value", "days_present").rows() == [
        ("baseline", None, 1),
        ("week_4", 1.0, 7),
    ]
    # every entry audited as the patient, with the link's id
    rows = [r for r in store.audit.raw_rows("S") if r.entity == "pro_entry"]
    assert {r.username for r in rows} == {"patient:A"}
    assert {r.reason for r in rows} == {f"self-report via link {access.link_id}"}
    assert replay_audit(store.audit.raw_rows("S")) == current_state(store, "S")


def test_late_early_unscheduled_and_duplicate_entries_are_refused(
    store: Store, clock: Clock
) -> None:
    access = store.self_report.access(
        store.self_report.issue_link("S", "A", actor=CORA).token, client="c"
    )
    assert access is not None
    clock.day = DAY0 + dt.timedelta(days=3)
    agenda = store.self_report.agenda(access)
    assert [(m.instrument, m.slot) for m in agenda.missed][:2] == [
        ("pp_nrs", DAY0), ("sleep_nrs", DAY0),
    ]  # fmt: skip
    with pytest.raises(StateError, match="window has closed"):
        store.self_report.submit(access, "pp_nrs", DAY0, {"score": 3}, submission_id="late-0001")
    # within the grace day: accepted on time
    yesterday = clock.day - dt.timedelta(days=1)
    ok = store.self_report.submit(
        access, "pp_nrs", yesterday, {"score": 3}, submission_id="late-0002"
    )
    assert not ok.entry.late
    with pytest.raises(StateError, match="not due yet"):
        store.self_report.submit(
            access, "pp_nrs", clock.day + dt.timedelta(days=1), {"score": 3},
            submission_id="early-001",
        )  # fmt: skip
    with pytest.raises(StateError, match="recorded already"):
        store.self_report.submit(
            access, "pp_nrs", yesterday, {"score": 4}, submission_id="dupl-0001"
        )
    with pytest.raises(ValidationError, match="instrument"):
        store.self_report.submit(access, "easi", clock.day, {}, submission_id="easi-0001")
    with pytest.raises(ValidationError, match="score"):
        store.self_report.submit(
            access, "pp_nrs", clock.day, {"score": 11}, submission_id="bad-00001"
        )
    with pytest.raises(ValidationError, match="submission_id"):
        store.self_report.submit(access, "pp_nrs", clock.day, {"score": 1}, submission_id="x")
    row = next(r for r in store.self_report.compliance("S", actor=CORA) if r.subject_id == "A")
    assert row.compliance.describe() == "0/4"  # a day counts when every diary has its entry
    store.self_report.submit(access, "sleep_nrs", yesterday, {"score": 1}, submission_id="slp-0002")
    row = next(r for r in store.self_report.compliance("S", actor=CORA) if r.subject_id == "A")
    assert row.compliance.behind
    assert row.compliance.describe() == "1/4"
    # the link is A's: B's agenda is not reachable by relabelling the access
    forged = type(access)(access.study, "B", access.link_id, Actor("patient:B", "patient"), False)
    with pytest.raises(NotFoundError):
        store.self_report.agenda(forged)
    # a protocol that flags late entries records them, flagged
    clock.day = DAY0 + dt.timedelta(days=5)
    store.studies.create("F", epro_protocol(late="flag"), actor=ADMIN, seed=3)
    store.studies.add_site("F", "S1", "one", actor=ADMIN)
    store.subjects.screen("F", "S1", "A", FACTS, screened_on="2026-02-20", actor=ADMIN)
    store.subjects.randomise("F", "A", actor=ADMIN)
    store.records.add_visit("F", "A", "baseline", DAY0, actor=ADMIN)
    flagged = store.self_report.access(
        store.self_report.issue_link("F", "A", actor=ADMIN).token, client="c"
    )
    assert flagged is not None
    entry = store.self_report.submit(
        flagged, "pp_nrs", DAY0, {"score": 2}, submission_id="flag-0001"
    ).entry
    assert entry.late is True
