"""The SAE clock's text for a long-overdue event (``web/safety.py:clock_text``, the one owner
of the dashboard's clock text; the switch to days is ``study.safety.OVERDUE_HOURS_SHOWN``):
overdue by up to 48 hours it is told in hours, past that in whole days, in the page's language,
and the SAE report (PDF) drawn at the same time says the same. The app's clock is fixed by the
test (never the wall clock)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from autoserum.store import Store
from autoserum.study.safety import sae_clock
from autoserum.web import create_app
from autoserum.web.safety import clock_text

from .conftest import SYSTEM, Seeded, settings_for
from .test_access_matrix import page_client

AWARE = datetime(2026, 6, 30, 8, 0, tzinfo=UTC)
#: 24 h after awareness plus 700 days and 4 hours: 700 whole days overdue
LATE = AWARE + timedelta(hours=24) + timedelta(days=700, hours=4)
SAE_FORM = {
    "term": "pneumonia", "onset_date": "2026-06-29", "severity": "severe",
    "serious": "yes", "sae_hospitalisation": "yes", "related": "not_related",
    "related_procedure": "not_related", "action_taken": "dose_not_changed",
    "outcome": "recovering", "aware_at": AWARE.isoformat(),
}  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(store: Store, db_url: str, clock: Clock) -> FastAPI:
    return create_app(settings_for(db_url), store=store, now=clock)


@pytest.mark.parametrize(
    ("hours", "language", "text"),
    [
        (4, "en", "20.0 h left"),
        (24 + 48, "en", "OVERDUE by 48.0 h"),  # 48 h: still in hours
        (24 + 49, "en", "OVERDUE by 2 days"),
        (24 + 17000, "en", "OVERDUE by 708 days"),  # 17,000 h = 708.3 days
        (24 + 17000, "ko", "기한 708일 초과"),
        (24 + 17000, "zh_Hans", "已逾期 708天"),
        (30, "ko", "기한 6.0시간 초과"),
    ],
)
def test_the_clock_text_counts_days_past_two_days(hours: int, language: str, text: str) -> None:
    """Korean and Chinese day counts as CLDR writes a duration (Babel ``format_unit``)."""
    clock = sae_clock(AWARE, reported_at=None, now=AWARE + timedelta(hours=hours))
    assert clock_text(clock, language) == text


def test_the_dashboard_and_the_pdf_tell_a_long_overdue_sae_in_days(
    client: TestClient, seeded: Seeded, clock: Clock
) -> None:
    csrf = page_client(client, "inv1")
    saved = client.post(
        "/studies/AST-1/subjects/S1-001/adverse_events", data={**SAE_FORM, "csrf_token": csrf}
    )
    assert saved.status_code == 200, saved.text[:400]
    clock.at = LATE
    dashboard = client.get("/studies/AST-1").text
    alert = dashboard[dashboard.index('id="sae-alerts"') :]
    alert = alert[: alert.index("</section>")]
    assert "OVERDUE by 700 days" in alert
    assert " h<" not in alert.replace("OVERDUE by 700 days", "")  # no hours shown
    for language, text in (("ko", "기한 700일 초과"), ("zh-Hans", "已逾期 700天")):
        page = client.get("/studies/AST-1", headers={"Accept-Language": language}).text
        assert text in page[page.index('id="sae-alerts"') :]
    (ae,) = seeded.store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).adverse_events
    pdf = client.get(f"/studies/AST-1/subjects/S1-001/adverse_events/{ae.id}/sae.pdf")
    assert pdf.status_code == 200
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
    assert "OVERDUE by 700 days: not yet reported" in text
