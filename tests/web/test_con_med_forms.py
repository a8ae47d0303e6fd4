"""The con-med form of the subject page and ``POST .../con-meds`` of the API, derived from the
registry: every coded field is on the form, a bad ATC code or potency is a 422 naming the field
(nothing saved), a rescue steroid is recorded with its potency and amount and shown in the
subject's medication table, and the de-identified export carries it without dates."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from autoserum.study.entities import entity

from .conftest import SYSTEM, Seeded
from .html import table_rows
from .test_access_matrix import page_client

BASE = "/studies/AST-1/subjects/S1-001"


def test_the_form_asks_for_every_coded_field(client: TestClient, seeded: Seeded) -> None:
    page_client(client, "inv1")
    page = client.get(BASE).text
    for f in entity("con_med").form_fields:
        assert f'name="{f.form_name}"' in page, f.name
    assert '<option value="ftu"' in page
    assert '<option value="IV"' in page


def test_a_bad_atc_code_is_a_422_naming_the_field(client: TestClient, seeded: Seeded) -> None:
    csrf = page_client(client, "inv1")
    bad = client.post(
        f"{BASE}/con_meds",
        data={"csrf_token": csrf, "name": "mometasone", "atc_code": "D7AC13", "rescue": "yes"},
    )
    assert bad.status_code == 422
    assert 'id="atc_code-error"' in bad.text
    assert 'value="D7AC13"' in bad.text  # the typed value kept
    token = {"Authorization": f"Bearer {seeded.tokens['investigator']}"}
    api = client.post(
        f"/api/v1{BASE}/con-meds",
        headers=token,
        json={"name": "clobetasol", "atc_code": "D07AD01", "potency_eu": "II"},
    )
    assert api.status_code == 422
    assert api.json()["field"] == "potency_eu"
    assert "IV" in api.json()["expected"]
    assert seeded.store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).con_meds == ()


def test_a_rescue_steroid_is_recorded_shown_and_exported(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    done = client.post(
        f"{BASE}/con_meds",
        data={"csrf_token": csrf, "name": "mometasone furoate 0.1% cream",
              "atc_code": "d07ac13", "amount": "30", "amount_unit": "g", "body_area": "arms",
              "start_date": "2026-03-10", "rescue": "yes", "indication": "flare"},
    )  # fmt: skip
    assert done.status_code == 200, done.text[:500]
    (row,) = table_rows(done.text, "con_meds-h")
    names = list(entity("con_med").names)
    shown = dict(zip(names, row, strict=False))
    assert (shown["atc_code"], shown["drug_class"], shown["potency_eu"]) == (
        "D07AC13",
        "tcs",
        "III",
    )
    assert (shown["amount"], shown["amount_unit"], shown["rescue"]) == ("30", "g", "yes")
    page_client(client, "admin1")
    text = client.get("/studies/AST-1/export.conmed.csv").text
    (exported,) = list(csv.DictReader(io.StringIO(text)))
    assert exported["drug"] == "mometasone furoate 0.1% cream"
    assert (exported["potency_eu"], exported["amount"], exported["rescue"]) == (
        "III",
        "30.0",
        "true",
    )
    assert "start_date" not in exported  # de-identified: dates dropped, weeks kept
