"""Server memory under unauthenticated load (issue 11): an `autoserum serve` process on a fresh
SQLite database, its resident memory (VmRSS, /proc) measured before and after

1. ``--bodies N``: N API requests with a made-up bearer token and a 50 MB JSON body each
   (refused with 401 before the body is read; the body limit raised to 100 MB so that only the
   token check can refuse it), and one with a 2-million-key JSON body;
2. ``--logins N``: N parallel logins (argon2id, 64 MiB each) with wrong passwords, bounded by
   ``AUTOSERUM_LOGIN_CONCURRENCY`` (default 2): how many answered 200 (counted), 429 (busy),
   and the peak resident memory sampled every 50 ms.

Prints one JSON object. Bounded in count and time; loopback only.

    python benchmarks/auth.py --bodies 5 --logins 80
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

CLI = str(Path(sys.executable).with_name("autoserum"))
MB = 1_000_000


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(match[1]) / 1024 if match else float("nan")


def _serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AUTOSERUM_ENV": "development",
        "AUTOSERUM_MAX_BODY_BYTES": str(100 * MB),
        "AUTOSERUM_LOGIN_RATE_PER_MINUTE": "100000",
        "AUTOSERUM_LOGIN_QUEUE": "16",
    }
    proc = subprocess.Popen(
        [CLI, "serve", "--db", f"sqlite:///{db}", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def _bodies(base: str, n: int) -> dict[str, object]:
    body = b"[" + b"0," * (25 * MB - 1) + b"0]"  # 50 MB of JSON
    keys = b"{" + b",".join(b'"k%d":0' % i for i in range(2_000_000)) + b"}"
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=120) as client:
        for payload in [body] * n + [keys]:
            r = client.post(
                "/api/v1/studies/X/subjects",
                content=payload,
                headers={"Authorization": "Bearer ast_made-up", "Content-Type": "application/json"},
            )
            statuses[r.status_code] += 1
    return {"statuses": dict(statuses), "seconds": round(time.perf_counter() - started, 2)}


def _logins(base: str, pid: int, n: int) -> dict[str, object]:
    peak = [_rss_mib(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(_rss_mib(pid))
            time.sleep(0.05)

    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(n, timeout=60)

    def login(i: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            page = client.get("/login").text
            match = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert match
            barrier.wait()
            r = client.post(
                "/login",
                data={"username": f"user{i}", "password": "wrong", "csrf_token": match[1]},
            )
        with lock:
            statuses[r.status_code] += 1

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=login, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    done.set()
    sampler.join()
    return {
        "statuses": dict(statuses),
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mib": round(max(peak), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=5)
    parser.add_argument("--logins", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = _port()
        proc = _serve(Path(tmp) / "bench.db", port)
        base = f"http://127.0.0.1:{port}"
        try:
            out: dict[str, object] = {"rss_start_mib": round(_rss_mib(proc.pid), 1)}
            out["bodies"] = _bodies(base, args.bodies)
            out["rss_after_bodies_mib"] = round(_rss_mib(proc.pid), 1)
            out["logins"] = _logins(base, proc.pid, args.logins)
            out["rss_after_logins_mib"] = round(_rss_mib(proc.pid), 1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
