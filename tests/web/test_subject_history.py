"""Demographics and AD history on the subject page and the API (``PUT .../history``, ``POST
.../prior-treatments``, ``POST .../comorbidities``): the form offers the protocol's categories,
an impossible value is a 422 naming the field, the value and what was expected (nothing saved),
what is recorded is shown and audited, and a correction needs its reason."""

from __future__ import annotations

from fastapi.testclient import TestClient

from autoserum.study.history import DEFAULT_RACES

from .conftest import SYSTEM, Seeded
from .html import table_rows
from .test_access_matrix import page_client

BASE = "/studies/AST-1/subjects/S1-001"


def test_the_form_offers_the_protocols_categories(client: TestClient, seeded: Seeded) -> None:
    page_client(client, "inv1")
    page = client.get(BASE).text
    for name in ("birth_date", "ethnicity", "race", "fitzpatrick", "ad_onset_age"):
        assert f'name="{name}"' in page, name
    for race in DEFAULT_RACES:  # ast-nahm2023 declares none: the CDISC terms
        assert f'<option value="{race}"' in page, race
    assert 'action="/studies/AST-1/subjects/S1-001/prior_treatments"' in page
    assert 'action="/studies/AST-1/subjects/S1-001/comorbidities"' in page


def test_an_impossible_history_is_a_422_naming_field_value_and_expected(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    bad = client.post(f"{BASE}/history", data={"csrf_token": csrf, "birth_date": "2030-01-01"})
    assert bad.status_code == 422
    assert 'id="birth_date-error"' in bad.text
    assert "got &#39;2030-01-01&#39;; expected a date not after 2026-02-16" in bad.text
    onset = client.post(f"{BASE}/history", data={"csrf_token": csrf, "ad_onset_age": "31"})
    assert onset.status_code == 422  # the subject is 30 (tests/web/conftest.py)
    assert 'id="ad_onset_age-error"' in onset.text
    token = {"Authorization": f"Bearer {seeded.tokens['investigator']}"}
    api = client.put(f"/api/v1{BASE}/history", headers=token, json={"fitzpatrick": "VII"})
    assert api.status_code == 422  # the schema refuses a value outside the vocabulary
    api = client.put(f"/api/v1{BASE}/history", headers=token, json={"ethnicity": "Martian"})
    assert api.status_code == 422
    assert (api.json()["field"], api.json()["value"]) == ("ethnicity", "Martian")
    api = client.post(
        f"/api/v1{BASE}/prior-treatments", headers=token,
        json={"drug": "ciclosporin", "start_year": 2021, "end_year": 2019},
    )  # fmt: skip
    assert api.status_code == 422
    assert (api.json()["field"], api.json()["value"], api.json()["expected"]) == (
        "end_year", "2019", "a year ≥ the start year (2021)",
    )  # fmt: skip
    detail = seeded.store.subjects.detail("AST-1", "S1-001", actor=SYSTEM)
    assert (detail.subject.birth_date, detail.subject.ethnicity, detail.prior_treatments) == (
        None, None, (),
    )  # fmt: skip


def test_history_is_recorded_shown_audited_and_corrected_with_a_reason(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    done = client.post(
        f"{BASE}/history",
        data={"csrf_token": csrf, "race": "ASIAN", "fitzpatrick": "IV", "ad_onset_age": "4"},
    )
    assert done.status_code == 200, done.text[:500]
    (row,) = table_rows(done.text, "history-h")
    shown = dict(zip(
        ("age", "birth_date", "sex", "ethnicity", "race", "fitzpatrick", "ad_onset_age",
         "ad_duration"), row, strict=False,
    ))  # fmt: skip
    assert (shown["age"], shown["race"], shown["fitzpatrick"], shown["ad_duration"]) == (
        "30", "ASIAN", "IV", "26",
    )  # fmt: skip
    added = client.post(
        f"{BASE}/comorbidities", data={"csrf_token": csrf, "condition": "asthma", "ongoing": "yes"}
    )
    assert added.status_code == 200, added.text[:500]
    assert [r[0] for r in table_rows(added.text, "comorbidities-h")] == ["asthma"]
    token = {"Authorization": f"Bearer {seeded.tokens['investigator']}"}
    api = client.put(f"/api/v1{BASE}/history", headers=token, json={"birth_date": "1995-08-01"})
    assert api.status_code == 200, api.text
    assert (api.json()["age"], api.json()["ad_duration"]) == (30, 26)
    made = client.post(
        f"/api/v1{BASE}/prior-treatments", headers=token,
        json={"drug": "dupilumab", "atc_code": "D11AH05", "start_year": 2022, "response": "good"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["drug_class"] == "biologic"
    fixed = client.patch(
        f"/api/v1/studies/AST-1/records/prior_treatment/{made.json()['id']}", headers=token,
        json={"changes": {"response": "partial"}, "expected_version": 1, "reason": "letter"},
    )  # fmt: skip
    assert (fixed.status_code, fixed.json()["response"]) == (200, "partial")
    trail = seeded.store.audit.trail("AST-1", actor=SYSTEM, entity="subject")
    mine = {(r.username, r.field, r.new_value) for r in trail if r.action == "update"}
    assert {("inv1", "race", "ASIAN"), ("inv1", "birth_date", "1995-08-01")} <= mine
    treated = seeded.store.audit.trail("AST-1", actor=SYSTEM, entity="prior_treatment")
    assert ("response", "good", "partial", "letter") in {
        (r.field, r.old_value, r.new_value, r.reason) for r in treated
    }
