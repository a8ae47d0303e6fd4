"""Protocol deviations recorded by hand (ICH E3 10.2), on the subject page and through the
API: category, description, date, major or minor, corrective action; a bad value is refused
beside its field (nothing written); a major deviation takes the subject out of the
per-protocol set in the export (derived, never set by hand); deviations are listed by the API
at the caller's sites only and corrected with a reason."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from autoserum.errors import ValidationError

from .conftest import STUDY, SYSTEM, Seeded
from .test_access_matrix import page_client

DEVIATION = {
    "kind": "investigational_product",
    "description": "injection given from the wrong aliquot",
    "occurred_on": "2026-03-02",
    "importance": "major",
    "corrective_action": "staff retrained; aliquot labels double-checked",
}


def test_manual_deviations(client: TestClient, seeded: Seeded) -> None:
    store = seeded.store
    csrf = page_client(client, "inv1")
    path = f"/studies/{STUDY}/subjects/S1-001/deviations"
    bad = client.post(path, data={**DEVIATION, "importance": "huge", "csrf_token": csrf})
    assert bad.status_code == 422
    assert 'id="importance-error"' in bad.text
    assert "expected one of major, minor" in bad.text
    assert store.records.deviations(STUDY, actor=SYSTEM) == []
    automatic = client.post(path, data={**DEVIATION, "kind": "visit_window", "csrf_token": csrf})
    assert automatic.status_code == 422  # the store's own kinds are not recorded by hand
    done = client.post(path, data={**DEVIATION, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(path.removesuffix("/deviations"))
    assert "injection given from the wrong aliquot" in page.text
    assert "staff retrained" in page.text
    # the API: a minor one at S1-003, listed with the major one; another site's is not shown
    headers = {"Authorization": f"Bearer {seeded.tokens['investigator']}"}
    api = client.post(
        f"/api/v1/studies/{STUDY}/subjects/S1-003/deviations",
        json={**DEVIATION, "importance": "minor", "corrective_action": None},
        headers=headers,
    )
    assert api.status_code == 201, api.text
    store.records.add(STUDY, "S2-001", "deviation", DEVIATION, actor=SYSTEM)
    listed = client.get(f"/api/v1/studies/{STUDY}/deviations", headers=headers).json()
    assert [(d["subject_id"], d["importance"]) for d in listed] == [
        ("S1-001", "major"),
        ("S1-003", "minor"),
    ]
    # the per-protocol set is derived: the major deviation takes S1-001 out
    frame = store.exports.long(STUDY, actor=SYSTEM)
    flags = dict(frame.select("subject_id", "per_protocol").unique().iter_rows())
    assert flags["S1-001"] is False
    assert flags["S2-001"] is False
    assert flags["S1-003"] is None  # a minor deviation: as recorded (nothing recorded)
    subject = next(x for x in store.subjects.all(STUDY, actor=SYSTEM) if x.subject_id == "S1-001")
    with pytest.raises(ValidationError, match="per_protocol"):  # never set by hand
        store.records.update(
            STUDY, "subject", subject.id, {"per_protocol": True}, actor=SYSTEM, reason="x",
            expected_version=subject.version,
        )  # fmt: skip
    # a correction (with a reason) downgrades it: S1-001 is back as recorded
    major = next(
        d for d in store.records.deviations(STUDY, actor=SYSTEM) if d.id == listed[0]["id"]
    )
    store.records.update(
        STUDY, "deviation", major.id, {"importance": "minor"}, actor=SYSTEM,
        reason="reviewed: same product, no effect", expected_version=major.version,
    )  # fmt: skip
    frame = store.exports.long(STUDY, actor=SYSTEM)
    assert dict(frame.select("subject_id", "per_protocol").unique().iter_rows())["S1-001"] is None
