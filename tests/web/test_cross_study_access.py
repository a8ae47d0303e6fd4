"""Site access is per study: two studies share the site codes ``S1``/``S2`` and even the subject
identifiers, and a coordinator of ``S2`` in study AST-1 gets 403/404 on every page and API route
of study AST-2's ``S2`` (issue 10: site access was a bare code compared across studies, and
``PATCH /studies/{A}/records/...`` did not check that the record belongs to study A).
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from autoserum.store import Store

from .conftest import SCREENED_ON, SYSTEM, Seeded, add_user
from .test_access_matrix import API, PAGES, Route, fill, page_client

OTHER = "AST-2"


def seed_other_study(store: Store) -> dict[str, int]:
    """Study AST-2 with the same site codes and subject identifiers as AST-1; returns the ids of
    its baseline visits and assessments by subject."""
    store.studies.create(OTHER, "ast-nahm2023", actor=SYSTEM, seed=7)
    ids: dict[str, int] = {}
    for site in ("S1", "S2"):
        store.studies.add_site(OTHER, site, f"Other {site}", actor=SYSTEM)
        facts = {"atopic_dermatitis": True, "scorad": 40, "age": 30}
        for number in ("001", "003"):
            sid = f"{site}-{number}"
            store.subjects.screen(OTHER, site, sid, facts, screened_on=SCREENED_ON, actor=SYSTEM)
            store.subjects.randomise(OTHER, sid, actor=SYSTEM)
            ids[f"visit {sid}"] = store.records.add_visit(
                OTHER, sid, "baseline", "2026-03-02", actor=SYSTEM
            ).id
            ids[f"nrs {sid}"] = store.records.add_assessment(
                OTHER, sid, "baseline", "pp_nrs", {"score": 6}, actor=SYSTEM
            ).id
        for number in ("002", "004"):
            store.subjects.screen(
                OTHER, site, f"{site}-{number}", facts, screened_on=SCREENED_ON, actor=SYSTEM
            )
    return ids


def call(client: TestClient, route: Route, path: str, body: Any, token: str, csrf: str) -> int:
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token}"}
        return client.request(route.method, path, headers=headers, json=body).status_code
    if route.method == "GET":
        return client.get(path, follow_redirects=False).status_code
    data = {**(body or {}), "csrf_token": csrf}
    return client.post(path, data=data, follow_redirects=False).status_code


def test_a_coordinator_of_s02_in_one_study_has_no_access_to_s02_of_another(
    client: TestClient, seeded: Seeded
) -> None:
    ids = seed_other_study(seeded.store)
    token = add_user(seeded.store, "coord_a2", "coordinator", frozenset({("AST-1", "S2")}))
    csrf = page_client(client, "coord_a2")
    # the control: at their own site of their own study the coordinator may work
    own = client.get(
        "/api/v1/studies/AST-1/subjects/S2-001", headers={"Authorization": f"Bearer {token}"}
    )
    assert own.status_code == 200
    query = seeded.store.queries.open(OTHER, "visit", ids["visit S2-001"], "?", actor=SYSTEM)
    problems = []
    checked = 0
    for route in PAGES + API:
        if "{study}" not in route.template or not route.action:
            continue
        values = {
            "study": OTHER, "subject_id": "S2-001", "randomisable": "S2-002", "site": "S2",
            "visit": "week_4", "instrument": "pp_nrs", "code": "pp_nrs", "n": "x",
            "entity": "visit", "record_id": ids["visit S2-001"],
            "assessment_id": ids["nrs S2-001"], "query_id": query.id, "lock_id": 1,
            "sae": 1, "username": "coord1", "photo_id": 1, "photo_code": "PH-000000",
        }  # fmt: skip
        path = fill(route.template, {**values, **(route.extra or {})})
        body = fill(route.body, values)
        status = call(client, route, path, body, token, csrf)
        checked += 1
        if status not in (403, 404):
            problems.append(f"{route.method} {path}: {status}")
    assert checked >= 30  # every study route of the matrix was tried
    assert not problems, "\n".join(problems)
    # nothing was written to the other study
    detail = seeded.store.subjects.detail(OTHER, "S2-001", actor=SYSTEM)
    assert [v.visit_code for v in detail.visits] == ["screening", "baseline"]
    baseline = next(v for v in detail.visits if v.visit_code == "baseline")
    assert (baseline.visit_date.isoformat(), baseline.version) == ("2026-03-02", 1)
    assert (detail.subject.fitzpatrick, detail.prior_treatments, detail.comorbidities) == (
        None, (), (),
    )  # fmt: skip
    assert [s.subject_id for s in seeded.store.subjects.all(OTHER, actor=SYSTEM)] == [
        "S1-001", "S1-002", "S1-003", "S1-004", "S2-001", "S2-002", "S2-003", "S2-004",
    ]  # fmt: skip


def test_a_record_of_another_study_is_not_found_through_this_study(
    client: TestClient, seeded: Seeded
) -> None:
    """Even an admin (every site) cannot edit study B's record through study A's URL."""
    ids = seed_other_study(seeded.store)
    headers = {"Authorization": f"Bearer {seeded.tokens['admin']}"}
    body = {"changes": {"visit_date": "2026-03-03"}, "expected_version": 1, "reason": "typo"}
    response = client.patch(
        f"/api/v1/studies/AST-1/records/visit/{ids['visit S2-001']}", headers=headers, json=body
    )
    assert response.status_code == 404, response.text
    csrf = page_client(client, "admin1")
    page = client.post(
        f"/studies/AST-1/subjects/S2-001/records/visit/{ids['visit S2-001']}",
        data={"visit_date": "2026-03-03", "expected_version": "1", "reason": "typo",
              "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert page.status_code == 404, page.text[:300]
    visits = seeded.store.subjects.detail(OTHER, "S2-001", actor=SYSTEM).visits
    visit = next(v for v in visits if v.id == ids["visit S2-001"])
    assert (visit.visit_date.isoformat(), visit.version) == ("2026-03-02", 1)
    # through its own study the same edit is accepted
    ok = client.patch(
        f"/api/v1/studies/{OTHER}/records/visit/{ids['visit S2-001']}", headers=headers, json=body
    )
    assert ok.status_code == 200, ok.text


def test_a_preparer_of_s2_in_one_study_has_no_product_access_in_another(
    client: TestClient, seeded: Seeded
) -> None:
    """The product routes of the API (issue 13) for a preparer of AST-1's S2 on AST-2's S2:
    every one 403/404, nothing written; the control: the same preparer reads AST-1's S2."""
    from autoserum.store import Actor
    from autoserum.study.aliquots import label_code

    from .test_access_matrix import PRODUCT_API

    seed_other_study(seeded.store)
    token = add_user(seeded.store, "prep_a2", "preparer", frozenset({("AST-1", "S2")}))
    headers = {"Authorization": f"Bearer {token}"}
    own = client.get("/api/v1/studies/AST-1/subjects/S2-001/product", headers=headers)
    assert own.status_code == 200, own.text
    values = {
        "study": OTHER, "product_subject": "S2-001",
        "draw_code": label_code(OTHER, "S2-001", "BD-0001"), "processing_id": 1,
        "aliquot_code": label_code(OTHER, "S2-001", "AL-0001"),
        "fresh_aliquot": label_code(OTHER, "S2-001", "AL-0001"),
    }  # fmt: skip
    problems = []
    for route in PRODUCT_API:
        path = fill(route.template, values)
        status = call(client, route, path, fill(route.body, values), token, "")
        if status not in (403, 404):
            problems.append(f"{route.method} {path}: {status}")
    assert not problems, "\n".join(problems)
    life = seeded.store.product.life(OTHER, "S2-001", actor=Actor("admin1", "admin"))
    assert (life.draws, life.injections) == ((), ())
