"""Emergency unblinding over HTTP (pages and API) and stratified randomisation from the web.

The study is the seeded ``AST-1`` (``ast-nahm2023``, double-blind serum vs placebo, sites S1/S2);
``inv1`` is an investigator at S1, ``coord1`` a coordinator at S1, ``admin1`` the study admin.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from autoserum.study.randomisation import allocation_list, stratum_key

from .conftest import SCREENED_ON, SYSTEM, Seeded, add_user
from .test_access_matrix import ARM_IN_HTML, page_client

SUBJ = "/studies/AST-1/subjects/S1-001"
API = "/api/v1/studies/AST-1/subjects"
REASON = "anaphylaxis after injection 3; treating physician needs the arm"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_investigator_unblinds_one_subject_from_the_subject_page(
    client: TestClient, seeded: Seeded
) -> None:
    arm = seeded.arms["S1-001"]
    csrf = page_client(client, "inv1")
    page = client.get(SUBJ)
    assert "Emergency unblinding" in page.text
    assert 'name="unblind_reason"' in page.text
    assert not ARM_IN_HTML.search(page.text)

    missing_reason = client.post(
        SUBJ + "/unblind", data={"csrf_token": csrf, "unblind_confirm": "yes"}
    )
    assert missing_reason.status_code == 422
    assert 'id="unblind_reason-error"' in missing_reason.text
    unconfirmed = client.post(
        SUBJ + "/unblind", data={"csrf_token": csrf, "unblind_reason": REASON}
    )
    assert unconfirmed.status_code == 422
    assert 'id="unblind_confirm-error"' in unconfirmed.text
    assert REASON in unconfirmed.text  # the typed reason is kept
    assert seeded.store.subjects.unblindings("AST-1", actor=SYSTEM) == []  # nothing recorded

    done = client.post(
        SUBJ + "/unblind",
        data={"csrf_token": csrf, "unblind_reason": REASON, "unblind_confirm": "yes"},
    )
    assert done.status_code == 200
    assert f'<strong id="unblinded-arm">{arm}</strong>' in done.text
    assert "recorded in the audit trail" in done.text
    assert done.headers["cache-control"] == "no-store"

    # the arm is on the response page only: the subject page stays blinded, flagged unblinded
    again = client.get(SUBJ)
    assert not ARM_IN_HTML.search(again.text)
    assert 'id="unblinded-flag"' in again.text
    trail = client.get("/studies/AST-1/audit?subject_id=S1-001")
    assert trail.status_code == 200
    assert "unblinding" in trail.text
    assert REASON in trail.text
    assert f">{arm}<" not in trail.text
    dashboard = client.get("/studies/AST-1")
    assert "Emergency unblindings" not in dashboard.text  # the admin's list only

    [event] = seeded.store.subjects.unblindings("AST-1", actor=SYSTEM)
    assert (event.subject_id, event.username, event.reason) == ("S1-001", "inv1", REASON)


def test_the_admin_dashboard_lists_the_unblindings(client: TestClient, seeded: Seeded) -> None:
    page_client(client, "admin1")
    empty = client.get("/studies/AST-1").text
    assert empty.index("No subject has been unblinded.") > empty.index("<main")
    response = client.post(
        f"{API}/S1-003/unblind",
        headers=bearer(seeded.tokens["investigator"]),
        json={"reason": REASON, "confirm": True},
    )
    assert response.status_code == 200
    dashboard = client.get("/studies/AST-1").text
    assert dashboard.index('id="unblindings"') > dashboard.index("<main")  # in the page body
    table = dashboard[dashboard.index('id="unblindings"') :]
    assert "S1-003" in table
    assert "inv1" in table
    assert REASON in table


def test_roles_that_may_not_unblind_get_no_form_and_403(client: TestClient, seeded: Seeded) -> None:
    csrf = page_client(client, "coord1")
    assert "Emergency unblinding" not in client.get(SUBJ).text
    data = {"csrf_token": csrf, "unblind_reason": REASON, "unblind_confirm": "yes"}
    assert client.post(SUBJ + "/unblind", data=data).status_code == 403
    for role in ("coordinator", "monitor", "statistician"):
        response = client.post(
            f"{API}/S1-001/unblind",
            headers=bearer(seeded.tokens[role]),
            json={"reason": REASON, "confirm": True},
        )
        assert response.status_code == 403, role
        assert seeded.arms["S1-001"] not in response.text
    assert seeded.store.subjects.unblindings("AST-1", actor=SYSTEM) == []


def test_the_api_needs_a_reason_a_confirmation_and_the_callers_site(
    client: TestClient, seeded: Seeded
) -> None:
    headers = bearer(seeded.tokens["investigator"])
    bad: list[dict[str, Any]] = [
        {"reason": REASON, "confirm": False},
        {"reason": "   ", "confirm": True},
        {"reason": "", "confirm": True},
        {"reason": REASON},
    ]
    for body in bad:
        response = client.post(f"{API}/S1-001/unblind", headers=headers, json=body)
        assert response.status_code == 422, body
    other_site = client.post(
        f"{API}/S2-001/unblind", headers=headers, json={"reason": REASON, "confirm": True}
    )
    assert other_site.status_code in (403, 404)
    assert seeded.store.subjects.unblindings("AST-1", actor=SYSTEM) == []

    ok = client.post(
        f"{API}/S1-001/unblind", headers=headers, json={"reason": REASON, "confirm": True}
    )
    assert ok.status_code == 200
    body = ok.json()
    assert (body["subject_id"], body["arm"], body["unblinded_by"], body["reason"]) == (
        "S1-001",
        seeded.arms["S1-001"],
        "inv1",
        REASON,
    )
    assert "audit trail" in body["notice"]
    # afterwards the subject is still blinded to the investigator everywhere else
    detail = client.get(f"{API}/S1-001", headers=headers).json()
    assert detail["subject"]["arm"] is None
    trail = client.get("/api/v1/studies/AST-1/audit?subject_id=S1-001", headers=headers).json()
    assert REASON in {row["reason"] for row in trail}


def _stratified(seeded: Seeded) -> None:
    store = seeded.store
    store.studies.create(
        "STRAT",
        "ast-nahm2023",
        actor=SYSTEM,
        seed=20260301,
        stratify_by={"baseline_severity": ("moderate", "severe")},
    )  # fmt: skip
    store.studies.add_site("STRAT", "S1", "Site one", actor=SYSTEM)
    facts = {"atopic_dermatitis": True, "scorad": 40, "age": 30}
    for sid in ("P1", "P2", "A1", "A2"):
        store.subjects.screen("STRAT", "S1", sid, facts, screened_on=SCREENED_ON, actor=SYSTEM)


def _first_arm(level: str) -> str:
    """The first entry of the stratum's list, from the pure core (the reference)."""
    stratum = stratum_key("S1", {"baseline_severity": level})
    arms = [("serum", 1), ("placebo", 1)]  # ast-nahm2023: serum vs saline placebo, 1:1
    return allocation_list(arms, n=200, seed=20260301, strata=[stratum])[0].arm


def test_the_enrolment_form_has_a_select_per_factor(client: TestClient, seeded: Seeded) -> None:
    _stratified(seeded)
    csrf = page_client(client, "admin1")
    page = client.get("/studies/STRAT/subjects/P1")
    assert '<select id="strata.baseline_severity" name="strata.baseline_severity"' in page.text
    missing = client.post("/studies/STRAT/subjects/P1/randomise", data={"csrf_token": csrf})
    assert missing.status_code == 422
    assert 'id="strata.baseline_severity-error"' in missing.text
    assert "moderate, severe" in missing.text
    ok = client.post(
        "/studies/STRAT/subjects/P1/randomise",
        data={"csrf_token": csrf, "strata.baseline_severity": "severe"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    [p1] = [s for s in seeded.store.subjects.all("STRAT", actor=SYSTEM) if s.subject_id == "P1"]
    assert p1.arm == _first_arm("severe")


def test_the_api_randomises_within_the_stratum(client: TestClient, seeded: Seeded) -> None:
    _stratified(seeded)
    headers = bearer(seeded.tokens["admin"])
    study = client.get("/api/v1/studies/STRAT", headers=headers).json()
    assert study["stratify_by"] == {"baseline_severity": ["moderate", "severe"]}
    url = "/api/v1/studies/STRAT/subjects/A1/randomise"
    assert client.post(url, headers=headers).status_code == 422
    bad = client.post(url, headers=headers, json={"strata": {"baseline_severity": "mild"}})
    assert bad.status_code == 422
    assert (bad.json()["field"], bad.json()["value"]) == ("strata.baseline_severity", "mild")
    ok = client.post(url, headers=headers, json={"strata": {"baseline_severity": "moderate"}})
    assert ok.status_code == 200
    assert ok.json()["arm"] == _first_arm("moderate")
    token = add_user(seeded.store, "coord_strat", "coordinator", frozenset({("STRAT", "S1")}))
    blinded = client.post(
        "/api/v1/studies/STRAT/subjects/A2/randomise",
        headers=bearer(token),
        json={"strata": {"baseline_severity": "moderate"}},
    )
    assert blinded.status_code == 200
    assert blinded.json()["arm"] is None


def test_nothing_to_unblind_before_randomisation_or_in_an_open_label_study(
    client: TestClient, seeded: Seeded
) -> None:
    headers = bearer(seeded.tokens["investigator"])
    body = {"reason": REASON, "confirm": True}
    screened = client.post(f"{API}/S1-002/unblind", headers=headers, json=body)
    assert screened.status_code == 409
    assert "no allocation" in screened.json()["detail"]
    seeded.store.studies.create(
        "OPEN", "asim-choi2024", actor=SYSTEM, seed=1
    )  # open-label, single arm
    seeded.store.studies.add_site("OPEN", "S1", "Site one", actor=SYSTEM)
    seeded.store.subjects.screen(
        "OPEN", "S1", "O1", {"atopic_dermatitis": True}, screened_on=SCREENED_ON, actor=SYSTEM
    )
    seeded.store.accounts.update_user(  # site S1 of OPEN is another site than S1 of AST-1
        "inv1",
        {"sites": [("AST-1", "S1"), ("OPEN", "S1")]},
        actor=SYSTEM,
        reason="joins the open-label study",
    )
    page_client(client, "inv1")
    assert "Emergency unblinding" not in client.get("/studies/OPEN/subjects/O1").text
    opened = client.post("/api/v1/studies/OPEN/subjects/O1/unblind", headers=headers, json=body)
    assert opened.status_code == 409
    assert "open-label" in opened.json()["detail"]
    assert seeded.store.subjects.unblindings("AST-1", actor=SYSTEM) == []
    assert seeded.store.subjects.unblindings("OPEN", actor=SYSTEM) == []
