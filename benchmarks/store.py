"""Store benchmark: audited writes through the service, tidy import and export, on SQLite and,
when AUTOSERUM_TEST_PG_URL (or .autoserum-services.env) names a server, on PostgreSQL.

Run: .venv/bin/python benchmarks/store.py [N_SUBJECTS]
Prints one line per figure. Synthetic data only (seeded NumPy generator).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import polars as pl
import psycopg
from sqlalchemy.engine import make_url

from autoserum.store import Actor, open_store

ADMIN = Actor("bench", "admin")
FACTS = {"atopic_dermatitis": True, "age": 30, "scorad": 40}
ROOT = Path(__file__).resolve().parents[1]


def visit_frame(n: int, seed: int = 1) -> pl.DataFrame:
    """n subjects × 5 visits with EASI, SCORAD, DLQI, POEM totals and two labs."""
    rng = np.random.default_rng(seed)
    weeks = [0, 2, 4, 8, 12]
    rows = []
    for i in range(n):
        arm = "serum" if i % 2 else "placebo"
        age = int(rng.integers(16, 70))
        for w in weeks:
            rows.append({
                "subject_id": f"B{i:05d}", "arm": arm, "site": f"s{i % 4}", "week": w,
                "age": age, "easi": round(float(rng.uniform(0, 72)), 1),
                "scorad": round(float(rng.uniform(0, 103)), 1), "dlqi": int(rng.integers(0, 31)),
                "poem": int(rng.integers(0, 29)), "ige": round(float(rng.uniform(10, 5000)), 1),
                "eosinophils": round(float(rng.uniform(0, 2)), 2),
            })  # fmt: skip
    return pl.DataFrame(rows)


def _pg_url() -> str | None:
    url = os.environ.get("AUTOSERUM_TEST_PG_URL")
    env = ROOT / ".autoserum-services.env"
    if not url and env.exists():
        found = re.search(r"AUTOSERUM_TEST_PG_URL=(\S+)", env.read_text(encoding="utf-8"))
        url = found.group(1) if found else None
    return url


def bench(url: str, label: str, n: int) -> None:
    store = open_store(url)
    store.studies.create("BENCH", "ast-nahm2023", actor=ADMIN, seed=1, allocation_n=n)
    store.studies.add_site("BENCH", "s01", "Site", actor=ADMIN)
    start = time.perf_counter()
    for i in range(n):
        sid = f"W{i:05d}"
        store.subjects.screen("BENCH", "s01", sid, FACTS, actor=ADMIN, screened_on="2026-02-16")
        store.subjects.randomise("BENCH", sid, actor=ADMIN)
        store.records.add_visit("BENCH", sid, "baseline", "2026-03-02", actor=ADMIN)
        store.records.add_assessment("BENCH", sid, "baseline", "pp_nrs", {"score": 5}, actor=ADMIN)
    took = time.perf_counter() - start
    print(f"{label}: {4 * n} audited service writes in {took:.2f} s ({4 * n / took:.0f} writes/s)")
    frame = visit_frame(n)
    start = time.perf_counter()
    store.exports.import_long("IMPORT", frame, actor=ADMIN, protocol="ast-nahm2023")
    took = time.perf_counter() - start
    print(f"{label}: import of {frame.height} visit rows ({n} subjects) in {took:.2f} s "
          f"({frame.height / took:.0f} rows/s)")  # fmt: skip
    start = time.perf_counter()
    out = store.exports.long("IMPORT", actor=ADMIN)
    took = time.perf_counter() - start
    print(
        f"{label}: export of {out.height} visit rows in {took:.2f} s "
        f"({out.height / took:.0f} rows/s)"
    )
    start = time.perf_counter()
    trail = store.audit.raw_rows("IMPORT")
    took = time.perf_counter() - start
    print(f"{label}: audit trail of the import: {len(trail)} records read in {took:.2f} s")
    store.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/bench.db", "sqlite", n)
    pg = _pg_url()
    if pg is None:
        print("postgresql: skipped (no AUTOSERUM_TEST_PG_URL)")
        return
    name = f"autoserum_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(pg).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            bench(
                make_url(pg).set(database=name).render_as_string(hide_password=False),
                "postgresql",
                n,
            )
        finally:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
