"""Unscheduled visits (a flare): recorded on the subject page and through the API with a
reason, coded ``unscheduled-N``, placed on the study day but on no planned week; an instrument
is recorded at one like at any visit; the tidy visit export leaves them out (not mapped to a
planned week); a missing reason is refused beside its field, nothing written."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import STUDY, SYSTEM, Seeded
from .test_access_matrix import page_client

BASE = f"/studies/{STUDY}/subjects/S1-001"


def test_unscheduled_flare_visit(client: TestClient, seeded: Seeded) -> None:
    store = seeded.store
    csrf = page_client(client, "inv1")
    weeks_before = store.exports.long(STUDY, actor=SYSTEM).height
    missing = client.post(
        BASE + "/unscheduled_visits",
        data={"unscheduled_date": "2026-03-20", "unscheduled_reason": "", "csrf_token": csrf},
    )
    assert missing.status_code == 422
    assert 'id="unscheduled_reason-error"' in missing.text
    done = client.post(
        BASE + "/unscheduled_visits",
        data={"unscheduled_date": "2026-03-20", "unscheduled_reason": "flare on both arms",
              "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    (visit,) = store.records.unscheduled_visits(STUDY, actor=SYSTEM)
    assert (visit.visit_code, visit.week, visit.day) == ("unscheduled-1", None, 18)
    assert visit.unscheduled_reason == "flare on both arms"
    page = client.get(BASE)
    assert "flare on both arms" in page.text
    # an instrument at the flare visit, from its form
    form = client.get(BASE + "/visits/unscheduled-1/pp_nrs")
    assert form.status_code == 200
    saved = client.post(
        BASE + "/visits/unscheduled-1/pp_nrs",
        data={"score": "9", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[:500]
    detail = store.subjects.detail(STUDY, "S1-001", actor=SYSTEM)
    at_flare = [a for a in detail.assessments if a.visit_id == visit.id]
    assert [(a.instrument, a.total) for a in at_flare] == [("pp_nrs", 9)]
    # the API: a second one is unscheduled-2
    headers = {"Authorization": f"Bearer {seeded.tokens['investigator']}"}
    api = client.post(
        f"/api/v1{BASE}/unscheduled-visits",
        json={"visit_date": "2026-03-25", "reason": "flare again"},
        headers=headers,
    )
    assert api.status_code == 201, api.text
    assert api.json()["visit_code"] == "unscheduled-2"
    # not mapped to a planned week: the tidy visit file is unchanged
    frame = store.exports.long(STUDY, actor=SYSTEM)
    assert frame.height == weeks_before
    assert not frame.filter(frame["visit"].str.starts_with("unscheduled")).height
