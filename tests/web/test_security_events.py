"""The web app's security events: a login, a failed login (with the client address), an export
and an emergency unblinding each leave one event in the hash-chained stream."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import PASSWORD, SYSTEM, Seeded
from .test_access_matrix import page_client
from .test_auth import csrf_of


def test_logins_exports_and_unblinding_views_are_recorded(
    client: TestClient, seeded: Seeded
) -> None:
    store = seeded.store
    page = client.get("/login")
    client.post(
        "/login",
        data={"username": "inv1", "password": "wrong", "csrf_token": csrf_of(page.text)},
    )
    page = client.get("/login")
    client.post(
        "/login",
        data={"username": "inv1", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    tokens = {"Authorization": f"Bearer {seeded.tokens['statistician']}"}
    assert client.get("/api/v1/studies/AST-1/export", headers=tokens).status_code == 200
    unblind = client.post(
        "/api/v1/studies/AST-1/subjects/S1-001/unblind",
        headers={"Authorization": f"Bearer {seeded.tokens['investigator']}"},
        json={"reason": "anaphylaxis; the treating physician needs the arm", "confirm": True},
    )
    assert unblind.status_code == 200
    events = [
        e
        for e in store.events.events(actor=SYSTEM)
        if e.kind in {"login", "login_failed", "export", "unblinding_view"}
    ]
    assert [(e.kind, e.actor) for e in events] == [
        ("login_failed", "inv1"),
        ("login", "inv1"),
        ("export", "stat1"),
        ("unblinding_view", "inv1"),
    ]
    assert events[0].client == "testclient"  # the address the throttle keys on
    assert events[0].detail == {"reason": "wrong_password"}
    assert events[2].detail == {
        "study": "AST-1",
        "what": "visits",
        "rows": events[2].detail["rows"],
        "arms": False,
        "via": "web",
    }
    assert events[3].detail == {"study": "AST-1", "subject": "S1-001"}
    assert store.audit.verify().ok


def test_an_admin_page_export_is_recorded(client: TestClient, seeded: Seeded) -> None:
    page_client(client, "admin1")
    assert client.get("/studies/AST-1/export.csv").status_code == 200
    [event] = seeded.store.events.events(actor=SYSTEM, kind="export")
    assert (event.actor, event.detail["arms"]) == ("admin1", True)
