"""The audit trail page in a real Chromium at 1366 px wide (a monitor's laptop): the event
table fits the width (no horizontal overflow, a long reason wraps instead of being cut off) and
the filters are usable (a subject filter typed and submitted narrows the page)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from .conftest import SYSTEM, LiveServer, Seeded
from .test_e2e_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LONG_REASON = (
    "The subject moved abroad for work and asked to stop all study procedures; confirmed by "
    "telephone with the site coordinator and documented in the source notes, reference "
    "SRC-2026-0417-withdrawal-confirmation-call-with-coordinator-and-investigator-present"
)


def test_the_audit_page_fits_1366_px_and_its_filters_work(
    browser: Browser, app: FastAPI, seeded: Seeded
) -> None:
    seeded.store.subjects.withdraw("AST-1", "S1-003", actor=SYSTEM, reason=LONG_REASON)
    with LiveServer(app) as live:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        login(page, live.url, "admin1")
        page.goto(f"{live.url}/studies/AST-1/audit")
        expect(page.locator("#audit tr.event-head").first).to_be_visible()
        _fits(page)
        # the filters: every field on screen; a subject typed and submitted narrows the page
        for label in ("Site", "Subject", "User", "Record type", "From (UTC day)", "To (UTC day)"):
            field = page.get_by_label(label, exact=True)
            expect(field).to_be_visible()
            box = field.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= 1366, label
        page.get_by_label("Subject", exact=True).fill("S1-003")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"/studies/AST-1/audit\?.*subject_id=S1-003"))
        expect(page.locator("h1 .hint")).to_have_text("subject S1-003")
        expect(page.locator("#audit tr.event-head").first).to_contain_text("S1-003")
        heads = page.locator("#audit tr.event-head").all_inner_texts()
        assert all("S1-003" in h for h in heads), heads
        # the withdrawal's long reason: shown whole, wrapped inside the width
        reason = page.locator("#audit td.reason", has_text="moved abroad")
        expect(reason).to_contain_text("investigator-present")
        box = reason.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 1366
        _fits(page)
        page.close()


def _fits(page: Page) -> None:
    """No horizontal overflow: the document and the event table within the viewport."""
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('#audit').getBoundingClientRect().right]"
    )
    scroll_width, inner_width, table_right = sizes
    assert inner_width == 1366
    assert scroll_width <= inner_width, sizes  # no horizontal scroll bar
    assert table_right <= inner_width, sizes
