"""Login, logout, lockout, sessions, CSRF and API tokens through the app (TestClient)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from autoserum.store import Store
from autoserum.web import create_app
from autoserum.web.accounts import GENERIC_FAILURE
from autoserum.web.app import SESSION_COOKIE

from .conftest import PASSWORD, add_user, settings_for


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    return response.text if response.status_code == 200 else response.headers["location"]


def test_login_page_has_labelled_username_and_password(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<label for="username">' in page.text
    assert '<label for="password">' in page.text
    assert 'name="username"' in page.text
    assert 'name="password"' in page.text


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(
    client: TestClient, store: Store
) -> None:
    add_user(store, "ada", "admin", None)
    form = client.get("/login")
    signed_in = client.post(
        "/login",
        data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert signed_in.headers["location"] == "/studies"
    # the cookie that carries the new session is HttpOnly and SameSite=Lax
    (session_cookie,) = [
        h for h in signed_in.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "=")
    ]
    assert "httponly" in session_cookie.lower()
    assert "samesite=lax" in session_cookie.lower()
    cookie = client.cookies.jar
    assert any(c.name == SESSION_COOKIE for c in cookie)
    page = client.get("/studies")
    assert page.status_code == 200
    assert "ada (admin)" in page.text
    fresh = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert fresh.status_code == 303
    header = fresh.headers["set-cookie"].lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "secure" not in header  # development: plain http on loopback
    after = client.get("/studies", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")


def test_production_cookie_is_secure(store: Store, db_url: str) -> None:
    settings = settings_for(db_url).model_copy(update={"env": "production"})
    app = create_app(settings, store=store)
    with TestClient(app, base_url="https://127.0.0.1") as client:
        page = client.get("/login")
        assert "secure" in page.headers["set-cookie"].lower()


def test_failed_login_reshows_the_page_with_a_message(client: TestClient, store: Store) -> None:
    add_user(store, "ada", "admin", None)
    text = login(client, "ada", "wrong password")
    assert "Invalid username or password." in text
    assert 'value="ada"' in text  # what the user typed is kept
    assert "Invalid username or password." in login(client, "nobody", "whatever")


def test_repeated_failures_lock_the_account(client: TestClient, store: Store) -> None:
    add_user(store, "ada", "investigator", frozenset())
    for _ in range(5):
        assert GENERIC_FAILURE in login(client, "ada", "wrong")
    record = store.accounts.get_user("ada")
    assert record is not None
    assert record.locked_until is not None
    # even the right password is refused while locked, with the same message
    assert GENERIC_FAILURE in login(client, "ada")
    assert client.get("/studies", follow_redirects=False).status_code == 303


def test_login_without_csrf_token_reshows_the_form(client: TestClient, store: Store) -> None:
    add_user(store, "ada", "admin", None)
    response = client.post("/login", data={"username": "ada", "password": PASSWORD})
    assert response.status_code == 200
    assert "expired" in response.text
    assert client.get("/studies", follow_redirects=False).status_code == 303


def test_post_without_csrf_token_is_refused(client: TestClient, store: Store) -> None:
    add_user(store, "ada", "admin", None)
    login(client, "ada")
    response = client.post("/logout", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/studies").status_code == 200  # still logged in


def test_open_redirect_after_login_is_refused(client: TestClient, store: Store) -> None:
    add_user(store, "ada", "admin", None)
    page = client.get("/login?next=//evil.example/")
    response = client.post(
        "/login",
        data={
            "username": "ada",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/studies"


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_api_needs_a_valid_token(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/studies", headers=headers)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_api_accepts_a_personal_token(client: TestClient, store: Store) -> None:
    token = add_user(store, "ada", "admin", None)
    response = client.get("/api/v1/studies", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == []
