"""Concurrent writers on both engines: two stores randomising at the same site at the same time
never hand out one allocation twice and follow the list in order."""

from __future__ import annotations

import threading

from sqlalchemy import text

from autoserum.store import Store, open_store
from autoserum.study.randomisation import allocation_list, stratum_key
from tests.store.helpers import ADMIN, COORDINATOR, ELIGIBLE, SCREENED_ON, double_blind_study

PER_WRITER = 8


def test_concurrent_randomisations_use_each_entry_once(store: Store, db_url: str) -> None:
    study = double_blind_study(store)
    for w in range(2):
        for i in range(PER_WRITER):
            store.subjects.screen(
                study, "s01", f"W{w}-{i}", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR
            )
    errors: list[BaseException] = []
    barrier = threading.Barrier(2, timeout=60)
    # one store per writer, as two processes would have (opened here: migrating is not
    # thread-safe, Alembic's context is global)
    stores = [open_store(db_url, create=False) for _ in range(2)]

    def writer(w: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_WRITER):
                stores[w].subjects.randomise(study, f"W{w}-{i}", actor=COORDINATOR)
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            stores[w].close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    subjects = store.subjects.all(study, actor=ADMIN)
    expected = allocation_list(
        [("serum", 1), ("placebo", 1)], n=16, seed=20260301, strata=[stratum_key("s01")]
    )
    with store.engine.connect() as conn:
        used = conn.execute(
            text(
                "SELECT sequence, arm FROM allocations WHERE subject_pk IS NOT NULL"
                " ORDER BY sequence"
            )
        ).all()
    assert [seq for seq, _ in used] == list(range(1, 2 * PER_WRITER + 1))
    assert [arm for _, arm in used] == [a.arm for a in expected[: 2 * PER_WRITER]]
    assert sorted(str(s.arm) for s in subjects) == sorted(str(arm) for _, arm in used)
