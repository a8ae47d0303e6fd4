"""Serious adverse events on the pages, with the app's clock fixed at 2026-06-30 12:00 UTC: the
E2A fields on the adverse-event form (a serious event without a criterion is a 422 naming it),
the dashboard's 24-hour alert (time left; overdue flagged), and the SAE report PDF (permission
``report_sae``; the arm never shown to a blinded user; its text names the event)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from autoserum.store import Store
from autoserum.web import create_app

from .conftest import SYSTEM, Seeded, settings_for
from .test_access_matrix import page_client

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
BASE = "/studies/AST-1/subjects/S1-001"
SAE_FORM = {
    "term": "injection site cellulitis", "onset_date": "2026-06-29", "severity": "severe",
    "serious": "yes", "sae_hospitalisation": "yes", "related": "possible",
    "related_procedure": "probable", "action_taken": "drug_interrupted",
    "outcome": "recovering", "aware_at": "2026-06-30T08:00+00:00",
    "narrative": "Admitted for intravenous antibiotics.",
}  # fmt: skip


@pytest.fixture
def app(store: Store, db_url: str) -> FastAPI:
    return create_app(settings_for(db_url), store=store, now=lambda: NOW)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())


def test_sae_form_alert_and_report(client: TestClient, seeded: Seeded) -> None:
    csrf = page_client(client, "inv1")
    missing = client.post(
        f"{BASE}/adverse_events",
        data={**SAE_FORM, "sae_hospitalisation": "no", "csrf_token": csrf},
    )
    assert missing.status_code == 422
    assert "seriousness_criteria" in missing.text or "at least one criterion" in missing.text
    assert "Nothing was saved." in missing.text
    saved = client.post(f"{BASE}/adverse_events", data={**SAE_FORM, "csrf_token": csrf})
    assert saved.status_code == 200, saved.text[:400]
    # a second SAE at the other randomised subject of site S1, aware 30 h ago: overdue by 6 h
    late = {**SAE_FORM, "term": "pneumonia", "aware_at": "2026-06-29T06:00+00:00"}
    other = client.post(
        "/studies/AST-1/subjects/S1-003/adverse_events", data={**late, "csrf_token": csrf}
    )
    assert other.status_code == 200, other.text[:400]
    dashboard = client.get("/studies/AST-1").text
    alert = dashboard[dashboard.index('id="sae-alerts"') :]
    alert = alert[: alert.index("</section>")]
    # 24 h from 08:00 is 08:00 the next day: 20.0 h left at 12:00; 06:00 → overdue by 6.0 h
    assert "injection site cellulitis" in alert
    assert "20.0 h left" in alert
    assert "OVERDUE by 6.0 h" in alert
    assert alert.index("pneumonia") < alert.index("injection site cellulitis")  # nearest first
    (ae,) = seeded.store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).adverse_events
    link = f"{BASE}/adverse_events/{ae.id}/sae.pdf"
    assert link in alert
    pdf = client.get(link)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = _text(pdf.content)
    assert "injection site cellulitis" in text
    assert "Study treatment blinded" in text  # the investigator is blinded
    assert seeded.arms["S1-001"] not in text.replace("autoserum", "")
    assert "20.0 hours left" in text
    assert "hospitalisation" in text
    # the admin sees the arm in the report
    page_client(client, "admin1")
    admin_text = _text(client.get(link).content)
    assert f"Study treatment {seeded.arms['S1-001']}" in admin_text
    # reported to the sponsor (a follow-up: a new version of the event): the alert goes
    seeded.store.records.update(
        "AST-1", "adverse_event", ae.id, {"reported_at": "2026-06-30T11:00+00:00"},
        actor=SYSTEM, reason="reported to the sponsor", expected_version=ae.version,
    )  # fmt: skip
    after = client.get("/studies/AST-1").text
    assert "injection site cellulitis" not in after
    assert "pneumonia" in after


def test_a_statistician_gets_no_alert_and_no_report(client: TestClient, seeded: Seeded) -> None:
    csrf = page_client(client, "inv1")
    client.post(f"{BASE}/adverse_events", data={**SAE_FORM, "csrf_token": csrf})
    (ae,) = seeded.store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).adverse_events
    page_client(client, "stat1")
    assert 'id="sae-alerts"' not in client.get("/studies/AST-1").text
    refused = client.get(f"{BASE}/adverse_events/{ae.id}/sae.pdf", follow_redirects=False)
    assert refused.status_code in (403, 404)
