"""The SQLite writer gate under a busy writer (``store/_gate.py``): how long a writer of another
process waits for its turn.

A "busy" gate enters and leaves without a gap, holding the gate about 2 ms each time (a server's
writer threads handing the lock on at once); a second gate on the same file (``flock`` locks are
per open file, so it stands for another process) enters ``--entries`` times, working about
2 ms outside the gate between two entries. Prints one JSON
object: the waiter's total and worst wait, and how many turns the busy side took meanwhile
(both sides progress: the busy side lets a waiting writer go first, at most
``YIELD_SECONDS``). The test suite checks the order of the turns
(``tests/store/test_gate.py``), never their time.

    python benchmarks/gate.py --entries 20 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

from autoserum.store._gate import YIELD_SECONDS, WriterGate


def run(entries: int, *, hold: float = 0.002) -> dict[str, float]:
    """One measurement: ``entries`` entries of a waiter beside a busy gate."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "study.db")
        busy, waiter = WriterGate(db), WriterGate(db, timeout=30.0)
        stop = threading.Event()
        turns = 0

        def hog() -> None:
            nonlocal turns
            while not stop.is_set():
                with busy:
                    time.sleep(hold)
                    turns += 1

        thread = threading.Thread(target=hog)
        thread.start()
        waits: list[float] = []
        try:
            time.sleep(0.05)
            before = turns
            for _ in range(entries):
                started = time.monotonic()
                with waiter:
                    waits.append(time.monotonic() - started)
                time.sleep(hold)  # the waiter's own work between its transactions
            during = turns - before
        finally:
            stop.set()
            thread.join()
            busy.close()
            waiter.close()
    return {"total_s": sum(waits), "worst_s": max(waits), "busy_turns": during}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = [run(args.entries) for _ in range(args.repeat)]
    print(json.dumps({
        "entries": args.entries,
        "yield_seconds": YIELD_SECONDS,
        "load_average": os.getloadavg(),
        "runs": runs,
        "total_s_max": max(r["total_s"] for r in runs),
        "worst_wait_s": max(r["worst_s"] for r in runs),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
