"""A large CLI import and the API's writers share one SQLite file (real processes).

An `autoserum serve` process and an `autoserum import` process of 3,000 subjects run on one
SQLite file while 16 API clients screen subjects through the API. The import is written in
short transactions with pauses between them, so every API write is acknowledged (201, never a
5xx or "database is locked"), none is lost (each screened subject is in the database
afterwards), and each waits at most a few seconds (the bound here is looser than the 2 s of
the benchmark, `benchmarks/import_concurrency.py`, so that a loaded machine does not fail the
test; the benchmark records the figures in docs/benchmarks.md). The import itself completes.
"""

from __future__ import annotations

import os
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

from .conftest import SYSTEM, free_port, password_hash

pytestmark = pytest.mark.slow

CLI = str(Path(sys.executable).with_name("autoserum"))
ENV = {**os.environ, "AUTOSERUM_ENV": "development"}
WRITERS = 16
SUBJECTS = 3_000
WEEKS = (0, 4)
MAX_WAIT = 10.0  # seconds; the benchmark's target is 2 s (see the module's docstring)
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


def test_api_writers_are_served_while_a_large_import_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = open_store(url)
    store.accounts.create_user("ada", password_hash(), "admin", None, actor=SYSTEM)
    token = new_token()
    store.accounts.create_api_token("ada", hash_token(token), actor=SYSTEM, label="tests")
    store.studies.create("LIVE", "ast-nahm2023", actor=SYSTEM, seed=1)
    store.studies.add_site("LIVE", "s01", "Site 1", actor=SYSTEM)
    visits = tmp_path / "visits.csv"
    _import_file(visits)

    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [CLI, "serve", "--db", url, "--port", str(port), "--no-access-log"],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    importer: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "the server ended"
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.3)

        importer = subprocess.Popen(
            [CLI, "import", str(visits), "--db", url, "--study", "BULK", "--protocol", PROTOCOL],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        acknowledged: list[str] = []
        failures: list[str] = []
        waits: list[float] = []
        lock = threading.Lock()

        def writer(w: int) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                k = 0
                while importer.poll() is None or k < 3:
                    sid = f"W{w:02d}-{k:04d}"
                    body = {
                        "site": "s01",
                        "subject_id": sid,
                        "screened_on": "2026-02-16",
                        "facts": ELIGIBLE,
                    }
                    start = time.monotonic()
                    try:
                        response = client.post("/api/v1/studies/LIVE/subjects", json=body)
                    except httpx.HTTPError as err:
                        with lock:
                            failures.append(f"{sid}: {err!r}")
                        return
                    took = time.monotonic() - start
                    with lock:
                        waits.append(took)
                        if response.status_code == 201:
                            acknowledged.append(sid)
                        else:
                            failures.append(f"{sid}: {response.status_code} {response.text[:200]}")
                    k += 1

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        out, _ = importer.communicate(timeout=1800)
        for t in threads:
            t.join(timeout=300)
        assert importer.returncode == 0, out.decode()
        assert f"{SUBJECTS} subjects, {SUBJECTS * len(WEEKS)} visits".encode() in out
        assert failures == []
        assert len(acknowledged) >= WRITERS * 3
        assert max(waits) < MAX_WAIT, sorted(waits)[-5:]
    finally:
        if importer is not None and importer.poll() is None:
            importer.kill()
            importer.wait()
        server.terminate()
        server.wait(timeout=30)
        log.close()
    screened = {s.subject_id for s in store.subjects.all("LIVE", actor=SYSTEM)}
    assert set(acknowledged) <= screened  # no acknowledged write lost
    assert len(store.subjects.all("BULK", actor=SYSTEM)) == SUBJECTS
    assert store.audit.verify().ok
    store.close()
