"""Benchmark: a large `autoserum import` process beside an `autoserum serve` process whose API
writers keep writing, on one SQLite file (real processes, WAL, ``synchronous=FULL``).

Run: .venv/bin/python benchmarks/import_concurrency.py [--subjects 3000] [--writers 16]
[--limit SECONDS] [--existing N] (prints progress every minute; ``--limit`` stops an unfinished
import; ``--existing N`` first imports N subjects into the study, so that the measured import goes
into an existing study: batches into a hidden staging study, then one publication).

The import: subjects × weeks 0, 2, 4, 8, 12 with EASI, SCORAD, DLQI totals and IgE (values
follow from the row number). The writers: ``--writers`` threads, each on its own connection,
screening one subject after another through ``POST /api/v1/studies/LIVE/subjects`` for as long
as the import runs. Prints the import's time, the writes acknowledged, the 5xx and other
failures, writes lost (acknowledged but not in the database afterwards) and the latency of the
writes (median, 95th, 99th percentile, maximum, share within 2 s).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import polars as pl

from autoserum.accounts import hash_password, hash_token, new_token
from autoserum.store import Actor, open_store

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("autoserum"))
ENV = {**os.environ, "AUTOSERUM_ENV": "development", "PYTHONPATH": str(ROOT / "src")}
ADMIN = Actor("bench", "admin")
WEEKS = (0, 2, 4, 8, 12)
ELIGIBLE = {"atopic_dermatitis": True, "age": 30, "scorad": 40, "sex": "F"}


def tidy_file(path: Path, subjects: int, *, prefix: str = "I") -> int:
    n = subjects * len(WEEKS)
    i = pl.col("i")
    subject = i // len(WEEKS)
    pl.DataFrame({"i": pl.int_range(n, eager=True)}).select(
        pl.format(prefix + "{}", subject.cast(pl.String).str.zfill(6)).alias("subject_id"),
        pl.when(subject % 2 == 0).then(pl.lit("serum")).otherwise(pl.lit("placebo")).alias("arm"),
        pl.format("s{}", (subject % 4).cast(pl.String)).alias("site"),
        (i % len(WEEKS)).replace_strict(dict(enumerate(WEEKS))).alias("week"),
        ((i * 7) % 720 / 10).round(1).alias("easi"),
        ((i * 13) % 1030 / 10).round(1).alias("scorad"),
        ((i * 3) % 31).alias("dlqi"),
        (100 + i % 900).alias("ige"),
    ).write_csv(path)
    return n


def _existing(tmp: Path, url: str, subjects: int) -> list[str]:
    """With ``subjects`` > 0, import that many subjects into BULK first, so that the measured
    import goes into an existing study; the import's arguments naming the protocol (none then)."""
    into = ["--protocol", "ast-nahm2023"]
    if not subjects:
        return into
    first = tmp / "existing.csv"
    tidy_file(first, subjects, prefix="E")
    subprocess.run(
        [CLI, "import", str(first), "--db", url, "--study", "BULK", *into],
        env=ENV, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    print(f"study BULK exists with {subjects} subjects; the import goes into it", flush=True)
    return []


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _writers(
    base: str, token: str, n: int, importer: subprocess.Popen[bytes]
) -> tuple[list[str], list[str], list[float], list[threading.Thread]]:
    """Start ``n`` writer threads screening subjects while ``importer`` runs."""
    acknowledged: list[str] = []
    failures: list[str] = []
    waits: list[float] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            k = 0
            while importer.poll() is None:
                sid = f"W{w:02d}-{k:05d}"
                body = {"site": "s01", "subject_id": sid, "screened_on": "2026-02-16",
                        "facts": ELIGIBLE}  # fmt: skip
                t0 = time.perf_counter()
                response = client.post("/api/v1/studies/LIVE/subjects", json=body)
                took = time.perf_counter() - t0
                with lock:
                    waits.append(took)
                    if response.status_code == 201:
                        acknowledged.append(sid)
                    else:
                        failures.append(f"{response.status_code}")
                k += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(n)]
    for t in threads:
        t.start()
    return acknowledged, failures, waits, threads


def _imported(db: Path) -> int:
    """Subjects the import has committed so far (under its staging name or its own)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM subjects s JOIN studies t ON t.id = s.study_id "
            "WHERE t.name <> 'LIVE'"
        ).fetchone()
    return int(row[0])


def _latency(waits: list[float]) -> str:
    q = statistics.quantiles(waits, n=100) if len(waits) > 1 else [waits[0]] * 99
    over = sum(1 for w in waits if w > 2.0)
    return (f"median {statistics.median(waits) * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, "
            f"p99 {q[98] * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms, "
            f"{1 - over / len(waits):.1%} within 2 s; every write within 2 s: "
            f"{'yes' if over == 0 else f'no ({over} over 2 s)'}")  # fmt: skip


def _watch(importer: subprocess.Popen[bytes], db: Path, waits: list[float], limit: float,
           every: float = 60.0) -> bool:  # fmt: skip
    """Print progress every ``every`` s until the import ends (``True``) or ``limit`` s have
    passed (then the import is killed: ``False``)."""
    start = time.monotonic()
    while True:
        try:
            importer.wait(timeout=every)
            return True
        except subprocess.TimeoutExpired:
            pass
        took = time.monotonic() - start
        done = list(waits)
        print(f"[{took:.0f} s] import: {_imported(db)} subjects committed; writes: {len(done)}"
              f"{'; ' + _latency(done) if done else ''}; load {os.getloadavg()[0]:.1f}",
              flush=True)  # fmt: skip
        if limit and took >= limit:
            importer.kill()
            importer.wait()
            return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=3_000)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument(
        "--limit",
        type=float,
        default=0.0,
        help="seconds after which an unfinished import is stopped (0: none)",
    )
    parser.add_argument(
        "--existing",
        type=int,
        default=0,
        help="import first this many subjects into BULK, so that the measured import goes into "
        "an existing study (batches into a hidden staging study, then one publication)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up the children
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "shared.db"
        url = f"sqlite:///{db}"
        store = open_store(url)
        store.accounts.create_user("bench", hash_password("a long bench password"), "admin",
                                   None, actor=ADMIN)  # fmt: skip
        token = new_token()
        store.accounts.create_api_token("bench", hash_token(token), actor=ADMIN)
        store.studies.create("LIVE", "ast-nahm2023", actor=ADMIN, seed=1)
        store.studies.add_site("LIVE", "s01", "Site 1", actor=ADMIN)
        visits = Path(tmp) / "visits.csv"
        rows = tidy_file(visits, args.subjects)
        into = _existing(Path(tmp), url, args.existing)
        port = _port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [CLI, "serve", "--db", url, "--port", str(port), "--no-access-log"],
            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        importer: subprocess.Popen[bytes] | None = None
        try:
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.3)
            start = time.perf_counter()
            importer = subprocess.Popen(
                [CLI, "import", str(visits), "--db", url, "--study", "BULK", *into],
                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )  # fmt: skip
            acknowledged, failures, waits, threads = _writers(base, token, args.writers, importer)
            finished = _watch(importer, db, waits, args.limit)
            out = importer.stdout.read() if importer.stdout else b""
            took = time.perf_counter() - start
            for t in threads:
                t.join()
        finally:
            if importer is not None and importer.poll() is None:
                importer.kill()
                importer.wait()
            server.terminate()
            server.wait()
        screened = {s.subject_id for s in store.subjects.all("LIVE", actor=ADMIN)}
        lost = [sid for sid in acknowledged if sid not in screened]
        print(out.decode().strip())
        status = f"exit {importer.returncode}" if finished else (
            f"stopped unfinished after --limit {args.limit:g} s with {_imported(db)} of "
            f"{args.subjects} subjects committed")  # fmt: skip
        print(f"import: {args.subjects} subjects, {rows} rows, {took:.1f} s, {status}")
        fivexx = sum(1 for f in failures if f.startswith("5"))
        print(f"writes: {len(waits)} sent by {args.writers} writers, {len(acknowledged)} "
              f"acknowledged, {fivexx} 5xx, {len(failures) - fivexx} other failures, "
              f"{len(lost)} lost")  # fmt: skip
        if waits:
            print(f"latency: {_latency(waits)}")
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        store.close()


if __name__ == "__main__":
    main()
