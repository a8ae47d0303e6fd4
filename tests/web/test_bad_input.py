"""Bad input never causes a 500: schemathesis on the OpenAPI schema (in-process, ASGI) and
Hypothesis on the forms and the API; invalid values are rejected with a message naming the
field, and nothing is stored."""

from __future__ import annotations

import json
from typing import Any, cast

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoserum.store import Store
from autoserum.study.entities import entity

from .conftest import Seeded
from .test_access_matrix import page_client


def assert_api_never_answers_500(app: FastAPI, token: str, *, max_examples: int) -> None:
    """schemathesis generates requests for every operation of the OpenAPI schema (valid and
    invalid ones, bounded per operation) and sends them in-process through ASGI; every
    operation is exercised, valid and invalid requests both reach the app, none answers 5xx."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    operations = [cast(Any, result).ok() for result in schema.get_all_operations()]
    paths = app.openapi()["paths"]
    # one operation per method of each path: none dropped by the schema loader
    assert len(operations) == sum(len(methods) for methods in paths.values())
    assert len(operations) >= 15
    failures: list[str] = []
    statuses: set[int] = set()
    called: set[str] = set()
    for operation in operations:

        @settings(max_examples=max_examples, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            called.add(f"{case.method} {case.path}")
            statuses.add(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.body!r}: {response.status_code}"
                )

        check()
    assert not failures, "\n".join(failures[:20])
    assert len(called) == len(operations)  # every operation was called at least once
    assert {200, 422} <= statuses  # valid and invalid requests were both generated
    assert 401 not in statuses  # the token was accepted: the requests reached the routes


def test_api_never_answers_500(app: FastAPI, seeded: Seeded) -> None:
    assert_api_never_answers_500(app, seeded.tokens["admin"], max_examples=12)


def assessment_count(store: Store) -> int:
    return sum(
        len(store.subjects.detail("AST-1", sid, actor=_admin()).assessments)
        for sid in ("S1-001", "S2-001")
    )


def _admin() -> Any:
    from .conftest import SYSTEM

    return SYSTEM


text_values = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["0.5", "-1", "7", "1e309", "NaN", "inf", "3.00000001", "", " ", "\x00"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


SCORAD_VALUES = st.dictionaries(
    st.sampled_from(["extent", "erythema", "pruritus", "sleeplessness", "patient_reported"]),
    text_values,
    max_size=5,
)
EASI_ITEMS = st.dictionaries(
    st.sampled_from(["age", "head_neck_erythema", "head_neck_area", "trunk_area", "bogus"]),
    st.one_of(text_values, st.integers(), st.floats(), st.booleans(), st.none()),
    max_size=5,
)


def test_instrument_form_rejects_bad_values_without_500(client: TestClient, seeded: Seeded) -> None:
    csrf = page_client(client, "inv1")

    @settings(max_examples=40, suppress_health_check=list(HealthCheck), database=None)
    @given(values=SCORAD_VALUES)
    def check(values: dict[str, str]) -> None:
        before = assessment_count(seeded.store)
        response = client.post(
            "/studies/AST-1/subjects/S1-001/visits/baseline/scorad",
            data={**values, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert response.status_code in (303, 409, 422), response.text[:300]
        if response.status_code == 422:
            assert assessment_count(seeded.store) == before
            assert 'class="error"' in response.text or 'role="alert"' in response.text
        live = client.post(
            "/studies/AST-1/subjects/S1-001/visits/baseline/scorad/score",
            data={**values, "csrf_token": csrf},
        )
        nul = any("\x00" in v for v in values.values())
        assert live.status_code == (422 if nul else 200)  # NUL text is refused outright

    check()


def test_api_assessment_rejects_bad_items_without_500(client: TestClient, seeded: Seeded) -> None:
    headers = {
        "Authorization": f"Bearer {seeded.tokens['investigator']}",
        "Content-Type": "application/json",
    }

    @settings(max_examples=40, suppress_health_check=list(HealthCheck), database=None)
    @given(items=EASI_ITEMS)
    def check(items: dict[str, Any]) -> None:
        before = assessment_count(seeded.store)
        response = client.post(
            "/api/v1/studies/AST-1/subjects/S1-001/assessments",
            headers=headers,
            # json.dumps writes NaN/Infinity as the lenient JSON that some clients send
            content=json.dumps({"visit_code": "baseline", "instrument": "easi", "items": items}),
        )
        assert response.status_code in (201, 409, 422), response.text[:300]
        if response.status_code == 422:
            assert assessment_count(seeded.store) == before
            assert response.json()["detail"]

    check()


def test_invalid_easi_sign_is_named_and_nothing_is_stored(
    client: TestClient, seeded: Seeded
) -> None:
    before = assessment_count(seeded.store)
    response = client.post(
        "/api/v1/studies/AST-1/subjects/S1-001/assessments",
        headers={"Authorization": f"Bearer {seeded.tokens['investigator']}"},
        json={
            "visit_code": "baseline",
            "instrument": "easi",
            "items": {"age": 30, "head_neck_erythema": 0.5, "head_neck_area": 1},
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "head_neck_erythema"
    assert "0, 1, 1.5, 2, 2.5, 3" in body["expected"]  # the spec's allowed EASI sign values
    assert assessment_count(seeded.store) == before


def test_unknown_item_column_is_rejected(client: TestClient, seeded: Seeded) -> None:
    response = client.post(
        "/api/v1/instruments/poem/score",
        headers={"Authorization": f"Bearer {seeded.tokens['monitor']}"},
        json={"items": {"itchy": 2}},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "itchy"


def test_form_validation_keeps_values_and_names_the_field(
    client: TestClient, seeded: Seeded
) -> None:
    csrf = page_client(client, "inv1")
    response = client.post(
        "/studies/AST-1/subjects/S1-001/visits/baseline/easi",
        data={"csrf_token": csrf, "age": "thirty", "trunk_area": "7", "head_neck_area": "2"},
    )
    assert response.status_code == 422
    assert 'id="age-error"' in response.text
    assert 'id="trunk_area-error"' in response.text
    assert 'value="thirty"' in response.text
    assert "Nothing was saved." in response.text
    assert 'data-focus="age"' in response.text  # the first bad field in the form's order


RECORD_FORMS = {
    "visits": ["visit_code", "visit_date"],
    "injections": ["given_on", "volume_ml", "injection_site", "lot"],
    "labs": ["lab_visit_code", "analyte", "value", "unit", "ref_low", "ref_high"],
    "adverse_events": ["term", "onset_date", "severity", "serious", "related", "outcome"],
    "con_meds": [f.form_name for f in entity("con_med").form_fields],
    "status": ["new_status", "status_reason"],
}


def test_record_forms_never_answer_500(client: TestClient, seeded: Seeded) -> None:
    """Random text in every field of every record form of the subject page: a redirect on
    success, else the page again with a message (422/409), never a server error."""
    csrf = page_client(client, "inv1")
    plausible = st.sampled_from(
        ["2026-03-09", "2026-02-30", "baseline", "week_4", "ige", "kU/L", "250", "-1", "mild",
         "yes", "no", "probable", "recovered", "treatment", "run_in", "x" * 300]
    )  # fmt: skip

    @settings(max_examples=60, suppress_health_check=list(HealthCheck), database=None)
    @given(
        form=st.sampled_from(sorted(RECORD_FORMS)),
        data=st.data(),
    )
    def check(form: str, data: st.DataObject) -> None:
        values = {
            name: data.draw(st.one_of(plausible, text_values), label=name)
            for name in RECORD_FORMS[form]
        }
        response = client.post(
            f"/studies/AST-1/subjects/S1-001/{form}",
            data={**values, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert response.status_code in (303, 409, 422), (form, values, response.text[:300])
        if response.status_code != 303:
            assert 'role="alert"' in response.text or 'class="error"' in response.text

    check()
