"""Crash safety: a process streaming committed writes is killed with SIGKILL mid-stream; every
write it reported as committed is there afterwards, with its audit records, and the database
passes its integrity check (SQLite ``PRAGMA integrity_check``; PostgreSQL: reconnect and count).

Repeated (slow, run in CI): the web server killed 20 times while three clients write through the
API; after every kill the integrity check passes, no acknowledged write (a 201 answer) is
missing, and ``audit verify`` finds every hash chain intact. (Kills during imports:
``tests/store/test_import_stream.py``.)
"""

from __future__ import annotations

import itertools
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from autoserum.accounts import hash_password, hash_token, new_token
from autoserum.errors import NotFoundError
from autoserum.store import open_store
from autoserum.store.replay import current_state, replay_audit
from tests.ports import free_port
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
    # a fail-safe against a hung writer (no progress for 2 minutes), not a speed check
    deadline = time.monotonic() + 120
    try:
        while len(committed) < KILL_AFTER:
            assert time.monotonic() < deadline, "the writer made no progress in 2 minutes"
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if not ready:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                continue
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "writer ended"
            if line.startswith("committed"):
                committed.append(line.split(maxsplit=1)[1].strip())
                deadline = time.monotonic() + 120
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


# --- repeated SIGKILLs: 20 server kills during API writes ------------------------------------
# Each kill is followed by the checks of `_after_a_kill`: PRAGMA integrity_check ok, every
# acknowledged write present with its audit trail, and `audit verify` passing (the hash chain
# is intact whatever the kill interrupted). Marked slow; they run in CI (`make test` deselects
# nothing). The kill moments come from a seeded generator.

KILLS = 20
CLI = str(Path(sys.executable).with_name("autoserum"))
SERVE_ENV = {**os.environ, "AUTOSERUM_ENV": "development"}
SUBJECT_BODY = {"site": "s01", "screened_on": SCREENED_ON,
                "facts": {"atopic_dermatitis": True, "scorad": 30}}  # fmt: skip


def _after_a_kill(url: str, study: str) -> tuple[set[str], int]:
    """Integrity check and ``audit verify`` after a kill; the subjects of ``study`` and the
    audit rows of the database."""
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    store = open_store(url, create=False, clock=lambda: TODAY)
    try:
        result = store.audit.verify()
        assert result.ok, result.problems
        try:
            subjects = {s.subject_id for s in store.subjects.all(study, actor=ADMIN)}
        except NotFoundError:
            subjects = set()
    finally:
        store.close()
    return subjects, rows


class _Server:
    """``autoserum serve`` on a free port (killed, never stopped politely).

    The port is free when it is chosen (``tests/ports.py``: below the ephemeral range), but
    another process on the machine may take it before the server binds it: a server that exits
    because its port is in use is started again on another port (a race of the test's set-up,
    not of the server)."""

    def __init__(self, url: str, log: Path) -> None:
        for _ in range(5):
            self.port = free_port()
            self.base = f"http://127.0.0.1:{self.port}"
            with log.open("wb") as err:
                self.proc = subprocess.Popen(
                    [CLI, "serve", "--db", url, "--port", str(self.port), "--no-access-log"],
                    env=SERVE_ENV, stdout=subprocess.DEVNULL, stderr=err,
                )  # fmt: skip
            if self._ready():
                return
            message = log.read_text(errors="replace")
            assert "address already in use" in message.lower(), message
        pytest.fail("no free port for the server in 5 tries")

    def _ready(self) -> bool:
        """Whether the server answers ``/readyz`` (``False``: it exited while starting). A
        fail-safe of 3 minutes stops a server that hangs; no start-up time is asserted."""
        deadline = time.monotonic() + 180
        while self.proc.poll() is None:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server neither answered nor exited"
            time.sleep(0.1)
        return False

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=30) == -signal.SIGKILL


@pytest.mark.slow
def test_sigkill_of_the_server_during_api_writes_loses_no_acknowledged_write(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    store = open_store(url, clock=lambda: TODAY)
    try:
        store.studies.create("KILL", "ast-nahm2023", actor=ADMIN, seed=7, allocation_n=10_000)
        store.studies.add_site("KILL", "s01", "Seoul", actor=ADMIN)
        store.accounts.create_user("ada", hash_password("x" * 16), "admin", None, actor=ADMIN)
        token = new_token()
        store.accounts.create_api_token("ada", hash_token(token), actor=ADMIN, label="kills")
    finally:
        store.close()
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(20261202)
    numbers = itertools.count(1)
    acknowledged: set[str] = set()
    refused: list[str] = []
    lock = threading.Lock()
    audit_rows = 0
    for _ in range(KILLS):
        server = _Server(url, tmp_path / "serve.log")
        stop = threading.Event()
        seen = threading.Semaphore(0)

        def write(base: str = server.base, stop: threading.Event = stop,
                  seen: threading.Semaphore = seen) -> None:  # fmt: skip
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                while not stop.is_set():
                    sid = f"K{next(numbers):05d}"
                    body = {**SUBJECT_BODY, "subject_id": sid}
                    try:
                        response = client.post("/api/v1/studies/KILL/subjects", json=body)
                    except httpx.TransportError:
                        return  # killed: this write was not acknowledged
                    with lock:
                        if response.status_code == 201:
                            acknowledged.add(sid)
                        else:
                            refused.append(f"{sid}: {response.status_code} {response.text}")
                    seen.release()

        writers = [threading.Thread(target=write) for _ in range(3)]
        for w in writers:
            w.start()
        for _ in range(rng.randint(1, 4)):  # writes acknowledged before this kill
            assert seen.acquire(timeout=120), "no write was acknowledged"
        time.sleep(rng.uniform(0, 0.05))  # the other writers are mid-request
        server.kill()
        stop.set()
        for w in writers:
            w.join(timeout=60)
        assert not refused, refused
        subjects, rows = _after_a_kill(url, "KILL")
        assert acknowledged <= subjects, sorted(acknowledged - subjects)
        assert rows > audit_rows
        audit_rows = rows
    assert len(acknowledged) >= KILLS
