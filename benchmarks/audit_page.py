"""Benchmark: latency of the audit trail's page and API at 500,000 audit rows.

Builds a SQLite study whose audit trail has ``--rows`` rows: a real import of 20 subjects at two
sites (real audit rows, one per field), then copies of one subject and its audit rows made in
SQL (new subject, record ids and transactions; same shapes) until the trail reaches the size.
Then it asks the app (in process, through Starlette's TestClient, so routing, the SQL, the event
grouping and the Jinja2 rendering count) for:

- the page, first page and a deep page (cursor in the middle), as the admin;
- the page filtered by subject, by author and by a day range;
- the page as a site-limited monitor (the site restriction in SQL);
- the API, 1,000 rows after a cursor in the middle.

Prints p50/p99 (ms) per case over ``--repeat`` requests. Target (issue 11): p99 < 300 ms.

``--import-rows N`` builds the trail by one large import instead (the file of
``benchmarks/import_large.py``, ``totals`` columns: N visit rows, N / 5 subjects at 8 sites): its
batch audit rows carry their records' JSON (``store/_audit.py:insert_imported``), one row per
subject, record type and batch; then 200 single corrections by another author (``ben``) at the
end of the trail, the rarest author a reader filters by. No ``ANALYZE`` is run (the database as
an import leaves it).

Usage: .venv/bin/python benchmarks/audit_page.py [--rows 500000] [--repeat 40]
       .venv/bin/python benchmarks/audit_page.py --import-rows 1000000 --keep /tmp/a1m.db
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import polars as pl
from fastapi.testclient import TestClient

from autoserum.accounts import hash_password, hash_token, new_token
from autoserum.store import Actor, open_store
from autoserum.web import Settings, create_app

STUDY = "AUDIT"
ADMIN = Actor("bench", "admin")
PASSWORD = "correct horse battery staple"
_COLUMNS = ("txn", "at", "username", "role", "study_id", "subject_pk", "entity", "record_id",
            "action", "field", "old_value", "new_value", "reason")  # fmt: skip


def _visit_file(path: Path, subjects: int) -> None:
    rows = [
        {"subject_id": f"B{i:04d}", "arm": "serum" if i % 2 else "placebo",
         "site": "s01" if i % 2 else "s02", "week": week, "visit": visit, "visit_date": day,
         "age": "40", "sex": "F", "per_protocol": "true", "treated": "true", "easi": easi,
         "scorad": "30", "dlqi": "10", "ige": "300", "eosinophils": "0.4"}
        for i in range(subjects)
        for week, visit, day, easi in (("0", "baseline", "2026-03-03", "20"),
                                       ("4", "week_4", "2026-03-31", "12"),
                                       ("8", "week_8", "2026-04-28", "8"))
    ]  # fmt: skip
    pl.DataFrame(rows).write_csv(path)


def build(path: Path, rows: int) -> None:
    """The study, then copies of one subject's audit rows until the trail has ``rows`` rows."""
    url = f"sqlite:///{path}"
    store = open_store(url)
    try:
        visits = path.with_name("visits.csv")
        _visit_file(visits, 20)
        store.exports.import_long(
            STUDY, pl.read_csv(visits, infer_schema=False), actor=ADMIN, protocol="ast-nahm2023"
        )
        store.accounts.create_user("admin1", hash_password(PASSWORD), "admin", None, actor=ADMIN)
        store.accounts.create_user(
            "mon1", hash_password(PASSWORD), "monitor", frozenset({(STUDY, "s01")}), actor=ADMIN
        )
        token = new_token()
        store.accounts.create_api_token("admin1", hash_token(token), actor=ADMIN, label="bench")
    finally:
        store.close()
    conn = sqlite3.connect(path)
    try:
        (study_id,) = conn.execute("SELECT id FROM studies WHERE name = ?", (STUDY,)).fetchone()
        (template_pk,) = conn.execute(
            "SELECT id FROM subjects WHERE study_id = ? ORDER BY id LIMIT 1", (study_id,)
        ).fetchone()
        sites = [r[0] for r in conn.execute("SELECT id FROM sites WHERE study_id = ?", (study_id,))]
        cols = ", ".join(_COLUMNS)
        template = conn.execute(
            f"SELECT {cols} FROM audit_log WHERE subject_pk = ? ORDER BY id", (template_pk,)
        ).fetchall()
        subject_cols = [r[1] for r in conn.execute("PRAGMA table_info(subjects)") if r[1] != "id"]
        have = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        users = ("ana", "ben", "cho", "dev")
        n = 0
        while have < rows:
            n += 1
            conn.execute(
                f"INSERT INTO subjects ({', '.join(subject_cols)}) SELECT "
                + ", ".join("?" if c == "subject_id" else c for c in subject_cols)
                + " FROM subjects WHERE id = ?",
                (f"X{n:06d}", template_pk),
            )
            pk = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
            conn.execute("UPDATE subjects SET site_id = ? WHERE id = ?", (sites[n % 2], pk))
            txns: dict[str, str] = {}
            batch = []
            for r in template:
                row = dict(zip(_COLUMNS, r, strict=True))
                row["txn"] = txns.setdefault(row["txn"], str(uuid.uuid4()))
                row["subject_pk"] = pk
                row["record_id"] = row["record_id"] + 1_000_000 * n
                row["username"] = users[n % len(users)]
                day = 1 + n * 27 // max(1, rows // len(template))  # spread over about a month
                row["at"] = f"2026-05-{min(day, 28):02d}" + row["at"][10:]
                batch.append(tuple(row[c] for c in _COLUMNS))
            conn.executemany(
                f"INSERT INTO audit_log ({cols}) VALUES ({', '.join('?' * len(_COLUMNS))})", batch
            )
            have += len(batch)
            if n % 500 == 0:
                conn.commit()
        conn.commit()
        conn.execute("ANALYZE")
    finally:
        conn.close()
    path.with_name("token").write_text(token, encoding="utf-8")


def build_by_import(path: Path, rows: int) -> None:
    """The study imported from a tidy file of ``rows`` visit rows, then 200 corrections of
    EASI totals by ``ben`` (single audited writes at the end of the trail)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from import_large import tidy_file

    url = f"sqlite:///{path}"
    visits = path.with_name("visits.csv")
    tidy_file(visits, rows, "totals")
    store = open_store(url)
    try:
        started = time.perf_counter()
        store.exports.import_file(STUDY, visits, actor=ADMIN, protocol="ast-nahm2023")
        print(f"import of {rows:,} rows: {time.perf_counter() - started:.0f} s")
        store.accounts.create_user("admin1", hash_password(PASSWORD), "admin", None, actor=ADMIN)
        store.accounts.create_user(
            "mon1", hash_password(PASSWORD), "monitor", frozenset({(STUDY, "s1")}), actor=ADMIN
        )
        store.accounts.create_user("ben", hash_password(PASSWORD), "admin", None, actor=ADMIN)
        token = new_token()
        store.accounts.create_api_token("admin1", hash_token(token), actor=ADMIN, label="bench")
        ben = Actor("ben", "admin")
        with sqlite3.connect(path) as conn:
            last = conn.execute(
                "SELECT id, total FROM assessments WHERE instrument = 'easi' ORDER BY id DESC "
                "LIMIT 200"
            ).fetchall()
        for record_id, total in last:
            new = "1" if total != "1" else "2"
            store.records.update(
                STUDY,
                "assessment",
                record_id,
                {"total": new},
                actor=ben,
                reason="bench",
                expected_version=1,
            )
    finally:
        store.close()
    visits.unlink()
    path.with_name("token").write_text(token, encoding="utf-8")


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "no CSRF token on the login page"
    done = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": match[1]}
    )
    assert done.status_code == 200, done.status_code


def _timed(client: TestClient, url: str, repeat: int, headers: dict[str, str]) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", type=Path, default=None, help="build (or reuse) this file")
    parser.add_argument("--import-rows", type=int, default=0, help="build by an import")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    path = args.keep or workdir / "audit.db"
    started = time.perf_counter()
    if not path.exists():
        if args.import_rows:
            build_by_import(path, args.import_rows)
        else:
            build(path, args.rows)
    built = time.perf_counter() - started
    token = path.with_name("token").read_text(encoding="utf-8")
    with sqlite3.connect(path) as conn:
        total = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        middle = conn.execute("SELECT max(id) / 2 FROM audit_log").fetchone()[0]
        subject = conn.execute("SELECT subject_id FROM subjects ORDER BY id DESC").fetchone()[0]
        day = conn.execute("SELECT substr(max(at), 1, 10) FROM audit_log").fetchone()[0]
        size = conn.execute("SELECT sum(length(new_value)) FROM audit_log").fetchone()[0]
    print(f"audit rows: {total:,}, {size / 1e6:.0f} MB of new values (built in {built:.0f} s)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    settings = Settings(env="development", secret_key="b" * 48, database_url=f"sqlite:///{path}")
    store = open_store(f"sqlite:///{path}")  # migrates a kept file built by an older version
    app = create_app(settings, store=store)
    base = f"/studies/{STUDY}/audit"
    cases = [
        ("admin", "page, first 200 rows", base),
        ("admin", "page, 200 rows after a cursor in the middle", f"{base}?after={middle}"),
        ("admin", "page, one subject", f"{base}?subject_id={subject}"),
        ("admin", "page, one author", f"{base}?username=ben&after={middle}"),
        (
            "admin",
            "page, a day range",
            f"{base}?since={day}&until={day}"
            if args.import_rows
            else f"{base}?since=2026-05-20&until=2026-05-21",
        ),
        ("mon1", "page, site-limited monitor", f"{base}?after={middle}"),
        ("api", "API, 1,000 rows after a cursor", f"/api/v1{base}?after={middle}&limit=1000"),
    ]
    print(f"{'case':48} {'p50 ms':>8} {'p99 ms':>8}")
    worst = 0.0
    for who, label, url in cases:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            headers = {}
            if who == "api":
                headers = {"Authorization": f"Bearer {token}"}
            else:
                _login(client, "admin1" if who == "admin" else who)
            _timed(client, url, 3, headers)  # warm-up
            times = _timed(client, url, args.repeat, headers)
        p99 = statistics.quantiles(times, n=100, method="inclusive")[98]
        worst = max(worst, p99)
        print(f"{label:48} {statistics.median(times):8.1f} {p99:8.1f}")
    store.close()
    print(f"worst p99: {worst:.1f} ms (target < 300 ms)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
