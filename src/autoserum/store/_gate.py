"""The writer queue of one SQLite file across processes: an exclusive ``flock`` on a lock file
beside the database (``<db>-writer``), taken before ``BEGIN IMMEDIATE`` and released after the
commit or rollback.

SQLite's own busy handler polls for the write lock at intervals of up to 100 ms, so a process
whose writers follow each other without a gap (a server's threads hand the lock on at once)
starves the writers of another process (an import) indefinitely. A blocked ``flock`` is woken by
the kernel the moment the lock is released, so the writers of every process take turns. Within
one process, writers first queue on the unit of work's FIFO lock; the gate holds one writer per
process at a time. A process that dies releases its ``flock`` with it. A process that hangs
while holding it (stopped, not killed) does not block the others for ever: a writer that has
waited ``timeout`` seconds (SQLite's busy timeout) gets :class:`~autoserum.errors.BusyError`,
as it would from SQLite. The wait polls the lock at intervals of at most 5 ms, far finer than
SQLite's 100 ms. Programs that do not use the gate (the ``sqlite3`` shell) still queue on
SQLite's busy timeout.

Taking turns: a lock that is free for only the microseconds between two of a server's writers
is rarely seen free by a poller in another process, so a busy server would still starve an
import. A writer therefore announces itself with a shared ``flock`` on ``<db>-writer-queue``
from before its first attempt until it holds the gate (so there is no moment at which it has
found the gate taken but is not yet announced, in which the holder could leave and re-enter
unseen), and a process about to enter first lets such a writer of another process go ahead (it
waits, at most :data:`YIELD_SECONDS`, until the queue is empty), so two busy processes
alternate. One thread per process stands at the gate (the unit of work's lock comes first), so
a shared lock on the queue file is always another process's.

Looking at the queue (:meth:`WriterGate.waiting`) means trying an exclusive lock on it, which
is refused by an announcement but also by another process looking at the same moment: two
lookers would each take the other for a waiting writer. Lookers therefore take turns on a
third lock file, ``<db>-writer-probe``, held only around the one try, so a refused try means an
announcement and nothing else.

>>> import tempfile, pathlib
>>> gate = WriterGate(str(pathlib.Path(tempfile.mkdtemp()) / "t.db"))
>>> with gate:
...     gate.try_enter()  # held by this gate already: flock locks are per open file
True
>>> gate.close()
"""

from __future__ import annotations

import fcntl
import os
import time
from types import TracebackType

from autoserum.errors import BusyError, Message

__all__ = ["YIELD_SECONDS", "WriterGate"]

YIELD_SECONDS = 0.25
"""How long a process about to take the gate lets a waiting process go first, at most."""


class WriterGate:
    """An exclusive ``flock`` on ``<database path>-writer``, waited for at most ``timeout`` s."""

    def __init__(self, database: str, *, timeout: float = 30.0) -> None:
        self.path = f"{database}-writer"
        self.timeout = timeout
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._queue: int | None = os.open(f"{database}-writer-queue", os.O_RDWR | os.O_CREAT, 0o600)
        self._probe: int | None = os.open(f"{database}-writer-probe", os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        deadline = time.monotonic() + self.timeout
        self._let_waiters_go_first()
        self._lock(self._queue, fcntl.LOCK_SH, deadline)  # announced before the first try
        try:
            pause = 0.0005
            while not self.try_enter():
                self._check(deadline)
                time.sleep(pause)
                pause = min(pause * 2, 0.005)
        finally:
            if self._queue is not None:
                fcntl.flock(self._queue, fcntl.LOCK_UN)

    def _check(self, deadline: float) -> None:
        if time.monotonic() >= deadline:
            raise BusyError(
                Message(
                    "another process has held the database's write lock for over %(timeout)s s",
                    timeout=format(self.timeout, "g"),
                ),
                retry_after=5,
            )

    def _lock(self, fd: int | None, operation: int, deadline: float) -> None:
        """Take ``operation`` on ``fd`` (the queue or probe file, held by others for a moment
        only), polling, so that a process stopped while holding it gives a busy error here."""
        if fd is None:
            return
        while True:
            try:
                fcntl.flock(fd, operation | fcntl.LOCK_NB)
            except BlockingIOError:
                self._check(deadline)
                time.sleep(0.0002)
            else:
                return

    def waiting(self) -> bool:
        """Whether a writer of another process is announced at the gate now (waiting for it, or
        about to take it)."""
        if self._queue is None or self._probe is None:
            return False
        self._lock(self._probe, fcntl.LOCK_EX, time.monotonic() + self.timeout)
        try:
            fcntl.flock(self._queue, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        else:
            fcntl.flock(self._queue, fcntl.LOCK_UN)
            return False
        finally:
            fcntl.flock(self._probe, fcntl.LOCK_UN)

    def _let_waiters_go_first(self) -> None:
        self.give_way(YIELD_SECONDS)

    def give_way(self, seconds: float) -> None:
        """Wait while a writer of another process waits at the gate, at most ``seconds`` (a
        bulk writer gives way to every waiting writer, not one)."""
        until = time.monotonic() + seconds
        while self.waiting() and time.monotonic() < until:
            time.sleep(0.001)

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def try_enter(self) -> bool:
        """Take the gate if it is free now (``False`` otherwise); leave it with ``__exit__``."""
        if self._fd is None:
            return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        """Close the lock files (the gate is open, a no-op, afterwards)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._queue is not None:
            os.close(self._queue)
            self._queue = None
        if self._probe is not None:
            os.close(self._probe)
            self._probe = None
