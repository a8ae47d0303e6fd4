"""Informed consent through the API: documents registered by the admin, randomisation and
collection refused before consent (422, nothing written), consent and withdrawal recorded,
bad input refused with the field named, and no arm in any consent response."""

from __future__ import annotations

from fastapi.testclient import TestClient

from autoserum.i18n import format_date

from .conftest import SYSTEM, Seeded

API = "/api/v1/studies/AST-1"


def _auth(seeded: Seeded, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.tokens[role]}"}


def test_consent_gates_randomisation_and_collection_through_the_api(
    client: TestClient, seeded: Seeded
) -> None:
    admin, coordinator = _auth(seeded, "admin"), _auth(seeded, "coordinator")
    doc = {"document_version": "1.0", "language": "en", "effective_on": "2026-01-05",
           "sha256": "AB" * 32, "title": "ICF v1"}  # fmt: skip
    assert client.post(f"{API}/consent-documents", json=doc, headers=coordinator).status_code == 403
    created = client.post(f"{API}/consent-documents", json=doc, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["sha256"] == "ab" * 32
    rows = len(seeded.store.audit.raw_rows("AST-1"))
    refused = client.post(f"{API}/subjects/S1-002/randomise", headers=coordinator)
    assert refused.status_code == 422
    assert "consent" in refused.text
    assert "S1-002" in refused.text
    visit = client.post(
        f"{API}/subjects/S1-001/visits",
        json={"visit_code": "week_4", "visit_date": "2026-03-30"},
        headers=coordinator,
    )
    assert visit.status_code == 422
    assert len(seeded.store.audit.raw_rows("AST-1")) == rows  # nothing written
    body = {"document_version": "1.0", "consented_at": "2026-02-16T09:30:00", "obtained_by": "Dr K"}
    naive = client.post(f"{API}/subjects/S1-002/consents", json=body, headers=coordinator)
    assert naive.status_code == 422
    assert "consented_at" in naive.text
    body["consented_at"] = "2026-02-16T09:30:00+01:00"
    body["components"] = {"photographs": True, "sample_storage": False}  # type: ignore[assignment]
    consent = client.post(f"{API}/subjects/S1-002/consents", json=body, headers=coordinator)
    assert consent.status_code == 201, consent.text
    assert consent.json()["consented_at"] == "2026-02-16T08:30:00+00:00"
    randomised = client.post(f"{API}/subjects/S1-002/randomise", headers=coordinator)
    assert randomised.status_code == 200, randomised.text
    assert randomised.json()["arm"] is None  # blinded
    state = client.get(f"{API}/subjects/S1-002/consents", headers=coordinator).json()
    assert (state["status"], state["signed_version"]) == ("valid", "1.0")
    assert "arm" not in str(state)
    other = client.get(f"{API}/subjects/S2-002/consents", headers=coordinator)
    assert other.status_code in (403, 404)
    overview = client.get(f"{API}/consents", headers=coordinator).json()
    assert {c["subject_id"] for c in overview} == {"S1-001", "S1-002", "S1-003", "S1-004"}
    withdrawal = client.post(
        f"{API}/subjects/S1-002/consent-withdrawal",
        json={"withdrawn_on": "2026-04-01", "reason": "no longer wishes to take part"},
        headers=coordinator,
    )
    assert withdrawal.status_code == 200, withdrawal.text
    assert withdrawal.json()["status"] == "withdrawn"
    late = client.post(
        f"{API}/subjects/S1-002/visits",
        json={"visit_code": "week_4", "visit_date": "2026-04-02"},
        headers=coordinator,
    )
    assert late.status_code == 422
    assert "withdrawn on 2026-04-01" in late.text
    monitor = client.post(
        f"{API}/subjects/S1-001/consents", json=body, headers=_auth(seeded, "monitor")
    )
    assert monitor.status_code == 403


def test_the_subject_page_records_consent_through_the_one_form_controller(
    client: TestClient, seeded: Seeded
) -> None:
    from .test_access_matrix import page_client

    store = seeded.store
    page = "/studies/AST-1/subjects/S1-002"
    csrf = page_client(client, "coord1")
    assert "Informed consent" not in client.get(page).text  # no document: no consent section
    store.consent.add_document("AST-1", "1.0", "en", "2026-01-05", actor=SYSTEM, sha256="ab" * 32)
    html = client.get(page).text
    assert "Informed consent: no consent recorded" in html
    refused = client.post(f"{page}/randomise", data={"csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 422
    assert "consent" in refused.text
    bad = {"csrf_token": csrf, "document_version": "1.0", "consented_at": "16/02/2026",
           "obtained_by": "Dr Kim", "components_photographs": "maybe"}  # fmt: skip
    shown = client.post(f"{page}/consents", data=bad, follow_redirects=False)
    assert shown.status_code == 422
    assert 'data-focus="consented_at"' in shown.text or 'id="consented_at"' in shown.text
    assert "16/02/2026" in shown.text  # the value typed is shown again
    assert store.consent.of_subject("AST-1", "S1-002", actor=SYSTEM).consents == []
    good = {**bad, "consented_at": "2026-02-16T09:30+01:00", "components_photographs": "yes",
            "components_sample_storage": "no", "witness": "Nurse Lee"}  # fmt: skip
    saved = client.post(f"{page}/consents", data=good, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:300]
    html = client.get(page).text
    assert "Informed consent: valid (version 1.0)" in html
    assert "photographs: agreed, sample storage: declined" in html
    (consent,) = store.consent.of_subject("AST-1", "S1-002", actor=SYSTEM).consents
    assert (consent.witness, consent.obtained_by) == ("Nurse Lee", "Dr Kim")
    randomised = client.post(f"{page}/randomise", data={"csrf_token": csrf}, follow_redirects=False)
    assert randomised.status_code == 303
    withdrawal = {"csrf_token": csrf, "withdrawn_on": "2026-05-01",
                  "consent_withdrawal_reason": "no longer wishes to take part"}  # fmt: skip
    done = client.post(f"{page}/consent_withdrawal", data=withdrawal, follow_redirects=False)
    assert done.status_code == 303, done.text[:300]
    withdrawn_on = format_date("2026-05-01", "en")  # the page writes dates as its language does
    assert f"Informed consent: withdrawn on {withdrawn_on}" in client.get(page).text
