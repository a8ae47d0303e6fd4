"""A CLI import and the API's writers share one SQLite file (real processes).

An `autoserum serve` process and an `autoserum import` process run on one SQLite file while
API clients screen subjects through the API. The import is written in short transactions with
pauses between them, so the writers queue and are served *while* the import runs (their
transactions interleave with the import's in the audit trail), every API write is acknowledged
(201, never a 5xx or "database is locked"), none is lost (each screened subject is in the
database afterwards). The import itself completes, in many transactions, and its study
appears whole. Checked by the order of the transactions in the audit trail, never by time.

The file is small (:data:`SUBJECTS` subjects) so the test stays cheap; the waits are measured,
not tested (3,000 subjects beside 16 writers, every write within 2 s), by
``benchmarks/import_concurrency.py``, recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import polars as pl
import pytest

from autoserum.accounts import hash_token, new_token
from autoserum.store import open_store
from tests.ports import free_port

from .conftest import SYSTEM, password_hash

pytestmark = pytest.mark.slow

CLI = str(Path(sys.executable).with_name("autoserum"))
ENV = {**os.environ, "AUTOSERUM_ENV": "development"}
WRITERS = 4
SUBJECTS = 200
WEEKS = (0, 4)
PROTOCOL = "ast-nahm2023"
ELIGIBLE = {"atopic_dermatitis": True, "age": 30, "scorad": 40, "sex": "F"}


def _import_file(path: Path) -> None:
    """``SUBJECTS`` subjects × 2 visits with EASI and DLQI totals (values follow from the row
    number: no randomness)."""
    n = SUBJECTS * len(WEEKS)
    i = pl.col("i")
    subject = i // len(WEEKS)
    pl.DataFrame({"i": pl.int_range(n, eager=True), "week": list(WEEKS) * SUBJECTS}).select(
        pl.format("I{}", subject.cast(pl.String).str.zfill(5)).alias("subject_id"),
        pl.when(subject % 2 == 0).then(pl.lit("serum")).otherwise(pl.lit("placebo")).alias("arm"),
        pl.format("s{}", (subject % 3).cast(pl.String)).alias("site"),
        pl.col("week"),
        ((i * 7) % 720 / 10).round(1).alias("easi"),
        ((i * 3) % 31).alias("dlqi"),
    ).write_csv(path)


def _wait_ready(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert server.poll() is None, "the server ended"
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not become ready"
        time.sleep(0.2)


def _transactions(path: Path, study: str) -> list[tuple[str, str]]:
    """(first time, txn) of each write transaction of ``study`` in the audit trail."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT min(a.at), a.txn FROM audit_log a JOIN studies s ON s.id = a.study_id "
            "WHERE s.name = ? GROUP BY a.txn ORDER BY 1",
            (study,),
        ).fetchall()
    return [(str(at), str(txn)) for at, txn in rows]


def test_api_writers_are_served_while_an_import_runs(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    url = f"sqlite:///{path}"
    store = open_store(url)
    store.accounts.create_user("ada", password_hash(), "admin", None, actor=SYSTEM)
    token = new_token()
    store.accounts.create_api_token("ada", hash_token(token), actor=SYSTEM, label="tests")
    store.studies.create("LIVE", "ast-nahm2023", actor=SYSTEM, seed=1)
    store.studies.add_site("LIVE", "s01", "Site 1", actor=SYSTEM)
    visits = tmp_path / "visits.csv"
    _import_file(visits)

    port = free_port()
    log_path = tmp_path / "server.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [CLI, "serve", "--db", url, "--port", str(port), "--no-access-log"],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    importer: subprocess.Popen[bytes] | None = None
    acknowledged: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    try:
        _wait_ready(server, base)
        importer = subprocess.Popen(
            [CLI, "import", str(visits), "--db", url, "--study", "BULK", "--protocol", PROTOCOL],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        running = importer

        def writer(w: int) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                k = 0
                while running.poll() is None or k < 3:
                    sid = f"W{w:02d}-{k:04d}"
                    body = {
                        "site": "s01",
                        "subject_id": sid,
                        "screened_on": "2026-02-16",
                        "facts": ELIGIBLE,
                    }
                    try:
                        response = client.post("/api/v1/studies/LIVE/subjects", json=body)
                    except httpx.HTTPError as err:
                        with lock:
                            failures.append(f"{sid}: {err!r}")
                        return
                    with lock:
                        if response.status_code == 201:
                            acknowledged.append(sid)
                        else:
                            failures.append(f"{sid}: {response.status_code} {response.text[:200]}")
                    k += 1

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        out, _ = importer.communicate(timeout=300)
        for t in threads:
            t.join(timeout=120)
        assert importer.returncode == 0, out.decode()
        assert f"{SUBJECTS} subjects, {SUBJECTS * len(WEEKS)} visits".encode() in out
    finally:
        if importer is not None and importer.poll() is None:
            importer.kill()
            importer.wait()
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert failures == []
    assert "database is locked" not in log_path.read_text(errors="replace")
    assert len(acknowledged) >= WRITERS * 3
    # the import wrote in short transactions (its study's creation, its batches, the
    # publication: bulk inserts write a batch of this size at once), and writers'
    # transactions went in between them (served while it ran, not after it). How many get in
    # depends on the machine's speed (the import's pauses are short), so the order is tested,
    # not a count: at least one writer's transaction lies between the import's first and last.
    bulk = _transactions(path, "BULK")
    assert len(bulk) >= 3
    first, last = bulk[0][0], bulk[-1][0]
    between = [t for at, t in _transactions(path, "LIVE") if first < at < last]
    assert between, (len(bulk), first, last)
    screened = {s.subject_id for s in store.subjects.all("LIVE", actor=SYSTEM)}
    assert set(acknowledged) <= screened  # no acknowledged write lost
    assert len(store.subjects.all("BULK", actor=SYSTEM)) == SUBJECTS
    assert store.audit.verify().ok
    store.close()
