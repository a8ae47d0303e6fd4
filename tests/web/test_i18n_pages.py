"""The pages in the user's language (issue 14, item 5): chosen on "My account" (audited, kept on
the account), else the browser's Accept-Language; ``<html lang>`` follows; a subject carries the
language of its own pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from autoserum.store import Store

from .conftest import SYSTEM, Seeded
from .test_access_matrix import page_client
from .test_auth import csrf_of

_LANG = re.compile(r'<html lang="([^"]+)">')


def _lang(html: str) -> str:
    found = _LANG.search(html)
    assert found, "the page has no <html lang>"
    return found.group(1)


def test_the_login_page_follows_the_browser(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"})
    assert _lang(page.text) == "ko"
    assert "<h1>로그인</h1>" in page.text
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert _lang(page.text) == "zh-Hans"
    assert "<h1>登录</h1>" in page.text
    page = client.get("/login", headers={"Accept-Language": "fr"})
    assert _lang(page.text) == "en"
    assert "<h1>Log in</h1>" in page.text


def test_a_user_chooses_the_language_of_their_pages(client: TestClient, seeded: Seeded) -> None:
    csrf = page_client(client, "inv1")
    saved = client.post("/account/language", data={"language": "zh-Hans", "csrf_token": csrf})
    assert saved.status_code == 200  # followed the redirect to /account
    assert _lang(saved.text) == "zh-Hans"
    assert "语言已保存。" in saved.text
    assert '<a href="/account">我的账户</a>' in saved.text
    # kept on the account: the browser's preference no longer decides
    page = client.get("/studies", headers={"Accept-Language": "ko"})
    assert _lang(page.text) == "zh-Hans"
    record = seeded.store.accounts.get_user("inv1")
    assert record is not None
    assert record.language == "zh-Hans"
    # back to the browser's language
    client.post("/account/language", data={"language": "", "csrf_token": csrf})
    assert _lang(client.get("/studies", headers={"Accept-Language": "ko"}).text) == "ko"


def test_an_unknown_language_is_refused_and_nothing_is_saved(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    refused = client.post("/account/language", data={"language": "fr", "csrf_token": csrf})
    assert refused.status_code == 422
    assert "one of en, ko, zh-Hans" in refused.text
    record = seeded.store.accounts.get_user("inv1")
    assert record is not None
    assert record.language is None


def test_the_choice_is_the_users_own_and_audited(store: Store, seeded: Seeded) -> None:
    coord = seeded.store.accounts.get_user("coord1")
    assert coord is not None
    from autoserum.errors import PermissionDeniedError
    from autoserum.store import Actor

    inv = Actor("inv1", "investigator", frozenset({("AST-1", "S1")}))
    try:
        store.accounts.update_user("coord1", {"language": "ko"}, actor=inv, reason="x")
    except PermissionDeniedError:
        pass
    else:
        raise AssertionError("a user changed another user's language")
    store.accounts.update_user("inv1", {"language": "ko"}, actor=inv, reason="mine")
    rows = [r for r in store.audit.raw_rows() if r.entity == "user" and r.field == "language"]
    assert [(r.username, r.old_value, r.new_value) for r in rows] == [("inv1", None, "ko")]


def test_a_subject_carries_the_language_of_its_own_pages(store: Store, seeded: Seeded) -> None:
    subject = store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).subject
    assert subject.language is None
    updated = store.records.update(
        "AST-1", "subject", subject.id, {"language": "ko"}, actor=SYSTEM,
        reason="the patient reads Korean", expected_version=subject.version,
    )  # fmt: skip
    assert updated.language == "ko"
    assert store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).subject.language == "ko"


def test_csrf_of_login_page_in_korean(client: TestClient) -> None:
    assert csrf_of(client.get("/login", headers={"Accept-Language": "ko"}).text)
