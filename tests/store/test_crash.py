"""Crash safety: a process streaming committed writes is killed with SIGKILL mid-stream; every
write it reported as committed is there afterwards, with its audit records, and the database
passes its integrity check (SQLite ``PRAGMA integrity_check``; PostgreSQL: reconnect and count).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from autoserum.store import open_store
from autoserum.store.replay import current_state, replay_audit
from tests.store.helpers import ADMIN, SCREENED_ON, TODAY

WRITER = Path(__file__).with_name("crash_writer.py")
KILL_AFTER = 40  # committed writes seen before the kill


def _stream_then_kill(url: str) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )
    assert proc.stdout is not None
    committed: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while len(committed) < KILL_AFTER:
            assert time.monotonic() < deadline, "the writer is too slow"
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if not ready:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                continue
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "writer ended"
            if line.startswith("committed"):
                committed.append(line.split(maxsplit=1)[1].strip())
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: the writer is inside its next write
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return committed


def test_a_killed_writer_loses_no_committed_record(db_url: str) -> None:
    committed = _stream_then_kill(db_url)
    store = open_store(db_url, clock=lambda: TODAY)
    try:
        if store.dialect == "sqlite":
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        else:
            with store.engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar()
        subjects = {s.subject_id: s for s in store.subjects.all("CRASH", actor=ADMIN)}
        labs = {s: store.subjects.detail("CRASH", s, actor=ADMIN).labs for s in subjects}
        for event in committed:
            sid, what = event.split()
            assert sid in subjects, event
            if what == "randomised":
                assert subjects[sid].arm in {"serum", "placebo"}, event
            if what == "lab":
                assert [lab.value for lab in labs[sid]] == [int(sid[1:])], event
        # every committed subject has its audit trail, and the trail replays to the state
        audited = {r.subject_id for r in store.audit.raw_rows("CRASH") if r.entity == "subject"}
        assert {e.split()[0] for e in committed} <= audited
        assert replay_audit(store.audit.raw_rows("CRASH")) == current_state(store, "CRASH")
        # and the store keeps working after the crash
        store.subjects.screen(
            "CRASH",
            "s01",
            "AFTER",
            {"atopic_dermatitis": True},
            screened_on=SCREENED_ON,
            actor=ADMIN,
        )
    finally:
        store.close()
