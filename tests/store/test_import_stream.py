"""Streamed, batched import on both engines: a large file is checked whole before anything is
written (a bad row deep in it: nothing written, the error names line, column, value and what
was expected); it is then written in several short transactions under a hidden staging name and
appears all at once; a killed import leaves nothing visible and the next import works; reads
and token look-ups never wait for the write lock (SQLite)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import event, func, select, text

from autoserum.accounts import hash_token, new_token
from autoserum.errors import NotFoundError, ValidationError
from autoserum.protocols import resolve_protocol
from autoserum.store import AuditFilter, Store, open_store
from autoserum.store import _importer as importer
from autoserum.store._audit import ImportBatch, insert_imported
from autoserum.store._base import STAGING_PREFIX
from autoserum.store._engine import WRITE
from autoserum.store._gate import WriterGate
from autoserum.store._source import FrameSource
from autoserum.store._staging import (
    BATCH,
    PUBLISHED_PREFIX,
    REASON,
    REMOVED_PREFIX,
    lease,
    remove_abandoned,
)
from autoserum.store._studies import new_study
from autoserum.store.models import (
    AssessmentRow,
    AuditHeadRow,
    AuditRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    VisitRow,
)
from autoserum.store.replay import current_state, replay_audit
from tests.store.helpers import ADMIN, TODAY

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "autoserum"]
WEEKS = (0, 2, 4, 8, 12)


def tidy_file(n_subjects: int, *, prefix: str = "B") -> pl.DataFrame:
    """``n_subjects`` × 5 visits with EASI, SCORAD and DLQI totals and IgE, as CSV text (the
    values follow from the row number: no randomness)."""
    n = n_subjects * len(WEEKS)
    i = pl.col("i")
    subject = i // len(WEEKS)
    return (
        pl.DataFrame({"i": pl.int_range(n, eager=True), "week": list(WEEKS) * n_subjects})
        .select(
            pl.format(f"{prefix}{{}}", subject.cast(pl.String).str.zfill(6)).alias("subject_id"),
            pl.when(subject % 2 == 0)
            .then(pl.lit("serum"))
            .otherwise(pl.lit("placebo"))
            .alias("arm"),
            pl.format("s{}", (subject % 4).cast(pl.String)).alias("site"),
            pl.col("week"),
            ((i * 7) % 720 / 10).round(1).alias("easi"),
            ((i * 13) % 1030 / 10).round(1).alias("scorad"),
            ((i * 3) % 31).alias("dlqi"),
            (100 + i % 900).alias("ige"),
        )
        .select(pl.all().cast(pl.String))
    )


def _counts(store: Store) -> tuple[int, int, int]:
    with store.uow.read() as s:
        return (
            int(s.scalar(select(func.count()).select_from(StudyRow)) or 0),
            int(s.scalar(select(func.count()).select_from(SubjectRow)) or 0),
            int(s.scalar(select(func.count()).select_from(AuditRow)) or 0),
        )


def test_a_bad_row_deep_in_a_large_file_rejects_it_with_nothing_written(
    store: Store, tmp_path: Path
) -> None:
    frame = tidy_file(6_000)  # 30,000 rows: two chunks of the streamed reader
    bad = 28_998  # 0-based row → file line 29,000 (the header is line 1)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == bad).then(pl.lit("80")).otherwise("easi").alias("easi")
    )
    path = tmp_path / "big.csv"
    frame.write_csv(path)
    before = _counts(store)
    with pytest.raises(ValidationError) as caught:
        store.exports.import_file("BIG", path, actor=ADMIN, protocol="ast-nahm2023")
    err = caught.value
    assert err.location == "big.csv, line 29000, column 'easi'"
    assert (err.field, err.value) == ("easi", "80")
    assert err.expected == "a number from 0 to 72"
    assert _counts(store) == before
    with pytest.raises(NotFoundError):
        store.studies.get("BIG")


def test_a_late_duplicate_across_chunks_is_found_before_writing(store: Store) -> None:
    frame = tidy_file(300)
    # the last row repeats subject B000000's week 0 (line 2), 1,500 rows and 3 chunks later
    dup = frame.head(1).with_columns(pl.lit("1.5").alias("easi"))
    source = FrameSource(pl.concat([frame, dup]), name="dup.csv", rows=500)
    before = _counts(store)
    with pytest.raises(ValidationError) as caught:
        store.exports.import_source("DUP", source, actor=ADMIN, protocol="ast-nahm2023")
    assert caught.value.location == "dup.csv, line 1502, column 'week'"
    assert "line 2" in caught.value.expected
    assert _counts(store) == before


def test_a_new_study_is_written_in_short_transactions_and_appears_whole(store: Store) -> None:
    frame = tidy_file(120)
    source = FrameSource(frame, name="b.csv", rows=100)
    counts = store.exports.import_source("NEW", source, actor=ADMIN, protocol="ast-nahm2023")
    assert counts == {
        "subjects": 120,
        "visits": 600,
        "assessments": 1800,
        "labs": 600,
        "vital_signs": 0,
        "adverse_events": 0,
        "con_meds": 0,
    }
    out = store.exports.long("NEW", actor=ADMIN)
    assert out.height == 600
    assert out["subject_id"].n_unique() == 120
    assert [s.name for s in store.studies.all()] == ["NEW"]
    with store.uow.read() as s:
        txns = s.scalar(
            select(func.count(func.distinct(AuditRow.txn))).where(AuditRow.reason == "import b.csv")
        )
    assert txns is not None
    assert txns >= 4  # several write transactions, not one
    assert replay_audit(store.audit.raw_rows("NEW")) == current_state(store, "NEW")
    assert store.audit.verify().ok


def _before(store: Store, study: str) -> tuple[list[str], pl.DataFrame, int, int]:
    """What a reader of ``study`` sees: the study list, its export, its subjects and the
    length of its audit trail."""
    return (
        [st.name for st in store.studies.all()],
        store.exports.long(study, actor=ADMIN),
        len(store.subjects.all(study, actor=ADMIN)),
        len(store.audit.trail(study, actor=ADMIN)),
    )


def _same_view(store: Store, study: str, seen: tuple[list[str], pl.DataFrame, int, int]) -> bool:
    now = _before(store, study)
    return now[0] == seen[0] and now[1].equals(seen[1]) and now[2:] == seen[2:]


def test_an_existing_study_is_imported_in_short_transactions_and_appears_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.exports.import_long("EX", tidy_file(20, prefix="A"), actor=ADMIN, protocol="ast-nahm2023")
    store.subjects.screen("EX", "s0", "LIVE1", {}, actor=ADMIN)  # a live write into the study
    before = _before(store, "EX")
    # a reader looks at the study after every committed transaction of the import: it sees
    # the study as it was, never a part of the import
    checks: list[bool] = []
    opened = importer._Run.transaction

    @contextmanager
    def observed(run: importer._Run) -> Iterator[Any]:
        with opened(run) as s:
            yield s
        checks.append(_same_view(store, "EX", before))

    monkeypatch.setattr(importer._Run, "transaction", observed)
    source = FrameSource(tidy_file(120, prefix="B"), name="b.csv", rows=100)
    counts = store.exports.import_source("EX", source, actor=ADMIN)
    monkeypatch.undo()
    assert counts["subjects"] == 120
    assert counts["visits"] == 600
    # every transaction but the last (the publication) left the study as it was
    assert len(checks) >= 6
    assert checks[:-1] == [True] * (len(checks) - 1)
    assert checks[-1] is False
    after = _before(store, "EX")
    assert after[0] == ["EX"]
    assert after[1].height == before[1].height + 600
    assert after[2] == before[2] + 120
    assert after[3] > before[3]
    # the imported subjects, their trail (the staging study's chain, read as the study's),
    # replay and the chains
    assert store.audit.trail("EX", actor=ADMIN, subject_id="B000007")
    assert replay_audit(store.audit.raw_rows("EX")) == current_state(store, "EX")
    assert store.audit.verify().ok
    assert store.audit.verify("EX").ok
    assert _staging_names(store) == []
    with store.uow.read() as s:
        published = s.scalars(select(AuditRow.new_value).where(AuditRow.action == "publish")).all()
        txns = s.scalar(
            select(func.count(func.distinct(AuditRow.txn))).where(AuditRow.reason == "import b.csv")
        )
    assert len(published) == 1
    assert json.loads(published[0] or "{}")["counts"]["visit"] == 600
    assert txns is not None
    assert txns >= 6
    # a second import into the study: two published chains, the trail and replay still whole
    store.exports.import_long("EX", tidy_file(3, prefix="C"), actor=ADMIN)
    assert store.exports.long("EX", actor=ADMIN).height == before[1].height + 615
    assert replay_audit(store.audit.raw_rows("EX")) == current_state(store, "EX")
    page = store.audit.page("EX", actor=ADMIN, limit=1000)
    ids = [r.id for r in page.records]
    assert ids == sorted(ids)
    # paged by a day range (read in (time, id) order, chain by chain, merged): every row of
    # the trail once
    trail = store.audit.trail("EX", actor=ADMIN)
    where = AuditFilter(since=trail[0].at.date(), until=trail[-1].at.date())
    seen: list[int] = []
    cursor: int | None = 0
    while cursor is not None:
        got = store.audit.page("EX", actor=ADMIN, where=where, after=cursor, limit=37)
        seen += [r.id for r in got.records]
        cursor = got.next_after
    assert sorted(seen) == [r.id for r in trail]
    assert len(seen) == len(set(seen))
    assert store.audit.verify("EX").ok


def test_an_import_meeting_a_subject_added_meanwhile_publishes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.exports.import_long("EX", tidy_file(5, prefix="A"), actor=ADMIN, protocol="ast-nahm2023")
    before = _before(store, "EX")
    # a subject of the file is screened into the study after the file was checked, before
    # the publication
    checked = importer.Importer._check

    def check_then_screen(self: Any, *args: Any, **kw: Any) -> Any:
        out = checked(self, *args, **kw)
        store.subjects.screen("EX", "s0", "B000002", {}, actor=ADMIN)
        return out

    monkeypatch.setattr(importer.Importer, "_check", check_then_screen)
    with pytest.raises(ValidationError) as caught:
        store.exports.import_long("EX", tidy_file(4, prefix="B"), actor=ADMIN)
    monkeypatch.undo()
    assert caught.value.field == "subject_id"
    assert caught.value.value == "B000002"
    now = _before(store, "EX")
    # the export: the screened subject's screening visit, nothing of the import
    assert now[1]["subject_id"].to_list() == [*before[1]["subject_id"].to_list(), "B000002"]
    assert now[2] == before[2] + 1  # the screened subject only
    assert store.audit.verify().ok
    # the failed import's staging study is removed by the next import, which works
    store.exports.import_long("EX", tidy_file(2, prefix="D"), actor=ADMIN)
    assert _staging_names(store) == []
    assert replay_audit(store.audit.raw_rows("EX")) == current_state(store, "EX")


def test_a_staging_name_is_neither_listed_nor_found_nor_accepted(store: Store) -> None:
    with store.uow.write(ADMIN) as s:
        from autoserum.protocols import resolve_protocol
        from autoserum.store._studies import new_study

        new_study(s, f"{STAGING_PREFIX}abc", resolve_protocol("ast-nahm2023"), 1, 8)
    assert store.studies.all() == []
    with pytest.raises(NotFoundError):
        store.studies.get(f"{STAGING_PREFIX}abc")
    with pytest.raises(ValidationError):
        store.studies.create(f"{STAGING_PREFIX}x", "ast-nahm2023", actor=ADMIN)
    with pytest.raises(ValidationError):
        store.exports.import_long(
            f"{STAGING_PREFIX}y", tidy_file(1), actor=ADMIN, protocol="ast-nahm2023"
        )


def _staging_names(store: Store) -> list[str]:
    with store.uow.read() as s:
        names = s.scalars(select(StudyRow.name)).all()
    return [
        n
        for n in names
        if n.startswith(STAGING_PREFIX) and not n.startswith((REMOVED_PREFIX, PUBLISHED_PREFIX))
    ]


@pytest.mark.parametrize("fails", [False, True])
def test_a_staging_study_is_removed_only_when_its_import_has_ended(
    store: Store, fails: bool
) -> None:
    # a staging study whose lease is held (its import runs) is left alone; once the lease is
    # free (the import ended without publishing), the next import removes it with its records
    plan = resolve_protocol("ast-nahm2023")
    name = f"{STAGING_PREFIX}0123abcd"
    with lease(store.engine, name):
        with store.uow.write(ADMIN, "import x.csv") as s:
            study_id = new_study(s, name, plan, 1, 8).id
            site = SiteRow(study_id=study_id, code="s1", name="s1", version=1)
            s.add(site)
            s.flush()
            s.add(SubjectRow(study_id=study_id, site_id=site.id, subject_id="X1",
                             status="enrolled", arm="serum", version=1))  # fmt: skip
        assert remove_abandoned(store.uow) == []
        assert _staging_names(store) == [name]
    if fails:  # the next import fails its check: the removal happened before, all the same
        with pytest.raises(ValidationError):
            store.exports.import_long(
                "NEXT", tidy_file(1).with_columns(easi=pl.lit("x")), actor=ADMIN,
                protocol="ast-nahm2023",
            )  # fmt: skip
    else:
        store.exports.import_long("NEXT", tidy_file(2), actor=ADMIN, protocol="ast-nahm2023")
        assert [st.name for st in store.studies.all()] == ["NEXT"]
    assert _staging_names(store) == []
    with store.uow.read() as s:
        assert s.scalar(select(func.count()).where(SubjectRow.study_id == study_id)) == 0
        deleted = s.scalars(
            select(AuditRow.entity).where(AuditRow.reason == REASON, AuditRow.action == "remove")
        ).all()
    assert sorted(deleted) == ["site", "subject"]  # one set-based batch per table
    with store.uow.read() as s:  # the emptied study row stays, hidden: its id is never reused
        assert s.get_one(StudyRow, study_id).name == f"{REMOVED_PREFIX}0123abcd"
    assert store.audit.verify().ok


def test_a_large_abandoned_staging_study_is_removed_set_based_in_batches(store: Store) -> None:
    # 3,000 subjects × 5 visits with 3 assessments each, and the site: 63,001 records, written
    # as an import writes them (one audit row per subject, record type and batch); abandoned,
    # then removed by DELETEs of at most BATCH rows per transaction, one audit row each
    plan = resolve_protocol("ast-nahm2023")
    name = f"{STAGING_PREFIX}feedbeef"
    n_subjects, weeks = 3_000, 5
    with store.uow.write(ADMIN, "import big.csv") as s:
        study_id = new_study(s, name, plan, 1, 8).id
        site = SiteRow(study_id=study_id, code="s1", name="s1", version=1)
        s.add(site)
        s.flush()
        batch = ImportBatch("big.csv", "0" * 64, 2, 2 + n_subjects * weeks)
        pks = insert_imported(s, SubjectRow, {
            "study_id": [study_id] * n_subjects, "site_id": [site.id] * n_subjects,
            "subject_id": [f"L{i:05d}" for i in range(n_subjects)],
            "status": ["enrolled"] * n_subjects, "arm": ["serum"] * n_subjects,
            "version": [1] * n_subjects,
        }, batch=batch, review=False)  # fmt: skip
        owners = [pk for pk in pks for _ in range(weeks)]
        visit_ids = insert_imported(s, VisitRow, {
            "study_id": [study_id] * len(owners), "subject_pk": owners,
            "visit_code": [f"week_{w}" for _ in pks for w in range(weeks)],
            "version": [1] * len(owners),
        }, batch=batch, review=False)  # fmt: skip
        rows = [(pk, v, code) for pk, v in zip(owners, visit_ids, strict=True)
                for code in ("easi", "scorad", "dlqi")]  # fmt: skip
        insert_imported(s, AssessmentRow, {
            "study_id": [study_id] * len(rows), "subject_pk": [r[0] for r in rows],
            "visit_id": [r[1] for r in rows], "instrument": [r[2] for r in rows],
            "total": ["1"] * len(rows), "version": [1] * len(rows),
        }, batch=batch, review=False)  # fmt: skip
    records = n_subjects * (1 + weeks * 4) + 1  # subjects, visits, assessments; the site
    assert remove_abandoned(store.uow) == [name]
    with store.uow.read() as s:
        for model in (SubjectRow, VisitRow, AssessmentRow, SiteRow):
            left = s.scalar(select(func.count()).where(model.study_id == study_id))
            assert left == 0, model
        removals = s.execute(
            select(AuditRow.entity, AuditRow.txn, AuditRow.old_value).where(
                AuditRow.reason == REASON, AuditRow.action == "remove"
            )
        ).all()
        assert s.get_one(StudyRow, study_id).name == f"{REMOVED_PREFIX}feedbeef"
    removed = [(e, i) for e, _, ids in removals for i in json.loads(ids or "{}")["ids"]]
    assert len(removed) == len(set(removed)) == records
    # one audit row per transaction, each of at most BATCH records: 3,000 subjects (1 batch),
    # 15,000 visits (3), 45,000 assessments (9), the site (1)
    assert len({txn for _, txn, _ in removals}) == len(removals) == 14
    assert max(len(json.loads(ids or "{}")["ids"]) for _, _, ids in removals) == BATCH
    # replay of the whole trail: the import's rows create the records, the removal's rows
    # delete each of them; only the (renamed, empty) study row remains
    state = replay_audit(store.audit.raw_rows())
    assert {key for key in state if key[0] != "allocation_list"} == {("study", study_id)}
    assert store.audit.verify().ok


def _import_process(url: str, path: Path, study: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*CLI, "import", str(path), "--db", url, "--study", study, "--protocol", "ast-nahm2023"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@contextmanager
def _frozen(store: Store, path: Path) -> Iterator[None]:
    """Hold what an import's next write transaction waits for (SQLite: the writer gate of
    ``store/_gate.py``; PostgreSQL: the staging study's audit chain head, row-locked), so that
    the import stands still, mid-write, for as long as the block runs."""
    if store.dialect == "sqlite":
        gate = WriterGate(str(path))
        try:
            with gate:
                yield
        finally:
            gate.close()
        return
    with store.engine.connect() as conn:
        chain = conn.execute(
            select(StudyRow.id).where(StudyRow.name.startswith(STAGING_PREFIX))
        ).scalar_one()
        conn.execute(
            select(AuditHeadRow.chain).where(AuditHeadRow.chain == chain).with_for_update()
        ).one()
        yield
        conn.rollback()


def _removed(store: Store, entity: str) -> int:
    """How many records of ``entity`` the removals of abandoned staging studies deleted."""
    with store.uow.read() as s:
        rows = s.scalars(
            select(AuditRow.old_value).where(
                AuditRow.reason == REASON, AuditRow.action == "remove", AuditRow.entity == entity
            )
        ).all()
    return sum(len(json.loads(r or "{}")["ids"]) for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize("existing", [False, True], ids=["new-study", "existing-study"])
def test_a_killed_import_leaves_nothing_visible_and_the_next_one_works(
    db_url: str, tmp_path: Path, existing: bool
) -> None:
    path = tmp_path / "visits.csv"
    tidy_file(4_000).write_csv(path)  # 20,000 rows: batches of 500, 1,000, 2,000 … rows
    # (store/_importer.py), so the write phase lasts long enough to be caught mid-way on a
    # quiet machine too (with 5,000 rows a fast machine finished before the freeze)
    store = open_store(db_url, clock=lambda: TODAY)
    try:
        before_rows = 0
        if existing:  # the study exists, with subjects, a live write and its audit trail
            store.exports.import_long(
                "KILLED", tidy_file(30, prefix="A"), actor=ADMIN, protocol="ast-nahm2023"
            )
            store.subjects.screen("KILLED", "s1", "LIVE1", {}, actor=ADMIN)
            before_rows = 151
            export_before = store.exports.long("KILLED", actor=ADMIN)
            trail_before = len(store.audit.trail("KILLED", actor=ADMIN))
            assert export_before.height == before_rows
        with store.uow.read() as s:
            visits_before = int(s.scalar(select(func.count()).select_from(VisitRow)) or 0)
        proc = _import_process(db_url, path, "KILLED")
        deadline = time.monotonic() + 240
        written = 0
        while written == 0:  # visit rows committed under the staging name
            if proc.poll() is not None:
                out, _ = proc.communicate()
                pytest.fail(f"the import ended early: {out.decode()}")
            assert time.monotonic() < deadline, "the import wrote nothing in time"
            time.sleep(0.002)
            with store.uow.read() as s:
                written = int(s.scalar(select(func.count()).select_from(VisitRow)) or 0)
                written -= visits_before
        with _frozen(store, Path(str(store.engine.url.database))):
            with store.uow.read() as s:
                written = int(s.scalar(select(func.count()).select_from(VisitRow)) or 0)
                written -= visits_before
            assert 0 < written < 20_000, written  # stopped inside its write phase
            if existing:  # a reader sees the study as it was, mid-import
                assert store.exports.long("KILLED", actor=ADMIN).equals(export_before)
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        if existing:  # the study exactly as before: its export, its trail, its listing
            assert [s.name for s in store.studies.all()] == ["KILLED"]
            assert store.exports.long("KILLED", actor=ADMIN).equals(export_before)
            assert len(store.audit.trail("KILLED", actor=ADMIN)) == trail_before
            assert replay_audit(store.audit.raw_rows("KILLED")) == current_state(store, "KILLED")
        else:
            assert store.studies.all() == []
            with pytest.raises(NotFoundError):
                store.exports.long("KILLED", actor=ADMIN)
        if store.dialect == "sqlite":
            with store.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert store.audit.verify().ok
        again = _import_process(db_url, path, "KILLED")
        out, _ = again.communicate(timeout=600)
        assert again.returncode == 0, out.decode()
        assert b"4000 subjects, 20000 visits" in out
        assert store.exports.long("KILLED", actor=ADMIN).height == before_rows + 20_000
        assert [s.name for s in store.studies.all()] == ["KILLED"]
        # the killed import's staging study was removed by the next import, audited
        assert _staging_names(store) == []
        assert _removed(store, "visit") == written
        assert store.audit.verify().ok
        if existing:
            assert replay_audit(store.audit.raw_rows("KILLED")) == current_state(store, "KILLED")
    finally:
        store.close()


def test_token_look_ups_and_reads_do_not_wait_for_the_write_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    store = open_store(url, clock=lambda: TODAY)
    store.accounts.create_user("ada", "x" * 20, "admin", None, actor=ADMIN)
    token = new_token()
    store.accounts.create_api_token("ada", hash_token(token), actor=ADMIN)
    store.studies.create("AST", "ast-nahm2023", actor=ADMIN, seed=1)
    holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
        begun: list[bool] = []

        def on_begin(conn: Any) -> None:
            begun.append(bool(conn.get_execution_options().get(WRITE, False)))

        event.listen(store.engine, "begin", on_begin)
        try:
            user = store.accounts.user_for_token(hash_token(token))  # never used: would touch
            names = [s.name for s in store.studies.all()]
        finally:
            event.remove(store.engine, "begin", on_begin)
        assert user is not None
        assert user.username == "ada"
        assert names == ["AST"]
        # read transactions only: a write would have waited for the lock (the busy timeout is
        # 30 s), then failed; checked by the transactions begun, not by the time taken
        assert begun
        assert not any(begun)
        holder.execute("ROLLBACK")
        store.accounts.user_for_token(hash_token(token))  # free now: the use is recorded
        with store.engine.connect() as conn:
            used = conn.execute(text("SELECT last_used_at FROM api_tokens")).scalar()
        assert used is not None
    finally:
        holder.close()
        store.close()
