"""Slots shared by every process using one database: at most ``count`` holders at once across
all of them (the server's workers, several servers on one database). Used to bound the
password hashings (argon2, 64 MiB each) of every worker together, not of each alone.

- PostgreSQL: ``count`` session-level advisory locks (keys derived from the slots' name), each
  taken with ``pg_try_advisory_lock`` on a connection held while the slot is;
- SQLite: an exclusive ``flock`` on one of ``count`` files beside the database
  (``<db>-<name>-<i>``).

Both end with the process that holds them (a killed worker frees its slot). A waiter polls the
slots every few milliseconds until its time is up.

>>> from autoserum.store import open_store
>>> slots = SharedSlots(open_store("sqlite://").engine, name="doc", count=1)
>>> with slots.hold(wait=0.1) as got:
...     got
True
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

__all__ = ["SharedSlots"]

_POLL = 0.005


class SharedSlots:
    """At most ``count`` holders of the slots named ``name`` at once across processes."""

    def __init__(self, engine: Engine, *, name: str, count: int) -> None:
        self.engine = engine
        self.name = name
        self.count = count
        digest = hashlib.sha256(f"autoserum-slots:{name}".encode()).digest()
        self._key = int.from_bytes(digest[:6], "big") << 8  # room for 256 slots, fits int8
        database = engine.url.database
        self._files = (
            None
            if engine.dialect.name != "sqlite" or database in (None, "", ":memory:")
            else [f"{database}-{name}-{i}" for i in range(count)]
        )

    @contextmanager
    def hold(self, *, wait: float) -> Iterator[bool]:
        """Hold a slot for the ``with`` block: ``True``, or ``False`` when none was free
        within ``wait`` seconds (the block then runs without one; the caller refuses)."""
        if self.engine.dialect.name == "postgresql":
            with self._advisory(wait) as got:
                yield got
        elif self._files is not None:
            with self._flock(self._files, wait) as got:
                yield got
        else:  # an in-memory database: one process
            yield True

    @contextmanager
    def _advisory(self, wait: float) -> Iterator[bool]:
        deadline = time.monotonic() + wait
        with self.engine.connect() as conn:
            held = None
            while held is None:
                for i in range(self.count):
                    got = conn.execute(
                        text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key + i}
                    ).scalar()
                    if got:
                        held = self._key + i
                        break
                conn.commit()
                if held is None:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(_POLL)
            try:
                yield True
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": held})
                conn.commit()

    @contextmanager
    def _flock(self, files: list[str], wait: float) -> Iterator[bool]:
        deadline = time.monotonic() + wait
        while True:
            fd = self._try_files(files)
            if fd is not None:
                break
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(_POLL)
        try:
            yield True
        finally:
            os.close(fd)  # releases the flock

    @staticmethod
    def _try_files(paths: list[str]) -> int | None:
        for path in paths:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None
