"""The audit trail on the web: paged with a cursor (``limit`` at most 1,000, 422 above),
filtered in SQL (site, subject, author, record type, days), exported as streamed CSV with
formulas neutralised; the page shows one row per change event with its differences beneath (an
instrument correction shows the item that changed); a malformed audit row is skipped with a
warning by the API, the page and the CSV, never a 500."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from autoserum.store import Actor, AuditFilter
from autoserum.web.audittrail import CSV_COLUMNS, csv_lines
from autoserum.web.deps import CurrentUser

from .conftest import SYSTEM, Seeded
from .html import table_rows
from .test_access_matrix import page_client

API = "/api/v1/studies/AST-1/audit"
POEM = {"itch": 3, "sleep": 2, "bleeding": 0, "oozing": 1, "cracking": 2, "flaking": 1,
        "dryness": 3}  # fmt: skip


def _auth(seeded: Seeded, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.tokens[role]}"}


def _all_pages(
    client: TestClient, url: str, headers: dict[str, str]
) -> tuple[list[dict[str, Any]], int]:
    """Follow the ``Link: rel=next`` headers; the records and the number of pages."""
    records: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        records += response.json()
        pages += 1
        link = response.headers.get("link")
        url = link.split(">")[0].lstrip("<") if link else ""
    return records, pages


def test_the_api_pages_with_a_cursor_and_refuses_a_limit_over_1000(
    client: TestClient, seeded: Seeded
) -> None:
    headers = _auth(seeded, "admin")
    whole = client.get(API, headers=headers)
    assert whole.status_code == 200
    assert "link" not in whole.headers  # fewer than 1,000 records: one page
    expected = [r["id"] for r in whole.json()]
    assert len(expected) > 100
    paged, pages = _all_pages(client, f"{API}?limit=37", headers)
    assert [r["id"] for r in paged] == expected  # every record once, in order
    assert pages == -(-len(expected) // 37)
    too_many = client.get(f"{API}?limit=1001", headers=headers)
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["field"] == "query.limit"
    assert client.get(f"{API}?limit=0", headers=headers).status_code == 422
    assert client.get(f"{API}?after=-1", headers=headers).status_code == 422
    bad_days = client.get(f"{API}?since=2026-03-02&until=2026-03-01", headers=headers)
    assert bad_days.status_code == 422
    assert "until" in bad_days.text


def test_the_api_filters_in_sql_by_site_subject_user_entity_and_days(
    client: TestClient, seeded: Seeded
) -> None:
    store = seeded.store
    a = store.records.add_assessment("AST-1", "S2-001", "baseline", "poem", POEM, actor=SYSTEM)
    store.records.update("AST-1", "assessment", a.id, {"payload": {**POEM, "itch": 4}},
                         actor=Actor("admin1", "admin"), reason="diary re-read",
                         expected_version=a.version)  # fmt: skip
    headers = _auth(seeded, "admin")
    everything = client.get(API, headers=headers).json()
    subjects_of = {r["subject_id"] for r in everything}
    assert {"S1-001", "S2-001"} <= subjects_of

    site2 = client.get(f"{API}?site=S2", headers=headers).json()
    assert site2
    assert {r["subject_id"] for r in site2} == {"S2-001", "S2-002", "S2-003", "S2-004"}

    one = client.get(f"{API}?subject_id=S2-001&entity=assessment", headers=headers).json()
    assert {(r["subject_id"], r["entity"]) for r in one} == {("S2-001", "assessment")}

    by_admin = client.get(f"{API}?username=admin1", headers=headers).json()
    assert by_admin
    assert {r["username"] for r in by_admin} == {"admin1"}
    assert {r["reason"] for r in by_admin} == {"diary re-read"}

    day = everything[-1]["at"][:10]  # the day the records were written (no wall clock assumed)
    before = (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
    assert len(client.get(f"{API}?since={day}&until={day}", headers=headers).json()) == len(
        everything
    )
    assert client.get(f"{API}?until={before}", headers=headers).json() == []

    # a monitor of site S1 never receives S2's records, filtered or not
    monitor = _auth(seeded, "monitor")
    seen = {r["subject_id"] for r in client.get(API, headers=monitor).json()}
    assert seen
    assert not {s for s in seen if s and s.startswith("S2-")}
    assert client.get(f"{API}?site=S2", headers=monitor).status_code in {403, 404}


def test_the_csv_export_streams_the_filtered_trail_with_formulas_neutralised(
    client: TestClient, seeded: Seeded
) -> None:
    store = seeded.store
    ae = store.records.add_adverse_event("AST-1", "S1-001", actor=SYSTEM, term="rash",
                                         severity="mild", serious=False, related="possible",
                                         outcome="recovering")  # fmt: skip
    store.records.update("AST-1", "adverse_event", ae.id, {"term": "=HYPERLINK(\"x\")"},
                         actor=SYSTEM, reason="=cmd|' /C calc'!A0",
                         expected_version=ae.version)  # fmt: skip
    headers = _auth(seeded, "admin")
    response = client.get(f"{API}/export.csv?subject_id=S1-001", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    api = client.get(f"{API}?subject_id=S1-001", headers=headers).json()
    assert [int(r["id"]) for r in rows] == [r["id"] for r in api]
    changed = [r for r in rows if r["field"] == "term" and r["action"] == "update"]
    assert [r["reason"] for r in changed] == ["'=cmd|' /C calc'!A0"]
    assert changed[0]["new_value"] == '"=HYPERLINK(\\"x\\")"'  # JSON text: starts with a quote
    page_client(client, "admin1")
    download = client.get("/studies/AST-1/audit/export.csv?subject_id=S1-001")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="AST-1.audit.csv"'
    assert download.text == response.text


def test_csv_lines_yields_one_chunk_per_batch(seeded: Seeded) -> None:
    admin = CurrentUser(username="test-setup", role="admin", sites=None, unblinded=False)
    chunks = list(csv_lines(seeded.store, admin, "AST-1", AuditFilter(), batch=50))
    records = seeded.store.audit.trail("AST-1", actor=SYSTEM)
    assert len(chunks) == len(records) // 50 + 1
    assert chunks[0].startswith(",".join(CSV_COLUMNS) + "\n")
    assert sum(c.count("\n") for c in chunks) >= len(records) + 1


def test_the_page_shows_one_row_per_change_event_and_the_item_that_changed(
    client: TestClient, seeded: Seeded
) -> None:
    store = seeded.store
    store.subjects.screen("AST-1", "S1", "S1-009", {"atopic_dermatitis": True, "scorad": 40,
                          "age": 30}, screened_on="2026-02-16", actor=SYSTEM)  # fmt: skip
    store.subjects.randomise("AST-1", "S1-009", actor=SYSTEM)
    store.records.add_visit("AST-1", "S1-009", "baseline", "2026-03-02", actor=SYSTEM)
    poem = store.records.add_assessment("AST-1", "S1-009", "baseline", "poem", POEM,
                                        actor=SYSTEM)  # fmt: skip
    store.records.update("AST-1", "assessment", poem.id, {"payload": {**POEM, "sleep": 4}},
                         actor=SYSTEM, reason="the diary says every night",
                         expected_version=poem.version)  # fmt: skip
    raw = store.audit.trail("AST-1", actor=SYSTEM, subject_id="S1-009")
    page_client(client, "mon1")
    trail = client.get("/studies/AST-1/audit?subject_id=S1-009")
    assert trail.status_code == 200
    rows = table_rows(trail.text, "audit")
    heads, changes = rows[::2], rows[1::2]
    assert len(heads) == len({(r.txn, r.entity, r.record_id) for r in raw}) < len(raw) / 4
    # (when, who, record, action, reason) and the differences beneath
    [fix] = [i for i, h in enumerate(heads) if h[3] == "update" and h[2].startswith("assessment")]
    assert heads[fix][4] == "the diary says every night"
    assert heads[fix][1] == "test-setup (admin)"
    assert changes[fix][0].startswith("payload.sleep: 2 → 4")
    assert "payload.itch" not in changes[fix][0]  # unchanged items are not listed
    mine = f"assessment {poem.id} "
    [insert] = [i for i, h in enumerate(heads) if h[3] == "insert" and h[2].startswith(mine)]
    assert "payload.itch = 3" in changes[insert][0]
    assert "instrument = poem" in changes[insert][0]


def test_the_page_pages_by_whole_events(client: TestClient, seeded: Seeded) -> None:
    page_client(client, "admin1")
    seen: list[list[str]] = []
    url = "/studies/AST-1/audit?limit=7"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += table_rows(response.text, "audit")[::2]
        pages += 1
        nxt = [line for line in response.text.split('"') if "after=" in line and "limit=7" in line]
        url = nxt[0].replace("&amp;", "&") if 'id="audit-next"' in response.text else ""
    whole = table_rows(client.get("/studies/AST-1/audit?limit=1000").text, "audit")[::2]
    assert pages > 5
    assert seen == whole  # no event split or repeated across pages
    assert client.get("/studies/AST-1/audit?limit=1001").status_code == 422


def _malformed(seeded: Seeded) -> int:
    with seeded.store.engine.begin() as conn:
        return int(
            conn.execute(
                text("INSERT INTO audit_log (txn, at, username, role, study_id, entity, "
                     "record_id, action, field, new_value) SELECT 'x', 'yesterday', 'eve', "
                     "'admin', id, 'study', id, 'update', 'name', '{not json' FROM studies "
                     "RETURNING id")
            ).scalar_one()
        )  # fmt: skip


def test_a_malformed_row_is_skipped_with_a_warning_by_the_api_page_and_csv(
    client: TestClient, seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    bad = _malformed(seeded)
    headers = _auth(seeded, "admin")
    with caplog.at_level(logging.WARNING, logger="autoserum.store.audit"):
        api = client.get(f"{API}?after={bad - 3}", headers=headers)
        page_client(client, "admin1")
        page = client.get("/studies/AST-1/audit?limit=1000")
        exported = client.get(f"{API}/export.csv", headers=headers)
    assert api.status_code == 200
    assert api.headers["x-skipped-malformed"] == "1"
    assert bad not in {r["id"] for r in api.json()}
    assert page.status_code == 200
    assert 'id="audit-skipped"' in page.text
    assert exported.status_code == 200
    assert str(bad) not in {r["id"] for r in csv.DictReader(io.StringIO(exported.text))}
    assert f"audit row {bad} is malformed" in caplog.text
