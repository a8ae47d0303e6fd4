"""Streamed, batched import on both engines: a large file is checked whole before anything is
written (a bad row deep in it: nothing written, the error names line, column, value and what
was expected); it is then written in several short transactions under a hidden staging name and
appears all at once; a killed import leaves nothing visible and the next import works; reads
and token look-ups never wait for the write lock (SQLite)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select, text

from autoserum.accounts import hash_token, new_token
from autoserum.errors import NotFoundError, ValidationError
from autoserum.protocols import resolve_protocol
from autoserum.store import Store, open_store
from autoserum.store._base import STAGING_PREFIX
from autoserum.store._gate import WriterGate
from autoserum.store._source import FrameSource
from autoserum.store._staging import REASON, REMOVED_PREFIX, lease, remove_abandoned
from autoserum.store._studies import new_study
from autoserum.store.models import (
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
    return [n for n in names if n.startswith(STAGING_PREFIX) and not n.startswith(REMOVED_PREFIX)]


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
            select(AuditRow.entity).where(AuditRow.reason == REASON, AuditRow.action == "delete")
        ).all()
    assert sorted(deleted) == ["site", "subject"]
    with store.uow.read() as s:  # the emptied study row stays, hidden: its id is never reused
        assert s.get_one(StudyRow, study_id).name == f"{REMOVED_PREFIX}0123abcd"
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


@pytest.mark.slow
def test_a_killed_import_leaves_nothing_visible_and_the_next_one_works(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "visits.csv"
    tidy_file(4_000).write_csv(path)  # 20,000 rows: batches of 500, 1,000, 2,000 … rows
    # (store/_importer.py), so the write phase lasts long enough to be caught mid-way on a
    # quiet machine too (with 5,000 rows a fast machine finished before the freeze)
    store = open_store(db_url, clock=lambda: TODAY)
    try:
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
        with _frozen(store, Path(str(store.engine.url.database))):
            with store.uow.read() as s:
                written = int(s.scalar(select(func.count()).select_from(VisitRow)) or 0)
            assert 0 < written < 20_000, written  # stopped inside its write phase
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
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
        assert store.exports.long("KILLED", actor=ADMIN).height == 20_000
        assert [s.name for s in store.studies.all()] == ["KILLED"]
        # the killed import's staging study was removed by the next import, audited
        assert _staging_names(store) == []
        with store.uow.read() as s:
            removals = s.scalar(
                select(func.count()).select_from(AuditRow).where(AuditRow.reason == REASON)
            )
        assert removals is not None
        assert removals >= written
        assert store.audit.verify().ok
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
        start = time.monotonic()
        user = store.accounts.user_for_token(hash_token(token))  # never used: would touch
        names = [s.name for s in store.studies.all()]
        took = time.monotonic() - start
        assert user is not None
        assert user.username == "ada"
        assert names == ["AST"]
        assert took < 5  # the busy timeout is 30 s: a write would have waited for it
        holder.execute("ROLLBACK")
        store.accounts.user_for_token(hash_token(token))  # free now: the use is recorded
        with store.engine.connect() as conn:
            used = conn.execute(text("SELECT last_used_at FROM api_tokens")).scalar()
        assert used is not None
    finally:
        holder.close()
        store.close()
