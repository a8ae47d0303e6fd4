"""Benchmark: the server's CPU and SQL statements per request on the three routes of
``benchmarks/web.py --mix`` (read a subject, list its assessments, submit an assessment), on
PostgreSQL, one server process.

The app runs in one uvicorn process started by this script (``--serve``, the same app as
``autoserum serve``: ``create_app`` with the environment's settings, no access log); the users
are ``web.py``'s closed-loop clients. After a warm-up the counted run starts: the server counts
the SQL statements each route sends (a SQLAlchemy ``before_cursor_execute`` listener, plus the
commits) and, with ``--yappi``, profiles every thread (CPU clock; the profile is written as a
``pstats`` file). The server's CPU per request (user + system time of its process over the
counted run, from ``/proc``) varies less with the load of a shared machine than requests/s.
For a before/after comparison at the same load, alternate runs of this tree and of an older
one (``git archive COMMIT src | tar -x -C OLD``; run the script with ``PYTHONPATH=OLD/src``:
the data are then prepared, and served, by the old code and its migrations).

Usage: .venv/bin/python benchmarks/web_cpu.py [--slots 600] [--users 20] [--out DIR] [--yappi]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextvars
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import web  # benchmarks/web.py: prepare, run_mix, tree_cpu, pct, pg_database


def _serve(url: str, port: int, out: Path, *, profile: bool) -> None:
    """The server: SIGUSR1 starts counting, SIGUSR2 stops and writes ``out``."""
    import uvicorn
    from sqlalchemy import event

    from autoserum.web import create_app, load_settings

    os.environ["AUTOSERUM_ENV"] = "development"
    app = create_app(load_settings(database_url=url, access_log=False))
    route: contextvars.ContextVar[str] = contextvars.ContextVar("route", default="?")
    counting = [False]
    statements: collections.Counter[str] = collections.Counter()
    requests: collections.Counter[str] = collections.Counter()
    texts: collections.Counter[tuple[str, str]] = collections.Counter()

    def count(key: str, text: str) -> None:
        if counting[0]:
            statements[key] += 1
            texts[(key, text)] += 1

    engine = app.state.store.engine
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, stmt, *_a: count(route.get(), " ".join(stmt.split())[:100]),
    )
    event.listen(engine, "commit", lambda _c: count(route.get(), "COMMIT"))

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            key = f"{scope['method']} {'list' if path.endswith('/assessments') else 'subject'}"
            route.set(key)
            if counting[0]:
                requests[key] += 1
        await app(scope, receive, send)

    def start(*_: Any) -> None:
        statements.clear()
        requests.clear()
        texts.clear()
        counting[0] = True
        if profile:
            import yappi

            yappi.clear_stats()
            yappi.set_clock_type("cpu")
            yappi.start()

    def stop(*_: Any) -> None:
        counting[0] = False
        lines = []
        for key in sorted(requests):
            n = requests[key]
            lines.append(f"{key}: {n} requests, {statements[key] / n:.2f} statements/request")
        for (key, text), n in sorted(texts.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {key} {n / max(requests[key], 1):.2f} {text}")
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        if profile:
            import yappi

            yappi.stop()
            yappi.get_func_stats().save(str(out.with_suffix(".pstat")), type="pstat")

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    uvicorn.run(counted, host="127.0.0.1", port=port, access_log=False, log_level="warning")


def _drive(args: argparse.Namespace) -> None:
    url = web.pg_database(os.environ["AUTOSERUM_TEST_PG_URL"])
    token, slots = web.prepare(url, args.slots + 100)
    port = web.free_port()
    folder = Path(args.out or tempfile.mkdtemp(prefix="autoserum-webcpu-"))
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "statements.txt"
    command = [sys.executable, __file__, "--serve", url, str(port), str(out)]
    proc = subprocess.Popen(command + (["--yappi"] if args.yappi else []))
    try:
        deadline = time.time() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        asyncio.run(web.run_mix(base, token, slots[:100], args.users, 60))  # warm-up
        load = os.getloadavg()[0]
        proc.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        cpu = web.tree_cpu(proc.pid)
        reads, writes, errors, seconds = asyncio.run(
            web.run_mix(base, token, slots[100:], args.users, 600)
        )
        cpu = web.tree_cpu(proc.pid) - cpu
        proc.send_signal(signal.SIGUSR2)
        time.sleep(3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    both = reads + writes
    print(
        f"{args.users} users, {len(both)} requests, "
        f"{len(both) / seconds:.0f}/s, p50 {web.pct(both, 50):.0f} ms, "
        f"p99 {web.pct(both, 99):.0f} ms, read p50 {web.pct(reads, 50):.0f} ms, "
        f"write p50 {web.pct(writes, 50):.0f} ms, errors {errors}, "
        f"server CPU {cpu * 1000 / len(both):.2f} ms/request, load average {load:.1f}"
    )
    print(out.read_text(encoding="utf-8"))


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        _serve(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), profile="--yappi" in sys.argv)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=600, help="submissions (x3 requests)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--out", help="directory for statements.txt (and the profile)")
    parser.add_argument("--yappi", action="store_true", help="profile the server with yappi")
    args = parser.parse_args()
    if not os.environ.get("AUTOSERUM_TEST_PG_URL"):
        raise SystemExit("needs PostgreSQL: set AUTOSERUM_TEST_PG_URL (scripts/services.sh)")
    _drive(args)


if __name__ == "__main__":
    main()
