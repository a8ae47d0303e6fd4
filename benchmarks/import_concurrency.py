"""Benchmark: a large `autoserum import` process beside an `autoserum serve` process whose API
writers keep writing, on one SQLite file (real processes, WAL, ``synchronous=FULL``).

Run: .venv/bin/python benchmarks/import_concurrency.py [--subjects 3000] [--writers 16]

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
import socket
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


def tidy_file(path: Path, subjects: int) -> int:
    n = subjects * len(WEEKS)
    i = pl.col("i")
    subject = i // len(WEEKS)
    pl.DataFrame({"i": pl.int_range(n, eager=True)}).select(
        pl.format("I{}", subject.cast(pl.String).str.zfill(6)).alias("subject_id"),
        pl.when(subject % 2 == 0).then(pl.lit("serum")).otherwise(pl.lit("placebo")).alias("arm"),
        pl.format("s{}", (subject % 4).cast(pl.String)).alias("site"),
        (i % len(WEEKS)).replace_strict(dict(enumerate(WEEKS))).alias("week"),
        ((i * 7) % 720 / 10).round(1).alias("easi"),
        ((i * 13) % 1030 / 10).round(1).alias("scorad"),
        ((i * 3) % 31).alias("dlqi"),
        (100 + i % 900).alias("ige"),
    ).write_csv(path)
    return n


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=3_000)
    parser.add_argument("--writers", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'shared.db'}"
        store = open_store(url)
        store.accounts.create_user("bench", hash_password("a long bench password"), "admin",
                                   None, actor=ADMIN)  # fmt: skip
        token = new_token()
        store.accounts.create_api_token("bench", hash_token(token), actor=ADMIN)
        store.studies.create("LIVE", "ast-nahm2023", actor=ADMIN, seed=1)
        store.studies.add_site("LIVE", "s01", "Site 1", actor=ADMIN)
        visits = Path(tmp) / "visits.csv"
        rows = tidy_file(visits, args.subjects)
        port = _port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [CLI, "serve", "--db", url, "--port", str(port), "--no-access-log"],
            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.3)
            start = time.perf_counter()
            importer = subprocess.Popen(
                [CLI, "import", str(visits), "--db", url, "--study", "BULK",
                 "--protocol", "ast-nahm2023"],
                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )  # fmt: skip
            acknowledged, failures, waits, threads = _writers(base, token, args.writers, importer)
            out, _ = importer.communicate()
            took = time.perf_counter() - start
            for t in threads:
                t.join()
        finally:
            server.terminate()
            server.wait()
        screened = {s.subject_id for s in store.subjects.all("LIVE", actor=ADMIN)}
        lost = [sid for sid in acknowledged if sid not in screened]
        print(out.decode().strip())
        print(f"import: {args.subjects} subjects, {rows} rows in {took:.1f} s "
              f"({rows / took:.0f} rows/s), exit {importer.returncode}")  # fmt: skip
        fivexx = sum(1 for f in failures if f.startswith("5"))
        print(f"writes: {len(waits)} sent by {args.writers} writers, {len(acknowledged)} "
              f"acknowledged, {fivexx} 5xx, {len(failures) - fivexx} other failures, "
              f"{len(lost)} lost")  # fmt: skip
        if waits:
            q = statistics.quantiles(waits, n=100)
            over = sum(1 for w in waits if w > 2.0)
            within = 1 - over / len(waits)
            print(f"latency: median {statistics.median(waits) * 1000:.0f} ms, p95 "
                  f"{q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, max "
                  f"{max(waits) * 1000:.0f} ms, {within:.1%} within 2 s")  # fmt: skip
            print(f"every write within 2 s: {'yes' if over == 0 else f'no ({over} over 2 s)'}")
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        store.close()


if __name__ == "__main__":
    main()
