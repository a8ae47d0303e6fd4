"""The audit form of a batched import (``store/_audit.py:insert_imported``, docs/security.md):
one chained audit row per record type, batch and subject, carrying who / when / why, the file's
SHA-256 and line range, a SHA-256 of the batch's content and the records themselves; ``audit
verify`` checks it like any row and replay rebuilds the data from it. Both engines."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
from sqlalchemy import select, text

from autoserum.store import Actor, Store
from autoserum.store._changes import change_events
from autoserum.store._source import FileSource
from autoserum.store._types import dumps
from autoserum.store.models import AuditRow, SiteRow, SubjectRow
from autoserum.store.replay import current_state, replay_audit
from autoserum.study.blinding import MASK
from tests.store.helpers import ADMIN, MONITOR, SiteInEveryStudy
from tests.store.test_audit_chain import _Unguarded
from tests.store.test_import_stream import tidy_file

SUBJECTS = 30  # × 5 visits, EASI, SCORAD, DLQI and IgE: 150 rows, 450 assessments, 150 labs


def _imported(store: Store, tmp_path: Path) -> Path:
    path = tmp_path / "visits.csv"
    tidy_file(SUBJECTS).write_csv(path)
    counts = store.exports.import_file("BULK", path, actor=ADMIN, protocol="ast-nahm2023")
    assert (counts["subjects"], counts["visits"], counts["assessments"], counts["labs"]) == (
        SUBJECTS,
        5 * SUBJECTS,
        15 * SUBJECTS,
        5 * SUBJECTS,
    )
    return path


def _batch_rows(store: Store) -> list[AuditRow]:
    with store.uow.read() as s:
        return list(s.scalars(select(AuditRow).where(AuditRow.action == "import")))


def test_a_batch_is_one_chained_row_per_record_type_naming_file_lines_and_hashes(
    store: Store, tmp_path: Path
) -> None:
    path = _imported(store, tmp_path)
    rows = _batch_rows(store)
    assert {r.entity for r in rows} == {"subject", "visit", "assessment", "lab"}
    assert all(r.reason == "import visits.csv" and r.username == ADMIN.username for r in rows)
    total = 0
    for r in rows:
        value = json.loads(r.new_value or "")
        assert value["file"] == "visits.csv"
        assert value["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert value["file_sha256"] == FileSource(path).sha256()
        first, last = value["lines"]
        assert 2 <= first <= last <= 5 * SUBJECTS + 1
        records = value["records"]
        assert r.record_id == records["ids"][0]
        assert len(records["ids"]) == len(records["values"])
        digest = hashlib.sha256(dumps(records).encode("utf-8")).hexdigest()
        assert value["content_sha256"] == digest
        if r.entity == "visit":
            total += len(records["ids"])
    assert total == 5 * SUBJECTS  # every visit in exactly one batch
    with store.uow.read() as s:  # instead of one audit row per field of every record
        assert s.scalar(select(AuditRow.id).where(AuditRow.entity == "visit").limit(2)) is not None
        per_field = s.scalars(
            select(AuditRow.id).where(AuditRow.entity == "assessment", AuditRow.action == "insert")
        ).all()
    assert per_field == []
    assert store.audit.verify("BULK").ok


def test_replay_of_the_trail_rebuilds_the_imported_data(store: Store, tmp_path: Path) -> None:
    _imported(store, tmp_path)
    rows = store.audit.raw_rows("BULK")
    assert replay_audit(rows) == current_state(store, "BULK")
    # a correction after the import is a per-field row on top of the batch
    detail = store.subjects.detail("BULK", "B000003", actor=ADMIN)
    visit = detail.assessments[0]
    store.records.update(
        "BULK",
        "assessment",
        visit.id,
        {"total": "12.5"},
        actor=ADMIN,
        reason="transcription error",
        expected_version=1,
    )
    assert replay_audit(store.audit.raw_rows("BULK")) == current_state(store, "BULK")
    assert store.audit.verify("BULK").ok


def test_rewriting_an_imported_value_in_the_batch_row_is_detected(
    store: Store, tmp_path: Path
) -> None:
    _imported(store, tmp_path)
    target = next(r for r in _batch_rows(store) if r.entity == "assessment")
    value = json.loads(target.new_value or "")
    at = value["records"]["fields"].index("total")
    value["records"]["values"][0][at] = "0"
    with _Unguarded(store.engine), store.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET new_value = :v WHERE id = :i"),
            {"v": dumps(value), "i": target.id},
        )
    result = store.audit.verify("BULK")
    assert not result.ok
    first = result.problems[0]
    assert (first.row, first.kind, first.found) == (target.id, "content", target.row_hash)


def test_a_blinded_reader_sees_a_batch_with_the_arms_masked_as_one_change_event(
    store: Store, tmp_path: Path
) -> None:
    _imported(store, tmp_path)
    records = store.audit.trail("BULK", actor=MONITOR)
    batch = next(r for r in records if r.action == "import" and r.entity == "subject")
    fields = batch.new_value["records"]["fields"]
    arms = {row[fields.index("arm")] for row in batch.new_value["records"]["values"]}
    assert arms == {MASK}
    seen = {
        row[fields.index("arm")]
        for r in store.audit.trail("BULK", actor=ADMIN)
        if r.action == "import" and r.entity == "subject"
        for row in r.new_value["records"]["values"]
    }
    assert seen == {"serum", "placebo"}
    [event] = change_events([batch])
    shown = {c.field: c.new for c in event.changes}
    assert shown["file"] == "visits.csv"
    assert shown["records"].startswith("1 (ids ")  # one subject's record per row
    assert set(shown) == {"records", "file", "lines", "file_sha256", "content_sha256"}


def test_an_import_into_an_existing_study_is_audited_by_batch_rows_and_replays(
    store: Store, tmp_path: Path
) -> None:
    _imported(store, tmp_path)
    more = tidy_file(4, prefix="C")
    store.exports.import_long("BULK", more, actor=ADMIN, source="more.csv")
    with store.uow.read() as s:
        subjects = s.scalars(select(SubjectRow.subject_id)).all()
    assert len(subjects) == SUBJECTS + 4
    rows = [r for r in _batch_rows(store) if json.loads(r.new_value or "")["file"] == "more.csv"]
    assert {r.entity for r in rows} == {"subject", "visit", "assessment", "lab"}
    assert replay_audit(store.audit.raw_rows("BULK")) == current_state(store, "BULK")
    assert store.audit.verify("BULK").ok
    assert pl.DataFrame(store.exports.long("BULK", actor=ADMIN)).height == 5 * (SUBJECTS + 4)


def test_a_subjects_trail_and_a_site_readers_trail_hold_only_their_own_imported_records(
    store: Store, tmp_path: Path
) -> None:
    _imported(store, tmp_path)
    with store.uow.read() as s:
        pks: dict[str, int] = dict(s.execute(select(SubjectRow.subject_id, SubjectRow.id)).all())
        site_of: dict[str, str] = dict(
            s.execute(
                select(SubjectRow.subject_id, SiteRow.code).join(
                    SiteRow, SiteRow.id == SubjectRow.site_id
                )
            ).all()
        )
    one = sorted(pks)[0]
    rows = [
        r for r in store.audit.trail("BULK", actor=ADMIN, subject_id=one) if r.action == "import"
    ]
    assert {r.entity for r in rows} == {"subject", "visit", "assessment", "lab"}
    for r in rows:
        records = r.new_value["records"]
        if r.entity == "subject":
            assert records["ids"] == [pks[one]]
        else:
            column = records["fields"].index("subject_pk")
            assert {v[column] for v in records["values"]} == {pks[one]}
    reader = Actor("ivy", "investigator", SiteInEveryStudy("s1"))
    seen = [r for r in store.audit.trail("BULK", actor=reader) if r.action == "import"]
    assert seen, "the site's own imported records are in its trail"
    assert {site_of[r.subject_id or ""] for r in seen} == {"s1"}
