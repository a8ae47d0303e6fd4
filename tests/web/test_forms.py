"""The one form controller of the pages (``autoserum.web.formflow``): every edit form requires the
version it read, a refused form is shown again with a banner naming the field, and flash messages
never overflow the session cookie.

Each test here is a regression test of a defect of issue 10: ``expected_version=abc`` answered
500, an instrument form without a version silently overwrote a newer correction (a lost update),
and a 20,000-character adverse-event term overflowed the flash cookie so the user saw nothing.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from autoserum.store import Store

from .conftest import SYSTEM, Seeded
from .test_access_matrix import page_client

NRS_FORM = "/studies/AST-1/subjects/S1-001/visits/baseline/pp_nrs"
#: browsers drop a cookie larger than this (RFC 6265 §6.1 asks for at least 4096 bytes per
#: cookie, name and value included; Chromium, Firefox and Safari stop there)
COOKIE_LIMIT = 4096


def nrs(store: Store) -> tuple[int, object]:
    detail = store.subjects.detail("AST-1", "S1-001", actor=SYSTEM)
    (record,) = [a for a in detail.assessments if a.instrument == "pp_nrs"]
    return record.version, record.payload


@pytest.mark.parametrize("version", ["abc", "", "1.5", "-1", "99999999999999999999999"])
def test_instrument_form_with_a_malformed_version_is_422(
    client: TestClient, seeded: Seeded, version: str
) -> None:
    csrf = page_client(client, "inv1")
    before = nrs(seeded.store)
    data = {"csrf_token": csrf, "score": "3", "reason": "typo", "expected_version": version}
    response = client.post(NRS_FORM, data=data, follow_redirects=False)
    assert response.status_code == 422, response.text[:300]
    assert "version" in response.text
    assert nrs(seeded.store) == before  # nothing written


def test_instrument_form_without_a_version_does_not_overwrite_a_newer_correction(
    client: TestClient, seeded: Seeded
) -> None:
    """User A read version 1; user B corrected it to version 2; A's form without a version
    must not silently replace B's correction (a lost update)."""
    csrf = page_client(client, "inv1")
    store = seeded.store
    record_id = seeded.assessment_ids["S1-001"]
    store.records.update(
        seeded.study,
        "assessment",
        record_id,
        {"payload": {"score": 8}},
        actor=SYSTEM,
        reason="source data verified",
        expected_version=1,
    )
    after_b = nrs(store)
    data = {"csrf_token": csrf, "score": "2", "reason": "typo"}
    response = client.post(NRS_FORM, data=data, follow_redirects=False)
    assert response.status_code == 422, response.text[:300]
    assert nrs(store) == after_b
    # and with the stale version it read, A gets a conflict, still nothing written
    response = client.post(NRS_FORM, data={**data, "expected_version": "1"})
    assert response.status_code == 409
    assert nrs(store) == after_b


def test_correction_form_with_a_malformed_version_is_422(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    url = f"/studies/AST-1/subjects/S1-001/records/visit/{seeded.visit_ids['S1-001']}"
    for version in ("abc", ""):
        response = client.post(
            url,
            data={"csrf_token": csrf, "visit_date": "2026-03-03", "reason": "typo",
                  "expected_version": version},
        )  # fmt: skip
        assert response.status_code == 422
        assert "version" in response.text
    detail = seeded.store.subjects.detail("AST-1", "S1-001", actor=SYSTEM)
    [baseline] = [v for v in detail.visits if v.visit_code == "baseline"]
    assert str(baseline.visit_date) == "2026-03-02"


def _session_cookie_sizes(set_cookie_headers: list[str]) -> list[int]:
    return [len(h.split(";", 1)[0]) for h in set_cookie_headers if h.startswith("session=")]


def test_a_long_message_never_overflows_the_session_cookie(
    client: TestClient, seeded: Seeded
) -> None:
    """A 20,000-character adverse-event term: either refused on the page with the field named,
    or recorded with a short flash message; the cookie stays under the browsers' limit and the
    next page shows a message."""
    csrf = page_client(client, "inv1")
    term = "pruritic papule " * 1250  # 20,000 characters
    response = client.post(
        "/studies/AST-1/subjects/S1-001/adverse_events",
        data={"csrf_token": csrf, "term": term, "severity": "mild", "serious": "no",
              "related": "unlikely", "outcome": "recovered", "onset_date": "2026-03-05"},
        follow_redirects=False,
    )  # fmt: skip
    sizes = _session_cookie_sizes(response.headers.get_list("set-cookie"))
    assert all(size < COOKIE_LIMIT for size in sizes), sizes
    if response.status_code == 303:
        page = client.get(response.headers["location"])
        message = re.search(r'<div class="message ok" role="status">(.*?)</div>', page.text, re.S)
        assert message is not None
        assert "Adverse event" in message.group(1)
        assert len(message.group(1)) <= 300
    else:
        assert response.status_code == 422
        assert 'id="form-errors"' in response.text
        assert "term" in response.text


def test_refused_form_shows_a_banner_naming_the_field_and_keeps_the_values(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    response = client.post(
        "/studies/AST-1/subjects/S1-001/injections",
        data={"csrf_token": csrf, "given_on": "2026-03-04", "volume_ml": "lots", "lot": "L-77"},
    )
    assert response.status_code == 422
    banner = re.search(r'<div[^>]*id="form-errors"[^>]*>(.*?)</div>', response.text, re.S)
    assert banner is not None
    assert 'data-focus="volume_ml"' in banner.group(0)  # focus moves to the bad field
    assert 'href="#volume_ml"' in banner.group(1)  # the banner names the field and links to it
    assert "Volume (mL)" in banner.group(1)
    assert 'value="lots"' in response.text
    assert 'value="L-77"' in response.text
    assert 'id="volume_ml-error"' in response.text
