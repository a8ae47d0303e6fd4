"""Slots shared across processes (``store/_slots.py``): the password-hashing limit holds for
every server process of a database together (SQLite: ``flock`` files; PostgreSQL: advisory
locks), tested with a second real process holding the one slot."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from autoserum.errors import BusyError
from autoserum.store import SharedSlots
from autoserum.web.security import HashingLimit

HOLDER = """
import sys
from sqlalchemy import create_engine
from autoserum.store import SharedSlots
slots = SharedSlots(create_engine(sys.argv[1]), name="hashing", count=1)
with slots.hold(wait=10) as got:
    print("held" if got else "busy", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def _holder(url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_slot_held_by_another_process_is_not_given_twice(db_url: str) -> None:
    engine = create_engine(db_url)
    slots = SharedSlots(engine, name="hashing", count=1)
    limit = HashingLimit(concurrent=1, queued=0, wait=0.2, shared=slots)
    other = _holder(db_url)
    try:
        started = time.monotonic()
        with slots.hold(wait=0.2) as got:
            assert got is False  # the other process holds the only slot
        assert time.monotonic() - started >= 0.2
        with pytest.raises(BusyError), limit.slot():  # the login limit refuses (429)
            pass
    finally:
        other.communicate(timeout=30)  # closes its stdin: it releases the slot and ends
        assert other.returncode == 0
    with slots.hold(wait=5) as got:  # released with the other process's slot
        assert got is True
    with limit.slot():
        pass
    # a process killed while holding the slot frees it
    killed = _holder(db_url)
    killed.kill()
    killed.communicate(timeout=30)
    with slots.hold(wait=5) as got:
        assert got is True
    engine.dispose()


def test_two_slots_admit_two_holders_across_processes(db_url: str) -> None:
    engine = create_engine(db_url)
    two = SharedSlots(engine, name="hashing", count=2)
    other = _holder(db_url)  # holds slot 0 (a one-slot view of the same slots)
    try:
        with two.hold(wait=0.5) as first:
            assert first is True  # slot 1 is free
            with two.hold(wait=0.2) as second:
                assert second is False  # both taken: the other process's and ours
    finally:
        other.communicate(timeout=30)
    engine.dispose()
