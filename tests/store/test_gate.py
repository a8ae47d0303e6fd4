"""The writer gate of one SQLite file across processes (``store/_gate.py``)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from autoserum.errors import BusyError
from autoserum.store._gate import WriterGate


def test_a_writer_waits_for_the_gate_and_enters_when_it_is_released(tmp_path: Path) -> None:
    holder = WriterGate(str(tmp_path / "study.db"))
    waiter = WriterGate(str(tmp_path / "study.db"), timeout=5.0)
    assert holder.try_enter()
    assert not waiter.try_enter()  # flock is per open file: the second gate is refused
    holder.__exit__(None, None, None)
    with waiter:
        assert not holder.try_enter()
    assert holder.try_enter()
    holder.close()
    waiter.close()


def test_a_hung_holder_gives_busy_after_the_timeout_instead_of_blocking_for_ever(
    tmp_path: Path,
) -> None:
    # a process stopped (not killed) while holding the gate: the others fail like SQLite's busy
    # timeout would, with a message and a time to retry, instead of hanging
    holder = WriterGate(str(tmp_path / "study.db"))
    waiter = WriterGate(str(tmp_path / "study.db"), timeout=0.2)
    assert holder.try_enter()
    started = time.monotonic()
    with pytest.raises(BusyError, match=r"write lock for over 0\.2 s") as caught, waiter:
        pass
    assert time.monotonic() - started >= 0.2
    assert caught.value.retry_after == 5
    holder.close()
    waiter.close()


def test_a_busy_process_lets_a_waiting_process_take_its_turn(tmp_path: Path) -> None:
    # "busy" enters and leaves the gate without a gap, as a server's writer threads do; a
    # poller alone would almost never find the gate free. The waiter announces itself and the
    # busy side lets it go first: each of its entries takes about one of busy's turns.
    busy = WriterGate(str(tmp_path / "study.db"))
    waiter = WriterGate(str(tmp_path / "study.db"), timeout=5.0)
    stop = threading.Event()
    turns = 0

    def hog() -> None:
        nonlocal turns
        while not stop.is_set():
            with busy:
                time.sleep(0.002)  # a short transaction
                turns += 1

    thread = threading.Thread(target=hog)
    thread.start()
    try:
        time.sleep(0.05)
        started = time.monotonic()
        for _ in range(20):
            with waiter:
                pass
        took = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
    assert took < 2.0, took
    assert turns > 0  # the busy side kept writing meanwhile
    busy.close()
    waiter.close()


def test_a_bulk_writer_gives_way_while_another_process_waits_at_the_gate(tmp_path: Path) -> None:
    # an import gives way before each of its transactions (store/_importer.py): it returns
    # as soon as no writer of another process waits, and at the latest after its limit
    importer = WriterGate(str(tmp_path / "study.db"))
    holder = WriterGate(str(tmp_path / "study.db"))
    waiter = WriterGate(str(tmp_path / "study.db"), timeout=5.0)
    assert not importer.waiting()
    importer.give_way(5.0)  # nobody waits: no wait at all (no timing asserted)
    assert holder.try_enter()
    entered = threading.Event()

    def wait_at_the_gate() -> None:
        with waiter:
            entered.set()

    thread = threading.Thread(target=wait_at_the_gate)
    thread.start()
    deadline = time.monotonic() + 5
    while not importer.waiting():  # the waiter announces itself on the queue file
        assert time.monotonic() < deadline
        time.sleep(0.001)
    started = time.monotonic()
    importer.give_way(0.2)  # someone still waits: the limit is reached
    assert time.monotonic() - started >= 0.2
    assert importer.waiting()
    holder.__exit__(None, None, None)  # the waiter goes in; the importer gives way until then
    importer.give_way(5.0)
    thread.join(timeout=5)
    assert entered.is_set()
    assert not importer.waiting()
    for gate in (importer, holder, waiter):
        gate.close()
