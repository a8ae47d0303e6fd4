"""Scoring through the web layer equals the instruments library: the live-score partial and
``POST /api/v1/instruments/{code}/score`` on the spec's worked examples."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autoserum.instruments import get_instrument, instrument_codes, score
from autoserum.store import Store

from .conftest import add_user

# docs/instruments.md worked examples (exact; displayed with 1 decimal, half-up)
EASI_ADULT = {
    "age": 30,
    **{f"head_neck_{k}": v for k, v in zip(
        ("erythema", "induration", "excoriation", "lichenification", "area"), (2, 1, 1, 0, 2),
        strict=True)},
    **{f"upper_limbs_{k}": v for k, v in zip(
        ("erythema", "induration", "excoriation", "lichenification", "area"), (2, 2, 1, 1, 3),
        strict=True)},
    **{f"trunk_{k}": v for k, v in zip(
        ("erythema", "induration", "excoriation", "lichenification", "area"), (1, 1, 0, 0, 2),
        strict=True)},
    **{f"lower_limbs_{k}": v for k, v in zip(
        ("erythema", "induration", "excoriation", "lichenification", "area"), (2, 2, 2, 1, 3),
        strict=True)},
}  # fmt: skip
SCORAD = {"extent": 20, "erythema": 1, "edema": 1, "oozing": 0, "excoriation": 1,
          "lichenification": 1, "dryness": 1, "pruritus": 4, "sleeplessness": 2}  # fmt: skip
DLQI = {"q1": "very_much", "q2": "a_lot", "q3": "a_little", "q4": "a_little",
        "q5": "very_much", "q6": "very_much", "q7": "no", "q7b": "a_little",
        "q8": "not_at_all", "q9": "a_little", "q10": "a_lot"}  # fmt: skip


@pytest.fixture
def token(store: Store) -> str:
    return add_user(store, "mon", "monitor", frozenset())


@pytest.mark.parametrize(
    ("code", "items", "total", "band"),
    [
        ("easi", EASI_ADULT, 14.0, "moderate"),  # spec: 0.8 + 3.6 + 1.2 + 8.4 = 14.0 moderate
        ("easi", {**EASI_ADULT, "age": 5}, 12.7, "moderate"),  # spec: same findings at age 5
        ("scorad", SCORAD, 27.5, "moderate"),  # spec: SCORAD 27.5 (25-50 moderate, etfad)
        ("dlqi", DLQI, 17, "very_large"),  # spec: 17; hongbo2005 11-20 very large effect
    ],
)
def test_api_score_matches_worked_examples(
    client: TestClient, token: str, code: str, items: dict[str, Any], total: float, band: str
) -> None:
    response = client.post(
        f"/api/v1/instruments/{code}/score",
        headers={"Authorization": f"Bearer {token}"},
        json={"items": items},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == pytest.approx(total, abs=1e-9)  # exact arithmetic, spec value
    assert body["band"].replace(" ", "_").startswith(band)


def test_scorad_objective_worked_example(client: TestClient, token: str) -> None:
    body = client.post(
        "/api/v1/instruments/scorad/score",
        headers={"Authorization": f"Bearer {token}"},
        json={"items": SCORAD},
    ).json()
    assert body["objective"] == pytest.approx(21.5, abs=1e-9)  # spec: oSCORAD 21.5


def test_instrument_list_exposes_the_item_codes(client: TestClient, token: str) -> None:
    body = client.get("/api/v1/instruments", headers={"Authorization": f"Bearer {token}"}).json()
    assert [i["code"] for i in body] == list(instrument_codes())
    easi = next(i for i in body if i["code"] == "easi")
    assert "head_neck_erythema" in [item["column"] for item in easi["items"]]


def test_every_instrument_form_field_is_a_spec_column_with_a_label() -> None:
    from autoserum.web.forms import instrument_fields

    for code in instrument_codes():
        fields = instrument_fields(code)
        assert [f.name for f in fields] == list(get_instrument(code).flat_columns())
        assert all(f.label for f in fields)


@pytest.mark.parametrize("code", instrument_codes())
def test_live_score_partial_equals_the_library(code: str) -> None:
    """For every instrument, the form path (strings in) gives the library's score (the
    maximal answer to every scored item, an unambiguous payload)."""
    from autoserum.display import exact_number
    from autoserum.web.forms import parse_instrument_form, score_form

    form: dict[str, str] = {}
    for item in get_instrument(code).items:
        if item.role != "score" or item.alternative_to or item.condition:
            continue
        if item.allowed is not None:
            form[item.column] = str(item.allowed[-1]).replace("/1", "")
        elif item.maximum is not None:
            form[item.column] = str(int(item.maximum))
    if code == "easi":
        form["age"] = "30"
    parsed = parse_instrument_form(code, form)
    assert parsed.ok, parsed.errors
    web = score_form(code, parsed)
    lib = score(code, get_instrument(code).unflatten(parsed.flat))
    assert web == lib
    if lib.total is not None:
        assert re.fullmatch(r"-?\d+(\.\d{1,2})?", exact_number(lib.total))
