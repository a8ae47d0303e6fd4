"""Locks from the pages and the API: a monitor locks a subject's data (writes refused with a
409 naming the lock), the admin locks the database (the manifest on the Locks page and in the
JSON, no arm in either), a lifted lock lets writes through again; a blank reason is refused
beside its field (422, nothing written)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import STUDY, Seeded
from .test_access_matrix import page_client

API = f"/api/v1/studies/{STUDY}"


def _bearer(seeded: Seeded, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.tokens[role]}"}


def test_locks_from_pages_and_api(client: TestClient, seeded: Seeded) -> None:
    store = seeded.store
    con = {"name": "emollient"}
    # a monitor locks S1-001's data from the subject page
    csrf = page_client(client, "mon1")
    blank = client.post(
        f"/studies/{STUDY}/subjects/S1-001/locks",
        data={"lock_level": "subject", "lock_reason": " ", "csrf_token": csrf},
    )
    assert blank.status_code == 422
    assert 'id="lock_reason-error"' in blank.text
    assert store.locks.locks(STUDY) == []
    done = client.post(
        f"/studies/{STUDY}/subjects/S1-001/locks",
        data={"lock_level": "subject", "lock_reason": "casebook reviewed", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    refused = client.post(
        f"{API}/subjects/S1-001/con-meds", json=con, headers=_bearer(seeded, "investigator")
    )
    assert refused.status_code == 409
    assert "this subject is locked (lock 1: casebook reviewed)" in refused.json()["detail"]
    # the investigator's other subject is not locked
    other = client.post(
        f"{API}/subjects/S1-003/con-meds", json=con, headers=_bearer(seeded, "investigator")
    )
    assert other.status_code == 201
    # the admin locks the database through the API: the manifest, verified, without arms
    before = store.audit.verify(STUDY).chains[0]
    locked = client.post(
        f"{API}/database-lock", json={"reason": "data final"}, headers=_bearer(seeded, "admin")
    )
    assert locked.status_code == 201, locked.text
    manifest = locked.json()["manifest"]
    assert manifest["audit_chain"] == {
        "length": before.length,
        "head_hash": before.head_hash,
        "verified": True,
    }
    digests = manifest["allocation_lists"]
    assert set(digests)
    assert all(len(d) == 64 for d in digests.values())
    listed = client.get(f"{API}/locks", headers=_bearer(seeded, "monitor")).json()
    assert [(lk["level"], lk["subject_id"], lk["active"]) for lk in listed] == [
        ("subject", "S1-001", True),
        ("study", None, True),
    ]
    assert "serum" not in str(listed)
    assert "placebo" not in str(listed)
    # every write is refused, and the page shows the manifest
    assert (
        client.post(
            f"{API}/subjects/S1-003/con-meds", json=con, headers=_bearer(seeded, "investigator")
        ).status_code
        == 409
    )
    page = client.get(f"/studies/{STUDY}/locks")
    assert page.status_code == 200
    assert manifest["audit_chain"]["head_hash"] in page.text
    assert "The database is <strong>locked</strong>" in page.text
    assert 'id="lock-database"' not in page.text  # the monitor may not lock the database
    # the admin lifts the database lock from the Locks page, with a reason
    csrf = page_client(client, "admin1")
    no_reason = client.post(
        f"/studies/{STUDY}/locks/2/unlock", data={"unlock_reason": "", "csrf_token": csrf}
    )
    assert no_reason.status_code == 422
    assert store.locks.database_lock(STUDY) is not None
    lifted = client.post(
        f"/studies/{STUDY}/locks/2/unlock",
        data={"unlock_reason": "late lab result", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert lifted.status_code == 303
    assert store.locks.database_lock(STUDY) is None
    again = client.post(
        f"{API}/subjects/S1-003/con-meds", json=con, headers=_bearer(seeded, "investigator")
    )
    assert again.status_code == 201
