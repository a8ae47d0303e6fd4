"""The integrity rules of issue 10 through the JSON API, on SQLite and PostgreSQL: every bad
value answered 422 with the field, the value and what was expected, nothing written, never a
500 nor a raw database message. The store's clock is fixed (``TODAY``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autoserum.store import Store, open_store
from autoserum.study.rules import TERM_MAX
from autoserum.web import create_app

from .conftest import STUDY, TODAY, Seeded, settings_for

BASE = f"/api/v1/studies/{STUDY}/subjects"


class Api:
    def __init__(self, client: TestClient, seeded: Seeded) -> None:
        self.client = client
        self.seeded = seeded
        self.store: Store = seeded.store

    def post(self, path: str, body: Any, role: str = "admin") -> Any:
        headers = {"Authorization": f"Bearer {self.seeded.tokens[role]}"}
        return self.client.post(BASE + path, json=body, headers=headers)

    def refused(self, path: str, body: Any, field: str, role: str = "admin") -> dict[str, Any]:
        response = self.post(path, body, role)
        assert response.status_code == 422, response.text
        data = response.json()
        assert "UNIQUE" not in response.text
        assert "Traceback" not in response.text
        if isinstance(data.get("detail"), list):  # the request schema refused it
            assert any(field in e["field"] for e in data["detail"]), data
        else:
            assert data["field"] == field, data
        return dict(data)

    def detail(self, sid: str) -> Any:
        return self.store.subjects.detail(STUDY, sid, actor=self.seeded_admin())

    @staticmethod
    def seeded_admin() -> Any:
        from .conftest import SYSTEM

        return SYSTEM


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Api]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'api.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = open_store(url, clock=lambda: TODAY)
    try:
        seeded = Seeded(store)
        app = create_app(settings_for(url), store=store)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            yield Api(client, seeded)
    finally:
        store.close()


def test_subject_ids_and_screening_facts(api: Api) -> None:
    facts = {"atopic_dermatitis": True, "scorad": 40, "age": 30}
    for bad in ("A/013", "A 015#2", "x" * 300, "=1+1"):
        api.refused("", {"site": "S1", "subject_id": bad, "facts": facts}, "subject_id")
    data = api.refused(
        "",
        {"site": "S1", "subject_id": "S1-099", "facts": {**facts, "scorad": 500}},
        "facts.scorad",
    )
    assert data["value"] == 500
    api.refused(
        "", {"site": "S1", "subject_id": "S1-099", "facts": {**facts, "age": 200}}, "facts.age"
    )
    assert not [
        s
        for s in api.store.subjects.all(STUDY, actor=api.seeded_admin())
        if s.subject_id == "S1-099"
    ]


def test_randomisation_with_an_unknown_rule_needs_an_override(api: Api) -> None:
    facts = {"scorad": 40, "age": 30}  # the diagnosis left unknown
    assert api.post("", {"site": "S1", "subject_id": "S1-050", "facts": facts}).status_code == 201
    data = api.refused("/S1-050/randomise", {}, "eligibility")
    assert "unknown atopic_dermatitis" in data["value"]
    forbidden = api.post("/S1-050/randomise", {"override_reason": "confirmed"}, role="coordinator")
    assert forbidden.status_code == 403
    done = api.post(
        "/S1-050/randomise", {"override_reason": "diagnosis confirmed"}, role="investigator"
    )
    assert done.status_code == 200, done.text
    kinds = [d.kind for d in api.detail("S1-050").deviations]
    assert kinds == ["eligibility_override"]


def test_screening_records_the_screening_visit(api: Api) -> None:
    facts = {"atopic_dermatitis": True, "scorad": 40, "age": 30}
    assert api.post("", {"site": "S1", "subject_id": "S1-051", "facts": facts}).status_code == 201
    detail = api.detail("S1-051")
    assert [(v.visit_code, v.visit_date) for v in detail.visits] == [("screening", TODAY)]
    assert [(a.instrument, a.total) for a in detail.assessments] == [("scorad", 40)]


def test_dates_volumes_labs_and_text(api: Api) -> None:
    sid = "S1-001"  # randomised, baseline recorded on 2026-03-02, screened 2026-02-16
    api.refused(
        f"/{sid}/visits", {"visit_code": "week_4", "visit_date": "2026-07-01"}, "visit_date"
    )
    api.refused(
        f"/{sid}/visits", {"visit_code": "week_4", "visit_date": "1990-01-01"}, "visit_date"
    )
    for volume in (-5, 5000):
        api.refused(
            f"/{sid}/injections", {"given_on": "2026-03-02", "volume_ml": volume}, "volume_ml"
        )
    api.refused(f"/{sid}/injections", {"given_on": "2027-03-02", "volume_ml": 5}, "given_on")
    lab = {"visit_code": "baseline", "analyte": "il10", "value": -5, "unit": "pg/mL"}
    api.refused(f"/{sid}/labs", lab, "il10.value")
    ige = {"visit_code": "baseline", "analyte": "ige", "value": 120, "unit": "kU/L"}
    assert api.post(f"/{sid}/labs", ige).status_code == 201
    data = api.refused(f"/{sid}/labs", {**ige, "value": 130}, "analyte")
    assert "recorded already" in data["expected"]
    ae = {"severity": "mild", "serious": False, "related": "possible", "outcome": "recovered"}
    api.refused(f"/{sid}/adverse-events", {**ae, "term": "x" * 20_000}, "term")
    data = api.refused(f"/{sid}/adverse-events", {**ae, "term": "x" * (TERM_MAX + 1)}, "term")
    assert len(data["detail"]) < 300
    api.refused(
        f"/{sid}/adverse-events", {**ae, "term": "rash", "onset_date": "2026-12-24"}, "onset_date"
    )
    detail = api.detail(sid)
    assert len(detail.visits) == 2  # screening and baseline only
    assert not detail.injections
    assert [lab.analyte for lab in detail.labs] == ["ige"]
    assert not detail.adverse_events


def test_incomplete_assessments_are_refused_or_recorded_not_done(api: Api) -> None:
    sid = "S1-001"
    body = {
        "visit_code": "week_4",
        "instrument": "easi",
        "items": {"age": 30},
        "visit_date": "2026-03-30",
    }
    data = api.refused(f"/{sid}/assessments", body, "head_neck.erythema")
    assert "head_neck.area" in data["expected"]
    poem = {"visit_code": "week_4", "instrument": "poem", "items": {}, "visit_date": "2026-03-30"}
    api.refused(f"/{sid}/assessments", poem, "itch")
    assert len(api.detail(sid).visits) == 2  # the refused assessment left no week_4 visit
    done = api.post(
        f"/{sid}/assessments/not-done",
        {
            "visit_code": "week_4",
            "instrument": "poem",
            "reason": "no time",
            "visit_date": "2026-03-30",
        },
    )
    assert done.status_code == 201, done.text
    assert done.json()["kind"] == "assessment_not_done"
    assert len(api.detail(sid).visits) == 3
