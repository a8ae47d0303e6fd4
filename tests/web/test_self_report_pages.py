"""Self-report pages (issue 14 items 1, 2, 4; docs/epro.md) through the HTTP interface: the
access matrix of the patient routes × tokens (a patient token reaches nothing but its own
questionnaires; a staff session is no patient token; a patient token opens no staff page), the
coordinator's pages (issue, card, revoke, compliance), idempotent submission, the de-identified
self-report export, tokens kept out of the access log."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from autoserum.store import Store, open_store
from autoserum.web import create_app
from tests.epro import DAY0, enrol, epro_protocol

from .conftest import SYSTEM, add_user, settings_for
from .test_auth import csrf_of, login

STUDY = "E"


class Clock:
    def __init__(self) -> None:
        self.day = DAY0

    def __call__(self) -> dt.date:
        return self.day


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Store:
    st = open_store(db_url, clock=clock)
    st.studies.create(STUDY, epro_protocol(), actor=SYSTEM, seed=5)
    st.studies.add_site(STUDY, "S1", "one", actor=SYSTEM)
    st.studies.add_site(STUDY, "S2", "two", actor=SYSTEM)
    for site, sid in (("S1", "A"), ("S1", "B"), ("S2", "C")):
        enrol(st, STUDY, site, sid, actor=SYSTEM)
    s1 = frozenset({(STUDY, "S1")})
    add_user(st, "coord1", "coordinator", s1)
    add_user(st, "mon1", "monitor", s1)
    add_user(st, "inv1", "investigator", s1)
    return st


@pytest.fixture
def app(store: Store, db_url: str, clock: Clock) -> FastAPI:
    return create_app(settings_for(db_url), store=store, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _issue(store: Store, subject_id: str) -> str:
    return store.self_report.issue_link(STUDY, subject_id, actor=SYSTEM).token


def test_patient_routes_by_token(store: Store, client: TestClient, clock: Clock) -> None:
    a, b = _issue(store, "A"), _issue(store, "B")
    revoked = _issue(store, "C")
    store.self_report.revoke_link(STUDY, "C", actor=SYSTEM, reason="lost")
    home = client.get(f"/p/{a}")
    assert home.status_code == 200
    assert home.headers["referrer-policy"] == "no-referrer"
    assert home.headers["cache-control"] == "no-store"
    due = re.findall(r'href="/p/[^/"]+/([a-z_]+)/(\d{4}-\d\d-\d\d)"', home.text)
    assert due == [("pp_nrs", "2026-03-02"), ("sleep_nrs", "2026-03-02"), ("poem", "2026-03-02")]
    # nothing of the study beyond the questionnaires: no arm, no subject list, no staff nav
    text = re.sub(r"<[^>]+>", " ", home.text)
    for word in ("serum", "placebo", "Log out", "Subjects", "Studies", "S1", "S2", "study"):
        assert word not in text, word
    # the routes × tokens matrix: own token → 200; another subject's questionnaire is only
    # reachable through that subject's own token; revoked, made-up, empty → 404
    form = f"/{{}}/pp_nrs/{DAY0.isoformat()}"
    assert client.get("/p" + form.format(a)).status_code == 200
    assert client.get("/p" + form.format(b)).status_code == 200
    for bad in (revoked, "x" * 43, "A", a[:-1]):
        assert client.get(f"/p/{bad}").status_code == 404
        assert client.get("/p" + form.format(bad)).status_code == 404
        posted = client.post(
            "/p" + form.format(bad), data={"score": "3", "submission_id": "z" * 16}
        )
        assert posted.status_code == 404
    # a clinician-reported instrument, an unscheduled slot, a slot not open yet: not reachable
    assert client.get(f"/p/{a}/easi/{DAY0.isoformat()}").status_code == 404
    assert client.get(f"/p/{a}/pp_nrs/2026-03-09").status_code == 404
    assert client.get(f"/p/{a}/pp_nrs/not-a-date").status_code == 404
    # a patient token opens no staff page, no API
    for path in (f"/studies/{STUDY}", f"/studies/{STUDY}/subjects", "/studies", "/account"):
        r = client.get(path, headers={"Authorization": f"Bearer {a}"}, follow_redirects=False)
        assert r.status_code in (303, 401), path
    assert (
        client.get("/api/v1/studies", headers={"Authorization": f"Bearer {a}"}).status_code == 401
    )


def test_a_staff_session_is_no_patient_token(store: Store, client: TestClient) -> None:
    login(client, "inv1")
    assert client.get(f"/studies/{STUDY}/self-report").status_code == 200
    assert client.get("/p/inv1").status_code == 404
    assert client.get(f"/p/{'0' * 43}/pp_nrs/{DAY0.isoformat()}").status_code == 404
    # the de-identified self-report export: raw daily rows, derived weekly rows, no dates
    access = store.self_report.access(_issue(store, "A"), client="t")
    assert access is not None
    for instrument in ("pp_nrs", "sleep_nrs"):
        store.self_report.submit(
            access, instrument, DAY0, {"score": 4}, submission_id=f"{instrument}-x1"
        )
    export = client.get(f"/studies/{STUDY}/export.pro.csv")
    assert export.status_code == 200
    header, *lines = export.text.splitlines()
    assert header == "subject_id,instrument,kind,day,visit,value,days_present,late"  # no dates
    assert sum(1 for line in lines if ",daily," in line) == 2
    assert sum(1 for line in lines if ",weekly_mean,0,baseline,,1," in line) == 2  # 1 of 7 days


def test_submission_is_idempotent_and_validated(
    store: Store, client: TestClient, clock: Clock
) -> None:
    a = _issue(store, "A")
    url = f"/p/{a}/pp_nrs/{DAY0.isoformat()}"
    page = client.get(url)
    sid = re.search(r'name="submission_id" value="([^"]+)"', page.text)
    assert sid is not None
    bad = client.post(url, data={"score": "11", "submission_id": sid.group(1)})
    assert bad.status_code == 422
    assert "score" in bad.text
    assert "Not saved" in bad.text
    for _ in range(2):  # a double tap or a retry after a lost response
        ok = client.post(url, data={"score": "7", "submission_id": sid.group(1)},
                         follow_redirects=False)  # fmt: skip
        assert ok.status_code == 303
        assert ok.headers["location"] == f"/p/{a}?saved=pp_nrs"
    entries = [r for r in store.audit.raw_rows(STUDY) if r.entity == "pro_entry"]
    assert len({r.record_id for r in entries}) == 1
    assert {r.username for r in entries} == {"patient:A"}
    home = client.get(f"/p/{a}?saved=pp_nrs")
    assert "Saved. Thank you." in home.text
    assert ">7<" not in home.text  # the protocol does not show scores to the patient
    assert "score-value" not in home.text
    # a protocol that shows scores shows the patient theirs
    store.studies.create("F", epro_protocol(show_score=True), actor=SYSTEM, seed=6)
    store.studies.add_site("F", "S1", "one", actor=SYSTEM)
    enrol(store, "F", "S1", "A", actor=SYSTEM)
    f_token = store.self_report.issue_link("F", "A", actor=SYSTEM).token
    client.post(f"/p/{f_token}/pp_nrs/{DAY0.isoformat()}",
                data={"score": "7", "submission_id": "f-pp-nrs-0001"})  # fmt: skip
    assert '<span class="score-value">score 7</span>' in client.get(f"/p/{f_token}").text
    # the slot is done: a new submission for it is refused
    again = client.post(url, data={"score": "5", "submission_id": "another-id-0001"})
    assert again.status_code == 409


def test_coordinator_issues_prints_revokes_and_sees_compliance(
    store: Store, client: TestClient, clock: Clock
) -> None:
    login(client, "mon1")
    page = client.get(f"/studies/{STUDY}/self-report")
    assert page.status_code == 200
    assert "Issue a link" not in page.text  # a monitor reads compliance, issues nothing
    denied = client.post(
        f"/studies/{STUDY}/subjects/A/self-report/link", data={"csrf_token": csrf_of(page.text)}
    )
    assert denied.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    login(client, "coord1")
    page = client.get(f"/studies/{STUDY}/self-report")
    assert re.findall(r"<td>([A-C])</td>", page.text) == ["A", "B"]  # site S1 only
    csrf = csrf_of(page.text)
    issued = client.post(f"/studies/{STUDY}/subjects/A/self-report/link", data={"csrf_token": csrf})
    assert issued.status_code == 200
    link = re.search(r'value="(http://127\.0\.0\.1/p/[^"]+)"', issued.text)
    assert link is not None
    assert 'src="data:image/png;base64,' in issued.text
    token = link.group(1).rsplit("/", 1)[1]
    assert client.get(f"/p/{token}").status_code == 200
    card = client.post(
        f"/studies/{STUDY}/subjects/A/self-report/card.pdf", data={"csrf_token": csrf}
    )
    assert card.headers["content-type"] == "application/pdf"
    assert card.content.startswith(b"%PDF-")
    assert client.get(f"/p/{token}").status_code == 404  # the card's new link replaced it
    assert (
        client.post(
            f"/studies/{STUDY}/subjects/C/self-report/link", data={"csrf_token": csrf}
        ).status_code
        == 404
    )  # site S2: as if it did not exist
    empty = client.post(
        f"/studies/{STUDY}/subjects/A/self-report/revoke", data={"csrf_token": csrf}
    )
    assert empty.status_code == 422
    revoked = client.post(
        f"/studies/{STUDY}/subjects/A/self-report/revoke",
        data={"csrf_token": csrf, "reason": "phone lost"}, follow_redirects=False,
    )  # fmt: skip
    assert revoked.status_code == 303
    # compliance after three days with A's diary complete on day 0 only
    fresh = _issue(store, "A")
    for instrument in ("pp_nrs", "sleep_nrs"):
        client.post(f"/p/{fresh}/{instrument}/{DAY0.isoformat()}",
                    data={"score": "4", "submission_id": f"{instrument}-first-day"})  # fmt: skip
    clock.day = DAY0 + dt.timedelta(days=3)
    page = client.get(f"/studies/{STUDY}/self-report")
    rows = dict(
        re.findall(r"<tr><td>([AB])</td><td>S1</td><td class=\"compliance\">([^<]+)<", page.text)
    )
    assert rows == {"A": "1/4", "B": "0/4"}
    assert re.findall(r"<li>([AB]) \(S1\)", page.text) == ["A", "B"]  # both behind


def test_tokens_never_reach_the_access_log(
    store: Store, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    a = _issue(store, "A")
    with caplog.at_level(logging.INFO, logger="autoserum.access"):
        client.get(f"/p/{a}")
    assert a not in caplog.text


def test_guessing_is_throttled(store: Store, client: TestClient) -> None:
    statuses = [client.get(f"/p/{'g' * 40}{n:03d}").status_code for n in range(25)]
    assert statuses[:20] == [404] * 20  # the login throttle's default: 20 per minute
    assert statuses[20:] == [429] * 5
