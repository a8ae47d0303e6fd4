"""The writer gate of one SQLite file across processes (``store/_gate.py``)."""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from autoserum.errors import BusyError
from autoserum.store import _gate
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


def _until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (another thread's progress), with a fail-safe of a minute so that a
    broken gate fails the test instead of hanging it; no time is asserted."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the other thread made no progress in a minute"
        time.sleep(0.001)


def test_a_busy_process_lets_a_waiting_process_take_its_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "busy" enters and leaves the gate without a gap, as a server's writer threads do; a
    # poller alone would almost never find the gate free. The waiter announces itself and the
    # busy side lets it go first. Observed by the order of the entries, not by time: the
    # give-way limit is made longer than any wait here, so the order is the protocol's alone.
    # (Its timing on a busy gate: benchmarks/gate.py.)
    monkeypatch.setattr(_gate, "YIELD_SECONDS", 600.0)
    busy = WriterGate(str(tmp_path / "study.db"))
    waiter = WriterGate(str(tmp_path / "study.db"), timeout=600.0)
    order: list[str] = []

    def wait_at_the_gate() -> None:
        with waiter:
            order.append("waiter")

    assert busy.try_enter()
    for turn in range(20):
        thread = threading.Thread(target=wait_at_the_gate)
        thread.start()
        _until(busy.waiting)  # the waiter queues while busy holds the gate
        busy.__exit__(None, None, None)
        with busy:  # busy's next transaction, at once: the waiter goes first
            order.append("busy")
        thread.join()
        assert order == ["waiter", "busy"] * (turn + 1), order
        assert busy.try_enter()  # busy holds the gate again for the next round
    busy.__exit__(None, None, None)
    busy.close()
    waiter.close()


def test_a_bulk_writer_gives_way_while_another_process_waits_at_the_gate(tmp_path: Path) -> None:
    # an import gives way before each of its transactions (store/_importer.py): it returns
    # as soon as no writer of another process waits, and at the latest after its limit
    importer = WriterGate(str(tmp_path / "study.db"))
    holder = WriterGate(str(tmp_path / "study.db"))
    waiter = WriterGate(str(tmp_path / "study.db"), timeout=60.0)
    assert not importer.waiting()
    importer.give_way(5.0)  # nobody waits: no wait at all (no timing asserted)
    assert holder.try_enter()
    entered = threading.Event()

    def wait_at_the_gate() -> None:
        with waiter:
            entered.set()

    thread = threading.Thread(target=wait_at_the_gate)
    thread.start()
    _until(importer.waiting)  # the waiter announces itself on the queue file
    started = time.monotonic()
    importer.give_way(0.2)  # someone still waits: the limit is reached
    assert time.monotonic() - started >= 0.2
    assert importer.waiting()
    holder.__exit__(None, None, None)  # the waiter goes in; the importer gives way until then
    importer.give_way(60.0)
    thread.join(timeout=60)
    assert entered.is_set()
    assert not importer.waiting()
    for gate in (importer, holder, waiter):
        gate.close()


def test_a_gate_looking_at_the_queue_is_not_taken_for_a_waiting_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # looking at the queue tries an exclusive lock on it; two lookers at the same moment each
    # saw the other's try as a waiting writer (the order race of the busy/waiting test under
    # load). The looker is stopped in the middle of its look; the other look waits its turn and
    # sees nobody, since nobody waits.
    looker = WriterGate(str(tmp_path / "study.db"))
    other = WriterGate(str(tmp_path / "study.db"))
    real_flock = fcntl.flock
    inside, refused, resume = threading.Event(), threading.Event(), threading.Event()

    def flock(fd: int, operation: int) -> None:
        try:
            real_flock(fd, operation)
        except BlockingIOError:
            if fd in (other._queue, other._probe):
                refused.set()  # the other look has met the looker's
            raise
        if fd == looker._queue and operation == fcntl.LOCK_EX | fcntl.LOCK_NB:
            inside.set()  # the looker holds the queue file's exclusive lock now
            assert resume.wait(60)

    monkeypatch.setattr(fcntl, "flock", flock)
    seen: dict[str, bool] = {}
    look = threading.Thread(target=lambda: seen.setdefault("looker", looker.waiting()))
    look.start()
    assert inside.wait(60)
    second = threading.Thread(target=lambda: seen.setdefault("other", other.waiting()))
    second.start()
    assert refused.wait(60)
    resume.set()
    look.join()
    second.join()
    assert seen == {"looker": False, "other": False}
    looker.close()
    other.close()


def test_a_writer_is_announced_from_before_its_first_try(tmp_path: Path) -> None:
    # a writer that found the gate taken but had not yet announced itself could be passed by
    # the holder leaving and entering again at once; announced before its first try, it cannot
    holder = WriterGate(str(tmp_path / "study.db"))
    writer = WriterGate(str(tmp_path / "study.db"))
    seen: list[bool] = []
    real_try = writer.try_enter

    def try_enter() -> bool:
        seen.append(holder.waiting())
        return real_try()

    writer.try_enter = try_enter  # type: ignore[method-assign]
    with writer:
        pass
    assert seen == [True]
    assert not holder.waiting()  # and no longer once it holds the gate
    holder.close()
    writer.close()
