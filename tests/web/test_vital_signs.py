"""Vital signs on the subject page and ``POST .../vital-signs`` of the API, derived from the
registry: the form asks for every sign with its unit, an impossible value is a 422 naming the
field, the value and the plausible range (nothing saved), a correction needs its reason, and the
recorded signs are shown in the subject's vital-signs table at their visit."""

from __future__ import annotations

from fastapi.testclient import TestClient

from autoserum.study.entities import entity

from .conftest import SYSTEM, Seeded
from .html import table_rows
from .test_access_matrix import page_client

BASE = "/studies/AST-1/subjects/S1-001"


def test_the_form_asks_for_every_sign_with_its_unit(client: TestClient, seeded: Seeded) -> None:
    page_client(client, "inv1")
    page = client.get(BASE).text
    for f in entity("vital_sign").form_fields:
        assert f'name="{f.form_name}"' in page, f.name
    assert "Systolic blood pressure (mmHg)" in page
    assert 'name="vs_visit_code"' in page


def test_an_impossible_value_is_a_422_naming_field_value_and_range(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    bad = client.post(
        f"{BASE}/vital_signs",
        data={"csrf_token": csrf, "vs_visit_code": "baseline", "systolic_bp": "1200",
              "diastolic_bp": "80"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'id="systolic_bp-error"' in bad.text
    assert "got &#39;1200&#39;; expected a whole number from 50 to 300 mmHg" in bad.text
    assert 'value="1200"' in bad.text  # the typed value kept
    token = {"Authorization": f"Bearer {seeded.tokens['investigator']}"}
    api = client.post(
        f"/api/v1{BASE}/vital-signs",
        headers=token,
        json={"visit_code": "baseline", "temperature": "98.6"},
    )
    assert api.status_code == 422
    assert (api.json()["field"], api.json()["value"], api.json()["expected"]) == (
        "temperature", "98.6", "a number from 30 to 45 °C",
    )  # fmt: skip
    assert seeded.store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).vital_signs == ()


def test_signs_are_recorded_shown_and_corrected_with_a_reason(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    done = client.post(
        f"{BASE}/vital_signs",
        data={"csrf_token": csrf, "vs_visit_code": "baseline", "systolic_bp": "118",
              "diastolic_bp": "76", "pulse": "70", "temperature": "36.6", "weight": "60.5"},
    )  # fmt: skip
    assert done.status_code == 200, done.text[:500]
    (row,) = table_rows(done.text, "vital_signs-h")
    shown = dict(zip(("visit", *entity("vital_sign").names), row, strict=False))
    assert shown == {"visit": "baseline", "systolic_bp": "118", "diastolic_bp": "76",
                     "pulse": "70", "temperature": "36.6", "weight": "60.5",
                     "height": ""}  # fmt: skip
    token = {"Authorization": f"Bearer {seeded.tokens['investigator']}"}
    (vs,) = seeded.store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).vital_signs
    fixed = client.patch(
        "/api/v1/studies/AST-1/records/vital_sign/" + str(vs.id),
        headers=token,
        json={"changes": {"weight": "61"}, "expected_version": vs.version, "reason": "scale"},
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["weight"], fixed.json()["version"]) == (61, vs.version + 1)
    trail = seeded.store.audit.trail("AST-1", actor=SYSTEM, entity="vital_sign")
    assert [(r.field, r.old_value, r.new_value, r.reason) for r in trail if r.field == "weight"][
        -1
    ] == ("weight", "60.5", "61", "scale")
