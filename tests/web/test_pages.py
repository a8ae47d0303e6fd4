"""Pages through the app: dashboard numbers, calendar flags, session expiry, token cache."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from fastapi.testclient import TestClient

from autoserum.i18n import format_date
from autoserum.protocols import Protocol, load_protocol
from autoserum.store import Store
from autoserum.study.status import ACTIVE_STATUSES
from autoserum.web import create_app
from autoserum.web.calendar import calendar, overdue_visits

from .conftest import SYSTEM, Seeded, add_user, settings_for
from .html import table_rows
from .test_access_matrix import page_client


@pytest.mark.parametrize(("today", "overdue"), [("2026-04-10", True), ("2026-03-20", False)])
def test_dashboard_shows_consort_counts_enrolment_by_site_and_overdue_visits(
    store: Store, db_url: str, seeded: Seeded, today: str, overdue: bool
) -> None:
    """The overdue list as of a fixed today (the app's clock), not the day the test runs."""
    app = create_app(settings_for(db_url), store=store, clock=lambda: dt.date.fromisoformat(today))
    with TestClient(app) as client:
        page_client(client, "admin1")
        page = client.get("/studies/AST-1")
    assert page.status_code == 200
    text = page.text
    # the fixture: per site two subjects randomised and two screened only
    assert '<th scope="row">Assessed for eligibility</th><td class="stat-cell">8</td>' in text
    assert '<th scope="row">In screening</th><td class="stat-cell">4</td>' in text
    assert "<td>S1</td><td>4</td><td>2</td><td>0</td>" in text
    # baseline on 2026-03-02: week 4 (day 28, window ±3) closed on 2026-04-02, so it is
    # overdue on 2026-04-10 for the four randomised subjects, and not yet on 2026-03-20
    if overdue:
        rows = table_rows(text, "overdue-h")  # subject, site, visit, window closed, days
        assert sorted((r[0], r[2], r[3], r[4]) for r in rows) == [
            (s, "Week 4, end of treatment", format_date("2026-04-02", "en"), "8 d")
            for s in ("S1-001", "S1-003", "S2-001", "S2-003")
        ]
    else:
        assert "No visit is overdue." in text
        assert "flag-overdue" not in text


def test_calendar_flags_with_a_fixed_today(store: Store, seeded: Seeded) -> None:
    detail = store.subjects.detail("AST-1", "S1-001", actor=SYSTEM)
    protocol = load_protocol("ast-nahm2023")
    rows = {r.code: r for r in calendar(protocol, detail, today=dt.date(2026, 3, 30))}
    assert rows["baseline"].flag == "done"
    assert rows["baseline"].actual == dt.date(2026, 3, 2)
    # recorded at screening (2026-02-16), so never "missed" for a randomised subject
    assert rows["screening"].flag == "done"
    assert rows["screening"].actual == dt.date(2026, 2, 16)
    # week 4: day 28 = 2026-03-30, window 2026-03-27 .. 2026-04-02 (protocol: ±3 days)
    assert rows["week_4"].flag == "due"
    assert (rows["week_4"].earliest, rows["week_4"].latest) == (
        dt.date(2026, 3, 27),
        dt.date(2026, 4, 2),
    )
    later = {r.code: r for r in calendar(protocol, detail, today=dt.date(2026, 4, 5))}
    assert later["week_4"].flag == "overdue"
    assert later["week_4"].flag_label == "overdue 3 d"
    assert later["week_8"].flag is None


def test_out_of_window_visit_is_flagged_and_listed_as_deviation(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    response = client.post(
        "/studies/AST-1/subjects/S1-001/visits",
        data={"csrf_token": csrf, "visit_code": "week_4", "visit_date": "2026-04-06"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "outside window (+4 d)" in response.text  # window closed 2026-04-02
    assert "visit_window" in response.text


def test_idle_session_expires(store: Store, db_url: str) -> None:
    add_user(store, "ada", "admin", None)
    settings = settings_for(db_url).model_copy(update={"session_idle_timeout": 1})
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        page_client(client, "ada")
        assert client.get("/studies", follow_redirects=False).status_code == 200
        time.sleep(2.2)
        assert client.get("/studies", follow_redirects=False).status_code == 303


def test_revoked_token_stops_working_without_cache(store: Store, db_url: str) -> None:
    token = add_user(store, "ada", "admin", None)
    settings = settings_for(db_url).model_copy(update={"token_cache_seconds": 0})
    app = create_app(settings, store=store)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/api/v1/studies", headers=headers).status_code == 200
        store.accounts.update_user("ada", {"active": False}, actor=SYSTEM, reason="left the study")
        assert client.get("/api/v1/studies", headers=headers).status_code == 401


def test_a_deactivated_user_is_refused_at_once_whatever_the_ttl(store: Store, db_url: str) -> None:
    # the ttl only batches last-use writes: every request reads the token's state
    token = add_user(store, "ada", "admin", None)
    settings = settings_for(db_url).model_copy(update={"token_cache_seconds": 300})
    app = create_app(settings, store=store)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/api/v1/studies", headers=headers).status_code == 200
        store.accounts.update_user("ada", {"active": False}, actor=SYSTEM, reason="left the study")
        assert client.get("/api/v1/studies", headers=headers).status_code == 401


def test_static_assets_are_served_by_the_app(client: TestClient) -> None:
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200
    assert "htmx" in htmx.text[:200]
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/htmx.LICENSE.txt").status_code == 200
    login = client.get("/login").text
    assert "https://" not in login  # nothing loaded from the internet (no CDN)


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]


def test_lab_con_med_and_status_forms(client: TestClient, seeded: Seeded) -> None:
    csrf = page_client(client, "inv1")
    base = "/studies/AST-1/subjects/S1-001"
    lab = client.post(
        f"{base}/labs",
        data={"csrf_token": csrf, "lab_visit_code": "baseline", "analyte": "ige",
              "value": "250", "unit": "IU/mL", "ref_low": "0", "ref_high": "100"},
    )  # fmt: skip
    assert lab.status_code == 200  # followed the redirect to the subject page
    assert "Lab result ige recorded." in lab.text
    # 250 kU/L above the given range 0-100: flagged high in the labs table (visit, analyte,
    # value, unit, ref_low, ref_high, flag), not the word "high" anywhere on the page
    (row,) = [r for r in table_rows(lab.text, "labs-h") if r[1] == "ige"]
    assert row[:7] == ["baseline", "ige", "250", "k[IU]/L", "0", "100", "high"]
    bad_unit = client.post(
        f"{base}/labs",
        data={"csrf_token": csrf, "lab_visit_code": "baseline", "analyte": "ige",
              "value": "250", "unit": "furlongs"},
    )  # fmt: skip
    assert bad_unit.status_code == 422
    assert 'id="unit-error"' in bad_unit.text or 'role="alert"' in bad_unit.text
    assert 'value="furlongs"' in bad_unit.text  # typed value kept
    med = client.post(
        f"{base}/con_meds",
        data={"csrf_token": csrf, "name": "emollient", "start_date": "2026-03-05",
              "end_date": "2026-03-01"},
    )  # fmt: skip
    assert med.status_code == 422
    assert 'id="end_date-error"' in med.text
    # ast-nahm2023 has no run-in phase: an enrolled subject goes on to treatment
    page = client.get(base).text
    assert '<option value="treatment"' in page
    assert '<option value="run_in"' not in page
    status = client.post(f"{base}/status", data={"csrf_token": csrf, "new_status": "treatment"})
    assert status.status_code == 200
    assert "is now treatment" in status.text
    illegal = client.post(f"{base}/status", data={"csrf_token": csrf, "new_status": "run_in"})
    assert illegal.status_code == 409
    assert "illegal status transition" in illegal.text
    trail = client.get("/studies/AST-1/audit?subject_id=S1-001")
    # one row per change event (when, who, record, action, reason), its changes beneath
    rows = table_rows(trail.text, "audit")
    lab_events = [
        (head, changes[0])
        for head, changes in zip(rows[::2], rows[1::2], strict=True)
        if head[2].startswith("lab ")
    ]
    assert any(
        head[1] == "inv1 (investigator)" and head[3] == "insert" and "value = 250" in changes
        for head, changes in lab_events
    ), lab_events


def test_correcting_an_adverse_event_needs_a_reason_and_is_audited(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    base = "/studies/AST-1/subjects/S1-001"
    ae = seeded.store.records.add_adverse_event(
        "AST-1",
        "S1-001",
        actor=SYSTEM,
        term="itch",
        severity="mild",
        serious=False,
        related="possible",
        outcome="recovering",
    )  # fmt: skip
    form = client.get(f"{base}/records/adverse_event/{ae.id}")
    assert form.status_code == 200
    assert 'value="itch"' in form.text
    fields = {"csrf_token": csrf, "expected_version": str(ae.version), "term": "itch",
              "severity": "mild", "serious": "false", "related": "possible",
              "outcome": "recovered"}  # fmt: skip
    no_reason = client.post(f"{base}/records/adverse_event/{ae.id}", data=fields)
    assert no_reason.status_code == 422
    assert 'id="reason-error"' in no_reason.text
    assert '<option value="recovered" selected>' in no_reason.text  # typed value kept
    saved = client.post(
        f"{base}/records/adverse_event/{ae.id}", data={**fields, "reason": "follow-up call"}
    )
    assert saved.status_code == 200
    assert "corrected (outcome)" in saved.text
    stale = client.post(
        f"{base}/records/adverse_event/{ae.id}",
        data={**fields, "outcome": "unknown", "reason": "again"},
    )
    assert stale.status_code == 409  # the version read is no longer current
    trail = client.get(f"/studies/AST-1/audit?entity=adverse_event&record_id={ae.id}").text
    assert "follow-up call" in trail
    assert "recovering" in trail
    assert "recovered" in trail


def _overdue_subject_by_subject(
    store: Store, study: str, protocol: Protocol, today: dt.date
) -> list[tuple[str, str, str, dt.date | None, str]]:
    """The dashboard's former computation: every active subject's detail through the calendar
    (one look-up per subject), the oracle of the aggregated one."""
    out = []
    for s in store.subjects.all(study, actor=SYSTEM):
        if s.status not in ACTIVE_STATUSES:
            continue
        detail = store.subjects.detail(study, s.subject_id, actor=SYSTEM)
        for row in calendar(protocol, detail, today=today):
            if row.flag == "overdue":
                days = row.flag_label.removeprefix("overdue ")
                out.append((s.subject_id, s.site, row.label, row.latest or row.target, days))
    return out


def test_the_aggregated_overdue_list_equals_the_subject_by_subject_computation(
    store: Store, seeded: Seeded
) -> None:
    study = seeded.study
    # vary the subjects: a week 4 visit recorded (its gap: not missed), an injection moving
    # day 0, a withdrawal (not active), a later visit recorded (earlier ones: missed)
    store.records.add_visit(study, "S1-001", "week_4", "2026-03-30", actor=SYSTEM)
    store.records.add_injection(study, "S1-003", "2026-03-09", actor=SYSTEM)
    store.subjects.withdraw(study, "S2-001", actor=SYSTEM, reason="moved away")
    store.records.add_visit(study, "S2-003", "week_8", "2026-04-27", actor=SYSTEM)
    protocol = store.studies.protocol(study)
    for today in ("2026-03-20", "2026-04-10", "2026-05-20", "2026-06-30"):
        day = dt.date.fromisoformat(today)
        expected = _overdue_subject_by_subject(store, study, protocol, day)
        aggregated = [
            (p.subject_id, p.site, label, closed, days)
            for p in store.subjects.visit_progress(study, actor=SYSTEM)
            for label, closed, days in overdue_visits(protocol, p, today=day)
        ]
        assert aggregated == expected, today
    assert any(r[0] == "S1-003" for r in expected)  # the oracle found overdue visits
    assert not any(r[0] == "S2-001" for r in expected)
