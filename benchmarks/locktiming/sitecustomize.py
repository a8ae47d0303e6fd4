"""Lock timing for ``benchmarks/web.py --mix`` (not part of the product): imported by every
Python process started with this directory first on ``PYTHONPATH`` (the benchmark does so for
the server it starts, and only when ``AUTOSERUM_BENCH_LOCK_LOG`` names a directory).

For each transaction on any SQLAlchemy engine of the process it times the two row locks the
assessment write path takes: the subject's (the statement ``… FOR UPDATE OF subjects``, or
``FOR NO KEY UPDATE OF subjects``) and the audit chain's head (``… FROM audit_heads … FOR
UPDATE``): **wait** = from the statement's start to its return (the lock granted), **held** =
from the grant to the transaction's commit or rollback. One line per lock taken, appended to
``$AUTOSERUM_BENCH_LOCK_LOG/<pid>.tsv``: ``lock  end_time  wait_s  held_s`` (``end_time``:
``time.time()`` at the commit, so the benchmark keeps the counted run's lines only).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

_DIR = os.environ.get("AUTOSERUM_BENCH_LOCK_LOG")


def _install(directory: str) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    out = (Path(directory) / f"{os.getpid()}.tsv").open("a", buffering=1)
    write = threading.Lock()
    key = "bench_lock_timing"

    def which(statement: str) -> str | None:
        if "FOR UPDATE" not in statement and "FOR NO KEY UPDATE" not in statement:
            return None
        if "OF subjects" in statement:
            return "subject"
        if "audit_heads" in statement:
            return "chain_head"
        return None

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        lock = which(statement)
        if lock is not None:
            conn.info.setdefault(key, {})[lock] = [time.perf_counter(), None]

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        lock = which(statement)
        if lock is not None:
            taken = conn.info.get(key, {}).get(lock)
            if taken is not None and taken[1] is None:
                taken[1] = time.perf_counter()

    def _end(conn: Any) -> None:
        taken = conn.info.pop(key, None)
        if not taken:
            return
        now, wall = time.perf_counter(), time.time()
        lines = [
            f"{lock}\t{wall:.6f}\t{granted - asked:.6f}\t{now - granted:.6f}\n"
            for lock, (asked, granted) in taken.items()
            if granted is not None
        ]
        with write:
            out.writelines(lines)

    event.listen(Engine, "commit", _end)
    event.listen(Engine, "rollback", _end)


if _DIR:
    _install(_DIR)
