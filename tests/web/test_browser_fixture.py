"""The shared ``browser`` fixture (``conftest.py``): one Chromium for the session, handed to one
test at a time. What a test leaves open is closed after it, and the next test, browser or not,
finds the thread as it was: ``asyncio.run`` works (Playwright's sync API marks its event loop as
running between calls)."""

from __future__ import annotations

import asyncio

import pytest
from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser]


async def _answer() -> int:
    await asyncio.sleep(0)
    return 42


def test_a_browser_test_that_leaves_its_page_open(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content("<p id='x'>left open</p>")
    assert page.inner_text("#x") == "left open"
    assert len(browser.contexts) >= 1


def test_the_next_test_finds_no_context_and_can_run_asyncio(
    chromium: tuple[Browser, asyncio.AbstractEventLoop],
) -> None:
    # runs after the test above in a serial run (file order); on its own, trivially true
    browser, _ = chromium
    assert browser.contexts == []
    assert asyncio.run(_answer()) == 42


def test_the_shared_browser_still_works_after_asyncio_ran(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content("<button>ok</button>")
    assert page.get_by_role("button").inner_text() == "ok"
