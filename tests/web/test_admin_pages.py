"""Study build and administration on the pages (admin) and "My account" (everyone): a study
created from an uploaded protocol file (a bad file refused with its field path, nothing
written), sites added, users created with site scopes, re-scoped and deactivated with a reason
(audited), tokens issued once and revoked; a user changes their own password (sessions and
tokens end) and revokes their own token but not another user's."""

from __future__ import annotations

import re
from importlib import resources

from fastapi.testclient import TestClient

from autoserum.i18n import format_date
from autoserum.store import Store

from .conftest import PASSWORD, SYSTEM, add_user
from .test_access_matrix import page_client

PROTOCOL = resources.files("autoserum.protocols").joinpath("library/ast-nahm2023.toml")


def _token_on(page: str) -> str:
    match = re.search(r'<code id="new-token">([^<]+)</code>', page)
    assert match, page[:500]
    return match.group(1)


def test_admin_builds_a_study_and_its_users(client: TestClient, store: Store) -> None:
    add_user(store, "root", "admin", None)
    csrf = page_client(client, "root")
    text = PROTOCOL.read_text(encoding="utf-8")
    bad = text.replace('blinding = "double_blind"', 'blinding = "sort of"', 1)
    assert bad != text
    refused = client.post(
        "/admin/studies",
        data={"name": "OWN-1", "csrf_token": csrf},
        files={"protocol_file": ("mine.toml", bad.encode(), "application/toml")},
    )
    assert refused.status_code == 422
    assert 'id="protocol_file-error"' in refused.text
    assert "blinding = &#39;sort of&#39;" in refused.text  # the field path and the value
    assert store.studies.all() == []
    created = client.post(
        "/admin/studies",
        data={"name": "OWN-1", "csrf_token": csrf},
        files={"protocol_file": ("mine.toml", text.encode(), "application/toml")},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text[:2000]
    assert created.headers["location"] == "/admin/studies/OWN-1"
    assert store.studies.get("OWN-1").protocol_code == "ast-nahm2023"
    for code, name in (("s01", "Seoul"), ("s02", "Busan")):
        added = client.post(
            "/admin/studies/OWN-1/sites",
            data={"code": code, "site_name": name, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert added.status_code == 303
    again = client.post(
        "/admin/studies/OWN-1/sites", data={"code": "s01", "site_name": "x", "csrf_token": csrf}
    )
    assert again.status_code == 409
    assert "site &#39;s01&#39; exists already" in again.text
    assert [s.code for s in store.studies.sites("OWN-1")] == ["s01", "s02"]
    # a user with a weak password is refused beside the field; then created at site s01
    weak = client.post(
        "/admin/users",
        data={"username": "cora", "role": "coordinator", "password": "password1234",
              "sites": "OWN-1/s01", "csrf_token": csrf},
    )  # fmt: skip
    assert weak.status_code == 422
    assert 'id="password-error"' in weak.text
    assert store.accounts.get_user("cora") is None
    made = client.post(
        "/admin/users",
        data={"username": "cora", "role": "coordinator", "password": PASSWORD,
              "sites": "OWN-1/s01", "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303
    cora = store.accounts.get_user("cora")
    assert cora is not None
    assert cora.sites == frozenset({("OWN-1", "s01")})
    # re-scope to s02 as an investigator, with a reason (audited as a security-relevant change)
    no_reason = client.post(
        "/admin/users/cora",
        data={"role": "investigator", "sites": "OWN-1/s02", "active": "yes", "csrf_token": csrf},
    )
    assert no_reason.status_code == 422
    changed = client.post(
        "/admin/users/cora",
        data={"role": "investigator", "sites": "OWN-1/s02", "active": "yes",
              "reason": "moved to Busan", "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303
    cora = store.accounts.get_user("cora")
    assert cora is not None
    assert (cora.role, cora.sites) == ("investigator", frozenset({("OWN-1", "s02")}))
    # a token issued once, usable, then revoked by the admin
    issued = client.post(
        "/admin/users/cora/tokens", data={"label": "lab pc", "expires_days": "30",
                                          "csrf_token": csrf}
    )  # fmt: skip
    assert issued.status_code == 200
    assert issued.headers["cache-control"] == "no-store"
    token = _token_on(issued.text)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/studies/OWN-1", headers=bearer).status_code == 200
    token_id = store.accounts.api_tokens("cora", actor=SYSTEM)[-1].id
    assert token not in client.get("/admin/users/cora").text  # shown once only
    revoked = client.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert client.get("/api/v1/studies/OWN-1", headers=bearer).status_code == 401
    # deactivation: the user can no longer log in
    client.post(
        "/admin/users/cora",
        data={"role": "investigator", "sites": "OWN-1/s02", "reason": "left the study",
              "csrf_token": csrf},
    )  # fmt: skip
    cora = store.accounts.get_user("cora")
    assert cora is not None
    assert cora.active is False


def test_my_account_password_and_tokens(client: TestClient, store: Store) -> None:
    add_user(store, "ivy", "investigator", None)
    other_token = add_user(store, "mo", "monitor", None)
    other_id = store.accounts.api_tokens("mo", actor=SYSTEM)[0].id
    csrf = page_client(client, "ivy")
    page = client.get("/account")
    assert page.status_code == 200
    assert "My API tokens" in page.text
    issued = client.post("/account/tokens", data={"label": "laptop", "csrf_token": csrf})
    token = _token_on(issued.text)
    mine = [t.id for t in store.accounts.api_tokens("ivy", actor=SYSTEM)]
    assert len(mine) == 2
    # another user's token is not mine: not found, and it still works
    theirs = client.post(f"/account/tokens/{other_id}/revoke", data={"csrf_token": csrf})
    assert theirs.status_code == 404
    mo = {"Authorization": f"Bearer {other_token}"}
    assert client.get("/api/v1/studies", headers=mo).status_code == 200
    done = client.post(
        f"/account/tokens/{mine[-1]}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert (
        client.get("/api/v1/studies", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    # a wrong current password is refused beside its field; nothing changes
    wrong = client.post(
        "/account/password",
        data={"current_password": "not it at all", "new_password": "violet meadow lantern 42",
              "confirm_password": "violet meadow lantern 42", "csrf_token": csrf},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert 'id="current_password-error"' in wrong.text
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "violet meadow lantern 42",
              "confirm_password": "violet meadow lantern 42", "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303
    assert changed.headers["location"] == "/login"
    # the session ended: the next page asks to log in; the old password no longer works
    assert client.get("/account", follow_redirects=False).headers["location"].startswith("/login")
    assert all(not t.active for t in store.accounts.api_tokens("ivy", actor=SYSTEM))
    page_client(client, "ivy")  # with the old password: refused
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_admin_records_a_protocol_amendment(client: TestClient, store: Store) -> None:
    """An amendment uploaded on the study's admin page: a bad file refused with its field path
    beside the file field, a missing date beside its field (nothing written), then recorded
    and listed on the admin page and the dashboard."""
    add_user(store, "root", "admin", None)
    csrf = page_client(client, "root")
    store.studies.create("AMD-1", "ast-nahm2023", actor=SYSTEM, seed=1)
    text = PROTOCOL.read_text(encoding="utf-8")
    wider = text.replace(
        "window_before = 3\nwindow_after = 3", "window_before = 7\nwindow_after = 7", 1
    )
    assert wider != text
    bad = wider.replace("window_before = 7", "window_before = -7", 1)
    form = {"effective_on": "2026-05-01", "summary": "week 4 window ±7 days",
            "approved_by": "IRB Seoul", "csrf_token": csrf}  # fmt: skip
    refused = client.post(
        "/admin/studies/AMD-1/amendments",
        data=form,
        files={"protocol_file": ("v2.toml", bad.encode(), "application/toml")},
    )
    assert refused.status_code == 422
    assert 'id="protocol_file-error"' in refused.text
    assert "visits[2].window_before = -7" in refused.text  # the field path and the value
    undated = client.post(
        "/admin/studies/AMD-1/amendments",
        data={**form, "effective_on": ""},
        files={"protocol_file": ("v2.toml", wider.encode(), "application/toml")},
    )
    assert undated.status_code == 422
    assert 'id="effective_on-error"' in undated.text
    assert len(store.studies.versions("AMD-1")) == 1
    made = client.post(
        "/admin/studies/AMD-1/amendments",
        data=form,
        files={"protocol_file": ("v2.toml", wider.encode(), "application/toml")},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text[:2000]
    assert store.studies.versions("AMD-1").current.protocol.visit("week_4").window_after == 7
    page = client.get("/admin/studies/AMD-1").text
    rows = re.findall(r"<tr><td>(\d)</td><td>([^<]+)</td><td>([^<]+)</td>", page)
    assert rows == [("1", "study start", "original protocol"),
                    ("2", format_date("2026-05-01", "en"), "week 4 window ±7 days")]  # fmt: skip
    board = client.get("/studies/AMD-1").text
    effective = format_date("2026-05-01", "en")  # the page's language writes it: May 1, 2026
    assert f"Version 2 (effective {effective}, approved by IRB Seoul)" in board
