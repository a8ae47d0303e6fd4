"""The subject's row lock on the assessment write path (``store/_records.py:add_assessment``),
on both engines: the lock is taken after the items are validated and scored, but two writers
of one subject are still serialised (the second's review hook, whose automatic checks read the
subject's records, sees the first's committed assessment), while on PostgreSQL a writer of
another subject is not held up by it. Observed by the order of events, not by time: a writer
is paused inside its review hook (it holds the subject's lock there) until the other writer
is seen waiting (PostgreSQL: a backend waiting on a lock; SQLite: a waiter on the store's
writer lock) or done."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text

from autoserum.store import Store, _checks
from tests.store.helpers import COORDINATOR, double_blind_study, enrolled

POEM = {"itch": 3, "sleep": 2, "bleeding": 1, "oozing": 0, "cracking": 1, "flaking": 2,
        "dryness": 3}  # fmt: skip
PP_NRS = {"score": 7}


@pytest.fixture
def study(store: Store) -> str:
    name = double_blind_study(store)
    for subject in ("S01", "S02"):
        enrolled(store, name, subject)
        store.records.add_visit(name, subject, "baseline", "2026-03-02", actor=COORDINATOR)
    return name


class _Paused:
    """Wraps the checks' read of a subject's facts: records, per thread, the assessment ids
    each call saw, and pauses the thread named ``first`` there (inside its review hook, the
    subject locked) until released."""

    def __init__(self) -> None:
        self.seen: dict[str, list[set[int]]] = {}
        self.paused = threading.Event()
        self.release = threading.Event()

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def facts(*args: Any, **kwargs: Any) -> Any:
            found = real(*args, **kwargs)
            name = threading.current_thread().name
            self.seen.setdefault(name, []).append({a.id for a in found.assessments})
            if name == "first":
                self.paused.set()
                assert self.release.wait(120), "never released"
            return found

        return facts


@pytest.fixture
def paused(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Paused]:
    pause = _Paused()
    monkeypatch.setattr(_checks, "subject_facts", pause.wrap(_checks.subject_facts))
    try:
        yield pause
    finally:
        pause.release.set()


def _writer(
    store: Store, study: str, subject: str, instrument: str, done: list[str], out: dict[str, Any]
) -> Callable[[], None]:
    payload = POEM if instrument == "poem" else PP_NRS

    def write() -> None:
        name = threading.current_thread().name
        try:
            out[name] = store.records.add_assessment(
                study, subject, "baseline", instrument, payload, actor=COORDINATOR
            )
        except BaseException as err:  # reported by the test
            out[name] = err
        done.append(name)

    return write


def _waiting_on_a_lock(store: Store) -> bool:
    """Another writer waits for the lock the paused one holds."""
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        return bool(waiting)
    lock = store.uow._write_lock
    return lock is not None and bool(lock._waiters)


def _until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` (a guard against hanging for ever, not a timing assertion)."""
    deadline = time.monotonic() + 120
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_writers_of_one_subject_are_serialised(store: Store, study: str, paused: _Paused) -> None:
    done: list[str] = []
    out: dict[str, Any] = {}
    first = threading.Thread(target=_writer(store, study, "S01", "poem", done, out), name="first")
    second = threading.Thread(
        target=_writer(store, study, "S01", "pp_nrs", done, out), name="second"
    )
    first.start()
    try:
        _until(paused.paused.is_set)  # the first writer is in its review hook
        second.start()
        _until(lambda: _waiting_on_a_lock(store) or "second" in done)
        assert done == [], "the second writer of the subject did not wait for the first"
    finally:
        paused.release.set()
        first.join(120)
        second.join(120)
    assert done == ["first", "second"]
    assert not isinstance(out["first"], BaseException), out["first"]
    assert not isinstance(out["second"], BaseException), out["second"]
    # the second writer's checks saw the first writer's committed assessment and its own
    assert {out["first"].id, out["second"].id} <= paused.seen["second"][-1]
    assert out["second"].id not in paused.seen["first"][-1]
    assert store.audit.verify().ok


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_writer_of_another_subject_is_not_held_up(
    store: Store, study: str, paused: _Paused
) -> None:
    """PostgreSQL only: SQLite has one writer at a time by design (the database's lock)."""
    done: list[str] = []
    out: dict[str, Any] = {}
    first = threading.Thread(target=_writer(store, study, "S01", "poem", done, out), name="first")
    other = threading.Thread(target=_writer(store, study, "S02", "poem", done, out), name="other")
    first.start()
    try:
        _until(paused.paused.is_set)  # the first writer holds S01's row in its review hook
        other.start()
        other.join(120)  # not a timing assertion: it waits for ever if S01's writer blocks it
        assert done == ["other"], done
    finally:
        paused.release.set()
        first.join(120)
    assert done == ["other", "first"]
    assert not isinstance(out["other"], BaseException), out["other"]
    assert not isinstance(out["first"], BaseException), out["first"]
    assert store.audit.verify().ok
