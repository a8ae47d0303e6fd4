"""axe-core finds no WCAG 2.1 A/AA violation on the staff pages, in English, Korean and
Simplified Chinese (issue 14, item 6): one Chromium for the module, one seeded study, each page
visited by the role that works on it, in a browser context per language (its Accept-Language
chooses the pages' language)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from autoserum.store import open_store
from autoserum.web import create_app

from .axe import axe_violations, format_violations
from .conftest import PASSWORD, TODAY, LiveServer, Seeded, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

S = "/studies/AST-1"
SUBJECT = f"{S}/subjects/S1-001"
#: (user, pages): every main staff page, seen by the role that works on it.
PAGES: dict[str, tuple[str, ...]] = {
    "inv1": (
        "/studies",
        S,
        f"{S}/subjects",
        f"{S}/screen",
        SUBJECT,
        f"{SUBJECT}/visits/baseline/easi",
        f"{SUBJECT}/visits/baseline/pp_nrs",
        "/account",
    ),
    "mon1": (f"{S}/queries", f"{S}/sdv", f"{SUBJECT}/review", f"{S}/locks"),
    "admin1": (
        "/admin",
        "/admin/studies/AST-1",
        "/admin/users/inv1",
        "/admin/security-events",
        f"{S}/audit",
    ),
}
#: Accept-Language of each language's browser context.
LOCALES = {"en": "en-GB", "ko": "ko-KR", "zh-Hans": "zh-CN"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('axe')) / 'web.db'}"
    store = open_store(url, clock=lambda: TODAY)
    Seeded(store)
    with LiveServer(create_app(settings_for(url), store=store)) as server:
        yield server


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/studies")


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_staff_pages_have_no_wcag_violation(
    browser: Browser, live: LiveServer, language: str
) -> None:
    found: list[str] = []
    visited = 0
    anonymous = browser.new_context(locale=LOCALES[language])
    page = anonymous.new_page()
    page.goto(f"{live.url}/login")
    assert page.locator("html").get_attribute("lang") == language
    violations = axe_violations(page)
    if violations:
        found.append(f"/login as nobody:\n{format_violations(violations)}")
    visited += 1
    anonymous.close()
    for username, paths in PAGES.items():
        context = browser.new_context(locale=LOCALES[language])
        page = context.new_page()
        _login(page, live.url, username)
        for path in paths:
            response = page.goto(f"{live.url}{path}")
            assert response is not None
            assert response.status == 200, (path, username, response.status)
            assert page.locator("html").get_attribute("lang") == language, path
            violations = axe_violations(page)
            if violations:
                found.append(f"{path} as {username}:\n{format_violations(violations)}")
            visited += 1
        context.close()
    assert visited == 1 + sum(len(p) for p in PAGES.values())
    assert not found, f"WCAG 2.1 AA violations in {language}:\n" + "\n".join(found)
