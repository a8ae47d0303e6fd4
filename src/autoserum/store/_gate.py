"""The writer queue of one SQLite file across processes: an exclusive ``flock`` on a lock file
beside the database (``<db>-writer``), taken before ``BEGIN IMMEDIATE`` and released after the
commit or rollback.

SQLite's own busy handler polls for the write lock at intervals of up to 100 ms, so a process
whose writers follow each other without a gap (a server's threads hand the lock on at once)
starves the writers of another process (an import) indefinitely. A blocked ``flock`` is woken by
the kernel the moment the lock is released, so the writers of every process take turns. Within
one process, writers first queue on the unit of work's FIFO lock; the gate holds one writer per
process at a time. A process that dies releases its ``flock`` with it. Programs that do not use
the gate (the ``sqlite3`` shell) still queue on SQLite's busy timeout.

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
from types import TracebackType

__all__ = ["WriterGate"]


class WriterGate:
    """An exclusive, blocking ``flock`` on ``<database path>-writer``."""

    def __init__(self, database: str) -> None:
        self.path = f"{database}-writer"
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)

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
        """Close the lock file (the gate is open, a no-op, afterwards)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
