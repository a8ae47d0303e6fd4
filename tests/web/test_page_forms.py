"""The screening date and the eligibility override's reason on the page forms (issue 10 item 7:
the API had them, the pages did not). A refusal names the field, the value and what was
expected, answers 422 and writes nothing; the browser shows the message in view."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from .conftest import SYSTEM, LiveServer, Seeded
from .test_access_matrix import page_client
from .test_e2e_browser import login

UNKNOWN_FACTS = {"site": "S1", "atopic_dermatitis": "yes"}  # the SCORAD rule left unknown


def banner(html: str) -> str:
    found = re.search(r'<div[^>]*id="form-errors"[^>]*>(.*?)</div>', html, re.S)
    assert found is not None, "no error banner"
    return found.group(1)


def subject_ids(seeded: Seeded) -> list[str]:
    return [s.subject_id for s in seeded.store.subjects.all("AST-1", actor=SYSTEM)]


def test_the_screening_form_records_the_screening_date(client: TestClient, seeded: Seeded) -> None:
    csrf = page_client(client, "coord1")
    assert 'name="screened_on"' in client.get("/studies/AST-1/screen").text
    response = client.post(
        "/studies/AST-1/screen",
        data={**UNKNOWN_FACTS, "subject_id": "S1-050", "screened_on": "2026-05-04",
              "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text[:500]
    detail = seeded.store.subjects.detail("AST-1", "S1-050", actor=SYSTEM)
    [screening] = [v for v in detail.visits if v.visit_code == "screening"]
    assert screening.visit_date is not None
    assert screening.visit_date.isoformat() == "2026-05-04"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-07-01", "a date on or before today (2026-06-30)"),  # conftest.TODAY
        ("04/05/2026", "an ISO date"),
        ("2026-02-30", "an ISO date"),
    ],
)
def test_a_bad_screening_date_is_refused_by_name_and_nothing_is_written(
    client: TestClient, seeded: Seeded, typed: str, expected: str
) -> None:
    csrf = page_client(client, "coord1")
    before = subject_ids(seeded)
    response = client.post(
        "/studies/AST-1/screen",
        data={**UNKNOWN_FACTS, "subject_id": "S1-051", "screened_on": typed, "csrf_token": csrf},
    )
    assert response.status_code == 422
    text = banner(response.text)
    assert "Screening date" in text
    assert typed in text
    assert expected in text
    assert f'value="{typed}"' in response.text  # what was typed is kept
    assert subject_ids(seeded) == before


def test_randomising_with_an_unknown_rule_needs_an_investigators_reason(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "coord1")
    client.post(
        "/studies/AST-1/screen",
        data={**UNKNOWN_FACTS, "subject_id": "S1-052", "screened_on": "2026-05-04",
              "csrf_token": csrf},
    )  # fmt: skip
    # the coordinator may not override: no reason field, the refusal in the banner
    page = client.get("/studies/AST-1/subjects/S1-052")
    assert 'name="override_reason"' not in page.text
    refused = client.post(
        "/studies/AST-1/subjects/S1-052/randomise",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "eligibility" in banner(refused.text)
    assert "unknown scorad" in banner(refused.text)
    client.post("/logout", data={"csrf_token": csrf})

    csrf = page_client(client, "inv1")
    page = client.get("/studies/AST-1/subjects/S1-052")
    assert 'name="override_reason"' in page.text
    refused = client.post("/studies/AST-1/subjects/S1-052/randomise", data={"csrf_token": csrf})
    assert refused.status_code == 422
    assert 'id="override_reason-error"' in refused.text  # the message beside the reason field
    assert seeded.store.subjects.detail("AST-1", "S1-052", actor=SYSTEM).subject.status == (
        "screened"
    )
    done = client.post(
        "/studies/AST-1/subjects/S1-052/randomise",
        data={"csrf_token": csrf, "override_reason": "age confirmed by the GP letter"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:500]
    [deviation] = seeded.store.records.deviations(
        "AST-1", actor=SYSTEM, kind="eligibility_override"
    )
    assert deviation.subject_id == "S1-052"
    assert "age confirmed by the GP letter" in deviation.description
    assert "unknown scorad" in deviation.description


def test_no_screening_before_the_study_start_on_the_page_or_the_api(
    client: TestClient, seeded: Seeded
) -> None:
    """Study AST-S starts on 2026-03-01: a screening dated before it is refused by name, 422,
    nothing written, through the page form and the API alike."""
    store = seeded.store
    store.studies.create("AST-S", "ast-nahm2023", actor=SYSTEM, seed=3, start_date="2026-03-01")
    store.studies.add_site("AST-S", "S1", "Site one", actor=SYSTEM)
    expected = "expected a date on or after the study start (2026-03-01)"
    csrf = page_client(client, "admin1")
    page = client.post(
        "/studies/AST-S/screen",
        data={**UNKNOWN_FACTS, "subject_id": "S1-070", "screened_on": "2026-02-16",
              "csrf_token": csrf},
    )  # fmt: skip
    assert page.status_code == 422
    assert "Screening date" in banner(page.text)
    assert "2026-02-16" in banner(page.text)
    assert expected in banner(page.text)
    api = client.post(
        "/api/v1/studies/AST-S/subjects",
        headers={"Authorization": f"Bearer {seeded.tokens['admin']}"},
        json={"site": "S1", "subject_id": "S1-071", "screened_on": "2026-02-16",
              "facts": {"atopic_dermatitis": True, "scorad": 30}},
    )  # fmt: skip
    assert api.status_code == 422, api.text
    assert "screened_on" in api.text
    assert expected in api.text
    assert store.subjects.all("AST-S", actor=SYSTEM) == []


@pytest.mark.browser
@pytest.mark.slow
def test_a_refused_screening_date_is_shown_in_view(
    browser: Browser, live: LiveServer, seeded: Seeded
) -> None:
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    login(page, live.url, "inv1")
    page.goto(f"{live.url}/studies/AST-1/screen")
    page.get_by_label("Site").select_option("S1")
    page.get_by_label("Subject identifier (pseudonymous code, never a name)").fill("S1-060")
    page.get_by_label("Screening date").fill("2026-07-01")
    page.get_by_role("button", name="Screen").click()
    expect(page.locator("#form-errors")).to_contain_text("Screening date")
    expect(page.locator("#form-errors")).to_contain_text("2026-07-01")
    expect(page.locator("#form-errors")).to_be_in_viewport()
    expect(page.locator("#screened_on-error")).to_be_in_viewport()
    expect(page.get_by_label("Screening date")).to_be_focused()
    assert "S1-060" not in [s.subject_id for s in seeded.store.subjects.all("AST-1", actor=SYSTEM)]
