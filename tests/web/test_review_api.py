"""Data review through the API and the pages: a monitor raises a query, the site answers it
with a correction (linked), the monitor closes it and verifies the record; the investigator
signs the casebook with the password re-entered; a later correction clears the verification
and invalidates the signature, visibly on the subject's review page. Bad input is a 422 naming
the field; nothing is written."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import PASSWORD, Seeded
from .test_access_matrix import page_client


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_query_sdv_and_signature_through_the_api(client: TestClient, seeded: Seeded) -> None:
    base = "/api/v1/studies/AST-1"
    mon, coord, inv = (_h(seeded.tokens[r]) for r in ("monitor", "coordinator", "investigator"))
    visit_id = seeded.visit_ids["S1-001"]
    opened = client.post(
        f"{base}/queries",
        headers=mon,
        json={"entity": "visit", "record_id": visit_id, "field": "visit_date", "text": "Date?"},
    )
    assert opened.status_code == 201, opened.text
    q = opened.json()
    assert (q["status"], q["opened_by"], q["subject_id"]) == ("open", "mon1", "S1-001")
    subject = client.get(f"{base}/subjects/S1-001", headers=coord).json()
    version = next(v["version"] for v in subject["visits"] if v["id"] == visit_id)
    answered = client.post(
        f"{base}/queries/{q['id']}/answer",
        headers=coord,
        json={
            "text": "Corrected from the clinic notes",
            "changes": {"visit_date": "2026-03-03"},
            "record_version": version,
        },
    )
    assert answered.status_code == 200, answered.text
    link = answered.json()["messages"][-1]["correction"]
    assert (link["entity"], link["record_id"], link["fields"]) == (
        "visit",
        visit_id,
        ["visit_date"],
    )
    closed = client.post(f"{base}/queries/{q['id']}/close", headers=mon, json={"text": "ok"})
    assert closed.json()["status"] == "closed"
    again = client.post(f"{base}/queries/{q['id']}/answer", headers=coord, json={"text": "x"})
    assert again.status_code == 409
    summary = client.get(f"{base}/queries/summary", headers=mon).json()
    assert summary[0]["site"] == "S1"
    assert summary[0]["closed"] == 1

    assert (
        client.post(
            f"{base}/verifications", headers=mon, json={"entity": "visit", "record_id": visit_id}
        ).status_code
        == 201
    )
    signed = client.post(
        f"{base}/signatures",
        headers=inv,
        json={
            "level": "casebook",
            "meaning": "approval",
            "password": PASSWORD,
            "timezone": "Europe/Berlin",
            "subject_id": "S1-001",
        },
    )
    assert signed.status_code == 201, signed.text
    sig = signed.json()
    assert sig["valid"]
    assert sig["manifestation"].startswith("Ina Vogel (inv1), approval, ")
    assert sig["local_signed_at"].endswith(("+01:00", "+02:00"))
    wrong = client.post(
        f"{base}/signatures",
        headers=inv,
        json={
            "level": "casebook",
            "meaning": "approval",
            "password": "not it",
            "subject_id": "S1-001",
        },
    )
    assert wrong.status_code == 403

    # a correction after SDV and signature: both undone, visibly
    subject = client.get(f"{base}/subjects/S1-001", headers=coord).json()
    version = next(v["version"] for v in subject["visits"] if v["id"] == visit_id)
    fixed = client.patch(
        f"{base}/records/visit/{visit_id}",
        headers=coord,
        json={
            "changes": {"visit_date": "2026-03-02"},
            "expected_version": version,
            "reason": "back to the source date",
        },
    )
    assert fixed.status_code == 200, fixed.text
    (now,) = client.get(f"{base}/signatures?subject_id=S1-001", headers=mon).json()
    assert not now["valid"]
    assert "back to the source date" in now["invalid_reason"]
    assert client.get(f"{base}/verifications?subject_id=S1-001", headers=mon).json() == []
    sdv = client.get(f"{base}/sdv", headers=mon).json()
    assert sdv["plan"] == "targeted"
    assert {s["site"] for s in sdv["sites"]} == {"S1"}  # the monitor's site only

    # the review page shows it to a person
    page_client(client, seeded.usernames["monitor"])
    html = client.get("/studies/AST-1/subjects/S1-001/review").text
    assert "Ina Vogel (inv1), approval" in html
    assert "INVALID" in html
    assert "Corrected from the clinic notes" in html
    # every form on the page (and in the query threads it includes) carries the session's CSRF
    # token, without which a browser's post is refused
    tokens = re.findall(r'name="csrf_token" value="([^"]*)"', html)
    assert len(tokens) >= 2
    assert all(tokens)


def test_bad_review_input_is_422_and_writes_nothing(client: TestClient, seeded: Seeded) -> None:
    base = "/api/v1/studies/AST-1"
    mon, inv = _h(seeded.tokens["monitor"]), _h(seeded.tokens["investigator"])
    before = client.get(f"{base}/queries", headers=mon).json()
    bad = client.post(
        f"{base}/queries",
        headers=mon,
        json={
            "entity": "visit",
            "record_id": seeded.visit_ids["S1-001"],
            "field": "colour",
            "text": "?",
        },
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "field"
    unknown = client.post(
        f"{base}/queries", headers=mon, json={"entity": "spaceship", "record_id": 1, "text": "?"}
    )
    assert unknown.status_code == 422
    assert client.get(f"{base}/queries", headers=mon).json() == before
    zone = client.post(
        f"{base}/signatures",
        headers=inv,
        json={
            "level": "casebook",
            "meaning": "approval",
            "password": PASSWORD,
            "timezone": "Mars/Olympus",
            "subject_id": "S1-001",
        },
    )
    assert zone.status_code == 422
    assert zone.json()["field"] == "timezone"
    assert client.get(f"{base}/signatures", headers=inv).json() == []
