"""Benchmark: assessment submissions per second through the API (``POST /api/v1/studies/
{study}/subjects/{id}/assessments``) with 16 concurrent clients on loopback.

The app runs as ``autoserum serve`` in a subprocess (one uvicorn process); the clients are
minimal HTTP/1.1 clients on asyncio streams in this process (one kept-alive connection each;
every response is checked: 201 and the instrument recorded). Every submission is a new
assessment (subject × visit × instrument), validated, scored exactly and written with its
audit trail. Runs on SQLite and,
when ``AUTOSERUM_TEST_PG_URL`` is set, on a fresh PostgreSQL database.

Target (issue 6): >= 200 submissions/s with p99 < 250 ms on SQLite on the 2-core machine.

``--mix`` (issue 18): 50 concurrent users doing mixed reads and writes (per user, in turn:
read the subject, list its assessments, submit an assessment — two reads per write) against
PostgreSQL, once with ``serve --workers 1`` and once with ``--workers 2``, each on a new
database dropped at the end. How the submission slots are dealt to the users (``--ordering``):

- ``interleaved`` (the realistic case): round-robin over the subjects (every subject's first
  slot, then every subject's second, …; at least 2 × users subjects), so the users in flight
  write to different subjects, as coordinators at the sites enter different patients' visits;
- ``same-subject`` (``--contention``, the worst case): subject by subject, so the 50 users all
  write to the same one or two subjects at once and queue on the subject's row lock (one
  submission of a subject at a time).

Both are run by default, each with its own ratio: a figure of record names its ordering and
gives the other beside it. Prints requests/s, latency percentiles, the CPU per request over
the counted run (user + system time, from ``/proc``: less sensitive to a shared machine than
the rates) of the server's processes, of the PostgreSQL backends serving the benchmark's
database and of this process (the load generator), and the throughput ratio 2 workers / 1
worker. The three share the machine's cores: with ``w`` ms of worker CPU and ``o`` ms of other
CPU (PostgreSQL + generator) per request on 2 cores, the ratio cannot exceed ``2w / (w + o)``
(one worker saturates one core at ``1/w`` requests per ms; two cannot go past ``2/(w + o)``).
Unless ``--no-lock-timing``, the server's processes also time the two row locks of the write
path (the subject's and the audit chain head's: wait to grant, held to commit;
``benchmarks/locktiming/sitecustomize.py``, put first on the server's ``PYTHONPATH``), printed
as a second table.

Usage: .venv/bin/python benchmarks/web.py [--requests 2000] [--clients 16] [--max-seconds 60]
       .venv/bin/python benchmarks/web.py --mix [--requests 3000] [--clients 50]
              [--ordering both|interleaved|same-subject] [--contention] [--no-lock-timing]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autoserum.accounts import hash_password, hash_token, new_token
from autoserum.instruments import instrument_codes
from autoserum.store import Actor, open_store

STUDY = "BENCH"
PROTOCOL = "ast-nahm2023"
VISITS = ("screening", "baseline", "week_4", "week_8")
ADMIN = Actor("bench", "admin")
ORDERINGS = ("interleaved", "same-subject")
LOCK_TIMING = Path(__file__).resolve().parent / "locktiming"

# Payloads: the worked examples of docs/instruments.md and simple valid answers.
PAYLOADS: dict[str, dict[str, Any]] = {
    "easi": {"age": 30, "head_neck_erythema": 2, "head_neck_induration": 1,
             "head_neck_excoriation": 1, "head_neck_lichenification": 0, "head_neck_area": 2,
             "upper_limbs_erythema": 2, "upper_limbs_induration": 2,
             "upper_limbs_excoriation": 1, "upper_limbs_lichenification": 1,
             "upper_limbs_area": 3, "trunk_erythema": 1, "trunk_induration": 1,
             "trunk_excoriation": 0, "trunk_lichenification": 0, "trunk_area": 2,
             "lower_limbs_erythema": 2, "lower_limbs_induration": 2,
             "lower_limbs_excoriation": 2, "lower_limbs_lichenification": 1,
             "lower_limbs_area": 3},
    "scorad": {"extent": 20, "erythema": 1, "edema": 1, "oozing": 0, "excoriation": 1,
               "lichenification": 1, "dryness": 1, "pruritus": 4, "sleeplessness": 2},
    "dlqi": {"q1": "very_much", "q2": "a_lot", "q3": "a_little", "q4": "a_little",
             "q5": "very_much", "q6": "very_much", "q7": "no", "q7b": "a_little",
             "q8": "not_at_all", "q9": "a_little", "q10": "a_lot"},
    "poem": {"itch": 3, "sleep": 2, "bleeding": 1, "oozing": 0, "cracking": 1, "flaking": 2,
             "dryness": 3},
    "pp_nrs": {"score": 7},
    "sleep_nrs": {"score": 5},
    "viga_ad": {"grade": 3},
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(
    url: str, n_requests: int, *, subjects: int = 0, contention: bool = False
) -> tuple[str, list[tuple[str, str, str]]]:
    """Create the study, subjects with recorded visits and a token; the submission slots
    (subject, visit, instrument), each subject's in visit order.

    The slots are dealt round-robin over the subjects (B0000's first, B0001's first, …, then
    every subject's second, …): concurrent clients taking consecutive slots write to different
    subjects, as coordinators entering different patients' visits do. At least ``subjects``
    subjects are created (more when ``n_requests`` needs them). With ``contention`` the slots
    come subject by subject (every slot of B0000, then of B0001, …) and only as many subjects as
    the slots fill are created: the clients in flight all write to one or two subjects at once
    and queue on the subject's row lock (the worst case)."""
    store = open_store(url)
    store.studies.create(STUDY, PROTOCOL, actor=ADMIN, seed=1)
    store.studies.add_site(STUDY, "S1", "Bench site", actor=ADMIN)
    store.accounts.create_user(
        "bench", hash_password("bench-password-123"), "admin", None, actor=ADMIN
    )
    token = new_token()
    store.accounts.create_api_token("bench", hash_token(token), actor=ADMIN, label="bench")
    instruments = [c for c in PAYLOADS if c in instrument_codes()]
    per_subject = len(VISITS) * len(instruments) - ("scorad" in instruments)
    needed = -(-n_requests // per_subject)
    by_subject: list[list[tuple[str, str, str]]] = []
    for i in range(needed if contention else max(needed, subjects)):
        sid = f"B{i:04d}"
        store.subjects.screen(
            STUDY,
            "S1",
            sid,
            {"atopic_dermatitis": True, "scorad": 40},
            actor=ADMIN,
            screened_on="2026-03-02",  # records the screening visit
        )
        store.subjects.randomise(STUDY, sid, actor=ADMIN)
        for day, visit in enumerate(VISITS):
            if visit != "screening":
                store.records.add_visit(STUDY, sid, visit, f"2026-03-{day + 2:02d}", actor=ADMIN)
        # the screening SCORAD was recorded by the screening itself
        by_subject.append(
            [(sid, v, c) for v in VISITS for c in instruments if (v, c) != ("screening", "scorad")]
        )
    store.close()
    if contention:
        slots = [slot for own in by_subject for slot in own]
    else:
        slots = [own[k] for k in range(per_subject) for own in by_subject]
    return token, slots[:n_requests]


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes
) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a kept-alive connection: (status, response body)."""
    writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    status_line = await reader.readline()
    length = -1
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length < 0:
        raise RuntimeError(f"response without Content-Length: {status_line!r}")
    return int(status_line.split()[1]), await reader.readexactly(length)


async def run_clients(
    base: str, token: str, slots: list[tuple[str, str, str]], clients: int, max_seconds: float
) -> tuple[list[float], int, float]:
    """``clients`` concurrent clients, each on its own kept-alive connection, sending the
    submissions of ``slots``. The client is a minimal HTTP/1.1 client on asyncio streams: it
    shares the two cores with the server, and httpx cost ≈ 1.5 ms of CPU per request here."""
    host, port = base.removeprefix("http://").split(":")
    queue: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
    for slot in slots:
        queue.put_nowait(slot)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while not queue.empty() and time.perf_counter() < deadline:
                sid, visit, code = queue.get_nowait()
                body = json.dumps(
                    {"visit_code": visit, "instrument": code, "items": PAYLOADS[code]}
                ).encode()
                head = (
                    f"POST /api/v1/studies/{STUDY}/subjects/{sid}/assessments HTTP/1.1\r\n"
                    f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                    "Content-Type: application/json\r\n"
                ).encode()
                t0 = time.perf_counter()
                status, text = await _post(reader, writer, head, body)
                latencies.append(time.perf_counter() - t0)
                if status != 201 or json.loads(text)["instrument"] != code:
                    errors += 1
                    if errors <= 3:
                        print(f"  error {status}: {text[:200]!r}")
        finally:
            writer.close()
            await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - start


def _accepts(port: int) -> bool:
    """Something listens on ``127.0.0.1:port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except OSError:
        return False
    return True


def serve(
    url: str, port: int, workers: int = 1, *, lock_log: Path | None = None
) -> subprocess.Popen[bytes]:
    """``autoserum serve`` with ``workers`` processes, returned once every worker has started
    (each logs "Application startup complete." in the JSON log). With ``lock_log`` (a
    directory) every server process times the row locks of the write path into it
    (``benchmarks/locktiming/sitecustomize.py``)."""
    cli = shutil.which("autoserum") or str(Path(sys.executable).with_name("autoserum"))
    env = {**os.environ, "AUTOSERUM_ENV": "development"}
    if lock_log is not None:
        path = [str(LOCK_TIMING), *filter(None, [os.environ.get("PYTHONPATH")])]
        env |= {"PYTHONPATH": os.pathsep.join(path), "AUTOSERUM_BENCH_LOCK_LOG": str(lock_log)}
    log = Path(tempfile.mkdtemp(prefix="autoserum-bench-")) / "serve.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [cli, "serve", "--db", url, "--port", str(port), "--no-access-log",
             "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )  # fmt: skip
    deadline = time.time() + 180
    while time.time() < deadline:
        if log.read_text(encoding="utf-8").count(
            "Application startup complete"
        ) >= workers and _accepts(port):  # a worker listens only after its start-up
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the server's {workers} worker(s) did not start: see {log}")


async def run_mix(
    base: str, token: str, slots: list[tuple[str, str, str]], clients: int, max_seconds: float
) -> tuple[list[float], list[float], int, float]:
    """``clients`` users, each on its own kept-alive connection, each taking the next slot and
    doing: GET the subject, GET its assessments, POST the assessment of the slot."""
    host, port = base.removeprefix("http://").split(":")
    queue: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
    for slot in slots:
        queue.put_nowait(slot)
    reads: list[float] = []
    writes: list[float] = []
    errors = 0
    deadline = time.perf_counter() + max_seconds
    common = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"

    async def user() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while not queue.empty() and time.perf_counter() < deadline:
                sid, visit, code = queue.get_nowait()
                subject = f"/api/v1/studies/{STUDY}/subjects/{sid}"
                for path in (subject, f"{subject}/assessments"):
                    head = f"GET {path} HTTP/1.1\r\n{common}".encode()
                    t0 = time.perf_counter()
                    status, _ = await _post(reader, writer, head, b"")
                    reads.append(time.perf_counter() - t0)
                    errors += status != 200
                body = json.dumps(
                    {"visit_code": visit, "instrument": code, "items": PAYLOADS[code]}
                ).encode()
                head = (
                    f"POST {subject}/assessments HTTP/1.1\r\n{common}"
                    "Content-Type: application/json\r\n"
                ).encode()
                t0 = time.perf_counter()
                status, text = await _post(reader, writer, head, body)
                writes.append(time.perf_counter() - t0)
                if status != 201 or json.loads(text)["instrument"] != code:
                    errors += 1
                    if errors <= 3:
                        print(f"  error {status}: {text[:200]!r}")
        finally:
            writer.close()
            await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(clients)))
    return reads, writes, errors, time.perf_counter() - start


def _proc_stats() -> dict[int, tuple[int, int, str]]:
    """pid → (parent pid, user + system CPU ticks, command line) of every process (``/proc``)."""
    stats: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (name) "
        stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), cmdline)
    return stats


def db_backend_cpu(database: str) -> float:
    """User + system CPU seconds used so far by the PostgreSQL backends connected to
    ``database`` (their process title names it: ``postgres: USER DATABASE HOST ...``; a backend
    that ended meanwhile is not counted, the benchmark's stay connected)."""
    if not Path("/proc/self/stat").exists():
        return float("nan")
    ticks = sum(
        t for _pp, t, cmd in _proc_stats().values() if cmd.startswith("postgres: ") and
        f" {database} " in cmd
    )  # fmt: skip
    return ticks / os.sysconf("SC_CLK_TCK")


def self_cpu() -> float:
    """User + system CPU seconds of this process (the load generator) so far."""
    t = os.times()
    return t.user + t.system


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` and its descendants (Linux
    ``/proc``; ``nan`` where there is none)."""
    if not Path("/proc/self/stat").exists():
        return float("nan")
    used: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (name) "
        used[int(entry.name)] = int(fields[11]) + int(fields[12])  # utime + stime, in ticks
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        one = todo.pop()
        total += used.get(one, 0)
        todo += children.get(one, [])
    return total / os.sysconf("SC_CLK_TCK")


def lock_figures(directory: Path, since: float, until: float) -> dict[str, list[float]]:
    """The lock timings the server wrote to ``directory`` for transactions that ended between
    ``since`` and ``until`` (``time.time()``): ``"<lock> wait"`` and ``"<lock> held"`` → seconds
    (``benchmarks/locktiming/sitecustomize.py``)."""
    out: dict[str, list[float]] = {}
    for file in directory.glob("*.tsv"):
        for line in file.read_text(encoding="utf-8").splitlines():
            lock, end, wait, held = line.split("\t")
            if since <= float(end) <= until:
                out.setdefault(f"{lock} wait", []).append(float(wait))
                out.setdefault(f"{lock} held", []).append(float(held))
    return out


def bench_mix(
    base_url: str, workers: int, ordering: str, args: argparse.Namespace
) -> tuple[float, str]:
    """One mixed run on a new PostgreSQL database (dropped at the end); prints a table row and
    returns requests per second and a row of lock timings."""
    with pg_database(base_url) as url:
        contention = ordering == "same-subject"
        token, slots = prepare(url, args.requests, subjects=2 * args.clients, contention=contention)
        port = free_port()
        lock_log = None if args.no_lock_timing else Path(tempfile.mkdtemp(prefix="bench-locks-"))
        proc = serve(url, port, workers, lock_log=lock_log)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(run_mix(base, token, slots[:100], args.clients, 60))  # warm-up
            load = os.getloadavg()[0]
            database = url.rsplit("/", 1)[-1]
            cpu, pg, gen = tree_cpu(proc.pid), db_backend_cpu(database), self_cpu()
            since = time.time()
            reads, writes, errors, seconds = asyncio.run(
                run_mix(base, token, slots[100:], args.clients, args.max_seconds)
            )
            until = time.time()
            cpu = tree_cpu(proc.pid) - cpu
            pg = db_backend_cpu(database) - pg
            gen = self_cpu() - gen
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    both = reads + writes
    rate = len(both) / seconds
    print(
        f"| {ordering} | {workers} | {args.clients} | {len(reads)} + {len(writes)} | "
        f"{rate:.0f} | {pct(both, 50):.0f} | {pct(both, 95):.0f} | {pct(both, 99):.0f} | "
        f"{pct(writes, 99):.0f} | {errors} | {cpu * 1000 / len(both):.2f} | "
        f"{pg * 1000 / len(both):.2f} | {gen * 1000 / len(both):.2f} | {load:.1f} |",
        flush=True,
    )
    locks = ""
    if lock_log is not None:
        timed = lock_figures(lock_log, since, until)
        shutil.rmtree(lock_log, ignore_errors=True)
        cells = []
        for lock in ("subject", "chain_head"):
            wait, held = timed.get(f"{lock} wait", []), timed.get(f"{lock} held", [])
            cells += [
                f"{len(wait)}",
                _spread(wait),
                _spread(held),
                f"{sum(held) / seconds:.2f}" if held else "–",
            ]
        locks = f"| {ordering} | {workers} | " + " | ".join(cells) + " |"
    return rate, locks


def _spread(values: list[float]) -> str:
    """``mean / p50 / p99`` in ms (``–`` for none)."""
    if len(values) < 2:
        return "–"
    mean = statistics.fmean(values) * 1000
    return f"{mean:.1f} / {pct(values, 50):.1f} / {pct(values, 99):.1f}"


def main_mix(args: argparse.Namespace) -> None:
    pg = os.environ.get("AUTOSERUM_TEST_PG_URL")
    if not pg:
        raise SystemExit("--mix needs PostgreSQL: set AUTOSERUM_TEST_PG_URL (scripts/services.sh)")
    orderings = ORDERINGS if args.ordering == "both" else (args.ordering,)
    print(
        "| slots | workers | users | reads + writes | requests/s | p50 ms | p95 ms | p99 ms "
        "| write p99 ms | errors | server CPU ms/request | PostgreSQL CPU ms/request "
        "| generator CPU ms/request | load average |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    ratios, locks = [], []
    for ordering in orderings:
        one, locks_one = bench_mix(pg, 1, ordering, args)
        two, locks_two = bench_mix(pg, 2, ordering, args)
        ratios.append(f"throughput ratio 2 workers / 1 worker, {ordering} slots: {two / one:.2f}")
        locks += [locks_one, locks_two]
    print("", *ratios, sep="\n")
    if not args.no_lock_timing:
        print(
            "\nRow locks of the write path, per transaction of the counted run (wait: statement"
            " start to grant; held: grant to commit; mean / p50 / p99 ms; at once: total time"
            " held / run time, the mean number held at any moment, for the one chain head its"
            " busy share)\n\n| slots | workers | subject locks | subject wait | subject held "
            "| subjects held at once | chain head locks | head wait | head held | head busy |\n"
            "|---|---|---|---|---|---|---|---|---|---|",
            *locks,
            sep="\n",
        )


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def bench(label: str, url: str, args: argparse.Namespace) -> None:
    token, slots = prepare(url, args.requests)
    port = free_port()
    proc = serve(url, port)
    try:
        base = f"http://127.0.0.1:{port}"
        # warm-up: a few requests not counted
        asyncio.run(run_clients(base, token, slots[:32], 4, 30))
        latencies, errors, seconds = asyncio.run(
            run_clients(base, token, slots[32:], args.clients, args.max_seconds)
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    n = len(latencies)
    print(
        f"| {label} | {n} | {args.clients} | {n / seconds:.0f} | {pct(latencies, 50):.0f} | "
        f"{pct(latencies, 95):.0f} | {pct(latencies, 99):.0f} | {errors} |",
        flush=True,
    )


@contextmanager
def pg_database(base: str) -> Iterator[str]:
    """A new database ``bench_<random>`` on the server of ``base``, dropped when the block
    ends (``WITH (FORCE)``: the server's connections are closed if any is left)."""
    import sqlalchemy as sa

    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--mix", action="store_true", help="mixed reads/writes, 1 vs 2 workers")
    parser.add_argument(
        "--ordering",
        choices=("both", *ORDERINGS),
        default="both",
        help="--mix: how the slots are dealt to the users: interleaved (round-robin over the "
        "subjects, the realistic case), same-subject (subject by subject, the worst case of "
        "contention on one subject's row lock) or both (default)",
    )
    parser.add_argument(
        "--contention",
        action="store_const",
        const="same-subject",
        dest="ordering",
        help="--mix: the same-subject (worst case) ordering only",
    )
    parser.add_argument(
        "--no-lock-timing",
        action="store_true",
        help="--mix: do not time the write path's row locks in the server",
    )
    args = parser.parse_args()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(
        f"# web API benchmark: {platform.node()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {when}"
    )
    if args.mix:
        if "--clients" not in sys.argv:
            args.clients = 50
        if "--requests" not in sys.argv:
            args.requests = 3000
        main_mix(args)
        return
    print("| database | submissions | clients | per second | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    pg = os.environ.get("AUTOSERUM_TEST_PG_URL")
    if pg:
        with pg_database(pg) as url:
            bench("PostgreSQL", url, args)
    else:
        print("(PostgreSQL skipped: AUTOSERUM_TEST_PG_URL not set; run scripts/services.sh)")


if __name__ == "__main__":
    main()
