"""A writer for the crash test: streams committed writes and announces each one on stdout.

Run as ``python crash_writer.py URL``; it screens and randomises subjects and records a visit,
a lab and an adverse event for each, announcing ``committed <subject> <what>`` after every
commit, until it is killed.
"""

from __future__ import annotations

import sys
from datetime import date

from autoserum.store import Actor, open_store

ADMIN = Actor("ada", "admin")
FACTS = {"atopic_dermatitis": True, "age": 30, "scorad": 40}
SCREENED_ON = "2026-02-16"
TODAY = date(2026, 6, 30)


def main(url: str) -> None:
    store = open_store(url, clock=lambda: TODAY)
    store.studies.create("CRASH", "ast-nahm2023", actor=ADMIN, seed=5, allocation_n=10_000)
    store.studies.add_site("CRASH", "s01", "Seoul", actor=ADMIN)
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        sid = f"C{i:05d}"
        store.subjects.screen("CRASH", "s01", sid, FACTS, screened_on=SCREENED_ON, actor=ADMIN)
        print(f"committed {sid} subject", flush=True)
        store.subjects.randomise("CRASH", sid, actor=ADMIN)
        print(f"committed {sid} randomised", flush=True)
        store.records.add_visit("CRASH", sid, "baseline", "2026-03-02", actor=ADMIN)
        store.records.add_lab("CRASH", sid, "baseline", "ige", i, "kU/L", actor=ADMIN)
        print(f"committed {sid} lab", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
