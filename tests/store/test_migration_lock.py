"""Several server processes starting together on one PostgreSQL database migrate it once.

Real processes (spawned, as uvicorn's workers are), a real server; the processes wait at a
barrier and then all call :func:`upgrade` on the empty schema. Under the advisory lock exactly
one of them finds the database empty and migrates; the others find it current. No timing is
assumed: whatever the order, the outcome is the same.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

import pytest

from autoserum.store._migrate import current_revision, head_revision, upgrade

WORKERS = 3


def _start(url: str, barrier: Any, results: Any) -> None:
    from autoserum.store._engine import make_engine

    engine = make_engine(url)
    try:
        barrier.wait(timeout=120)
        before, after = upgrade(engine)
        results.put((before, after))
    except Exception as err:  # the parent reports it
        results.put(("error", repr(err)))
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_workers_started_together_migrate_once(db_url: str) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_start, args=(db_url, barrier, results)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    head = head_revision()
    assert sorted(outcomes, key=str) == sorted(
        [(None, head)] + [(head, head)] * (WORKERS - 1), key=str
    )


def test_upgrade_reports_where_it_started(db_url: str) -> None:
    from autoserum.store._engine import make_engine

    engine = make_engine(db_url)
    try:
        assert upgrade(engine) == (None, head_revision())
        assert upgrade(engine) == (head_revision(), head_revision())
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
