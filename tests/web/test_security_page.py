"""The security-event page (admins only): newest first, filtered by kind and user, paged with a
keyset cursor (no event on two pages, none left out)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import Seeded
from .html import table_rows
from .test_access_matrix import page_client
from .test_auth import csrf_of


def _events(client: TestClient, url: str) -> tuple[list[int], list[list[str]], str | None]:
    page = client.get(url)
    assert page.status_code == 200, page.text
    ids = [int(i) for i in re.findall(r'<tr id="event-(\d+)">', page.text)]
    older = re.search(r'<a href="([^"]+)" rel="next" id="events-older">', page.text)
    return ids, table_rows(page.text, "security-events"), older and older[1].replace("&amp;", "&")


def test_admins_page_through_the_security_events_newest_first(
    client: TestClient, seeded: Seeded
) -> None:
    for _ in range(3):  # three failed logins of the monitor, then the admin logs in
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"username": "mon1", "password": "wrong password!",
                                    "csrf_token": token})  # fmt: skip
    page_client(client, "admin1")
    everything, rows, older = _events(client, "/admin/security-events")
    assert older is None
    assert everything == sorted(everything, reverse=True)  # newest first
    kinds = [r[1] for r in rows]
    assert kinds[0] == "login"  # the admin's own login, the newest
    assert kinds.count("login_failed") == 3
    assert {r[2] for r in rows if r[1] == "login_failed"} == {"mon1"}
    # pages of two: every event once, in the same order
    seen: list[int] = []
    url: str | None = "/admin/security-events?limit=2"
    while url is not None:
        assert url.startswith("/admin/security-events?")  # relative: never from the Host
        ids, _, url = _events(client, url)
        assert 1 <= len(ids) <= 2
        seen += ids
    assert seen == everything
    # filtered by kind and by user, in SQL
    failed, rows, _ = _events(client, "/admin/security-events?kind=login_failed")
    assert len(failed) == 3
    assert {r[1] for r in rows} == {"login_failed"}
    _, rows, _ = _events(client, "/admin/security-events?username=admin1")
    assert rows
    assert {r[2] for r in rows} == {"admin1"}
    assert client.get("/admin/security-events?kind=bogus").status_code == 422
    assert client.get("/admin/security-events?limit=1001").status_code == 422
    assert 'href="/admin/security-events"' in client.get("/admin").text


def test_only_admins_see_the_security_events(client: TestClient, seeded: Seeded) -> None:
    page_client(client, "mon1")
    page = client.get("/admin/security-events")
    assert page.status_code == 403
    assert "login_failed" not in page.text
