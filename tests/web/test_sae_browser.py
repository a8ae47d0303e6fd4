"""In headless Chromium, with the app's clock fixed at 2026-06-30 12:00 UTC: an investigator
records a serious adverse event on the subject page, the study dashboard alerts with its
24-hour countdown (20.0 h left from awareness at 08:00), and the SAE report PDF downloads from
the alert; its text (pypdf) names the event and keeps the arm blinded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect

from autoserum.store import Store
from autoserum.web import create_app
from tests.pdftext import pdf_text

from .conftest import PASSWORD, LiveServer, Seeded, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def app(store: Store, db_url: str) -> FastAPI:
    return create_app(settings_for(db_url), store=store, now=lambda: NOW)


def test_sae_alert_countdown_and_report(
    browser: Browser, live: LiveServer, seeded: Seeded, tmp_path: Path
) -> None:
    page = browser.new_page(accept_downloads=True)
    page.goto(f"{live.url}/login")
    page.get_by_label("Username").fill("inv1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Studies")).to_be_visible()

    page.goto(f"{live.url}/studies/AST-1/subjects/S1-001")
    page.get_by_text("Record an adverse event").click()
    page.get_by_label("Term (verbatim)").fill("injection site cellulitis")
    page.get_by_label("Onset date").fill("2026-06-29")
    page.get_by_label("Severity", exact=True).select_option("severe")
    page.get_by_label("Serious", exact=True).select_option("yes")
    page.get_by_label("Serious: hospitalisation").select_option("yes")
    page.get_by_label("Relatedness", exact=True).select_option("possible")
    page.get_by_label("Causality to the injection procedure").select_option("probable")
    page.get_by_label("Outcome").select_option("recovering")
    page.get_by_label("Site aware at").fill("2026-06-30T08:00+00:00")
    page.get_by_role("button", name="Save an adverse event").click()
    expect(page.get_by_role("status")).to_contain_text("injection site cellulitis")

    page.goto(f"{live.url}/studies/AST-1")
    alert = page.locator("#sae-alerts")
    expect(alert).to_contain_text("injection site cellulitis")
    expect(alert.locator("#sae-clock tbody tr")).to_have_count(1)
    # 24 hours from 08:00 is 08:00 next day: 20.0 h left at the app's 12:00
    expect(alert).to_contain_text("20.0 h left")
    expect(alert).to_contain_text("Jul 1, 2026 08:00")  # the locale's date format (en)

    with page.expect_download() as info:
        alert.get_by_role("link", name="SAE report (PDF)").click()
    target = tmp_path / "sae.pdf"
    info.value.save_as(target)
    assert target.read_bytes()[:5] == b"%PDF-"
    text = pdf_text(target)
    assert "injection site cellulitis" in text
    assert "Study treatment blinded" in text
    assert "Reporting (24 hours from awareness)" in text
    assert "20.0 hours left" in text
