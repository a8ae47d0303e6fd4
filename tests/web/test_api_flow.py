"""The API end to end, on SQLite and once on PostgreSQL (fresh database for the run): screen,
randomise, record visits, injections and assessments (spec worked examples), correct one with a
reason and find it in the audit trail, record an adverse event, withdraw; blinded callers never
receive an arm; no 500 on generated requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from autoserum.store import open_store
from autoserum.web import create_app

from .conftest import TODAY, Seeded, settings_for
from .test_access_matrix import arms_in_json
from .test_bad_input import assert_api_never_answers_500
from .test_scoring import DLQI, EASI_ADULT, SCORAD


def run_flow(client: TestClient, seeded: Seeded) -> None:
    inv = {"Authorization": f"Bearer {seeded.tokens['investigator']}"}
    base = "/api/v1/studies/AST-1/subjects"
    screened = client.post(
        base,
        headers=inv,
        json={"site": "S1", "subject_id": "S1-777", "screened_on": "2026-02-16",
              "facts": {"atopic_dermatitis": True, "scorad": 30}},
    )  # fmt: skip
    assert screened.status_code == 201, screened.text
    assert screened.json()["eligibility"]["eligible"] is True
    assert screened.json()["eligibility"]["failed"] == []
    randomised = client.post(f"{base}/S1-777/randomise", headers=inv)
    assert randomised.status_code == 200, randomised.text
    assert randomised.json()["arm"] is None  # blinded investigator
    assert randomised.json()["status"] == "enrolled"
    injection = client.post(f"{base}/S1-777/injections", headers=inv,
                            json={"given_on": "2026-03-02", "volume_ml": 2})  # fmt: skip
    assert injection.status_code == 201, injection.text
    totals = {}
    for code, items in (("easi", EASI_ADULT), ("scorad", SCORAD), ("dlqi", DLQI)):
        saved = client.post(
            f"{base}/S1-777/assessments",
            headers=inv,
            json={"visit_code": "baseline", "instrument": code, "items": items,
                  "visit_date": "2026-03-02"},
        )  # fmt: skip
        assert saved.status_code == 201, saved.text
        totals[code] = saved.json()
    # docs/instruments.md worked examples: EASI 14.0, SCORAD 27.5, DLQI 17 (exact)
    assert totals["easi"]["total"] == pytest.approx(14.0, abs=1e-9)
    assert totals["scorad"]["total"] == pytest.approx(27.5, abs=1e-9)
    assert totals["dlqi"]["total"] == pytest.approx(17, abs=1e-9)
    easi = totals["easi"]
    stale = client.patch(
        f"{base}/S1-777/assessments/{easi['id']}",
        headers=inv,
        json={"items": {**EASI_ADULT, "trunk_area": 3}, "expected_version": easi["version"] + 5,
              "reason": "stale"},
    )  # fmt: skip
    assert stale.status_code == 409
    corrected = client.patch(
        f"{base}/S1-777/assessments/{easi['id']}",
        headers=inv,
        json={"items": {**EASI_ADULT, "trunk_area": 3}, "expected_version": easi["version"],
              "reason": "transcription error"},
    )  # fmt: skip
    assert corrected.status_code == 200, corrected.text
    # trunk (1+1+0+0) x 3 x 0.3 = 1.8 instead of 1.2: 14.0 + 0.6 = 14.6 (spec formula)
    assert corrected.json()["total"] == pytest.approx(14.6, abs=1e-9)
    trail = client.get(
        "/api/v1/studies/AST-1/audit",
        headers=inv,
        params={"entity": "assessment", "record_id": easi["id"]},
    )
    assert trail.status_code == 200
    assert "transcription error" in [r["reason"] for r in trail.json()]
    ae = client.post(
        f"{base}/S1-777/adverse-events",
        headers=inv,
        json={"term": "injection site pain", "severity": "mild", "serious": False,
              "related": "probable", "outcome": "recovered"},
    )  # fmt: skip
    assert ae.status_code == 201, ae.text
    bad_ae = client.post(
        f"{base}/S1-777/adverse-events",
        headers=inv,
        json={"term": "x", "severity": "deadly", "serious": False, "related": "probable",
              "outcome": "recovered"},
    )  # fmt: skip
    assert bad_ae.status_code == 422
    detail = client.get(f"{base}/S1-777", headers=inv).json()
    assert len(detail["adverse_events"]) == 1  # the invalid one was not stored
    assert arms_in_json(detail) == []
    withdrawn = client.post(f"{base}/S1-777/withdraw", headers=inv, json={"reason": "moved"})
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    admin = {"Authorization": f"Bearer {seeded.tokens['admin']}"}
    assert client.get(f"{base}/S1-777", headers=admin).json()["subject"]["arm"] in (
        "serum",
        "placebo",
    )


def test_api_flow_sqlite(client: TestClient, seeded: Seeded) -> None:
    run_flow(client, seeded)


@pytest.fixture
def pg_client(pg_url: str) -> Iterator[tuple[TestClient, Seeded]]:
    store = open_store(pg_url, clock=lambda: TODAY)
    seeded = Seeded(store)
    app = create_app(settings_for(pg_url), store=store)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            yield client, seeded
    finally:
        store.close()


@pytest.mark.postgres
def test_api_flow_postgres(pg_client: tuple[TestClient, Seeded]) -> None:
    client, seeded = pg_client
    assert seeded.store.dialect == "postgresql"
    run_flow(client, seeded)


@pytest.mark.postgres
def test_api_never_answers_500_on_postgres(pg_client: tuple[TestClient, Seeded]) -> None:
    client, seeded = pg_client
    assert seeded.store.dialect == "postgresql"
    app = cast(FastAPI, client.app)
    assert_api_never_answers_500(app, seeded.tokens["admin"], max_examples=6)


@pytest.mark.postgres
def test_nul_characters_are_rejected_on_postgres(pg_client: tuple[TestClient, Seeded]) -> None:
    """PostgreSQL cannot store NUL characters: every edge refuses them with a message."""
    client, seeded = pg_client
    login = client.get("/login")
    csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    failed = client.post(
        "/login", data={"username": "inv1\x00", "password": "x", "csrf_token": csrf}
    )
    assert failed.status_code == 200
    assert "Invalid username or password." in failed.text
    inv = {"Authorization": f"Bearer {seeded.tokens['investigator']}"}
    ae = client.post(
        "/api/v1/studies/AST-1/subjects/S1-001/adverse-events",
        headers=inv,
        json={"term": "itch\x00", "severity": "mild", "serious": False,
              "related": "possible", "outcome": "recovered"},
    )  # fmt: skip
    assert ae.status_code == 422
    from .test_access_matrix import page_client

    page_csrf = page_client(client, "inv1")
    form = client.post(
        "/studies/AST-1/subjects/S1-001/con_meds",
        data={"csrf_token": page_csrf, "name": "emollient\x00"},
    )
    assert form.status_code == 422
    assert "NUL" in form.text
    assert client.get("/studies/AST-1%00/subjects").status_code in (404, 422)
