"""A writer for the crash test: streams committed writes and announces each one on stdout.

Run as ``python crash_writer.py URL``; it screens and randomises subjects and records a visit,
a lab and an adverse event for each, announcing ``committed <subject> <what>`` after every
commit, until it is killed.
"""

from __future__ import annotations

import sys

from autoserum.store import Actor, open_store

ADMIN = Actor("ada", "admin")
FACTS = {"atopic_dermatitis": True, "age": 30, "scorad": 40}


def main(url: str) -> None:
    store = open_store(url)
    store.create_study("CRASH", "ast-nahm2023", ADMIN, seed=5, allocation_n=10_000)
    store.add_site("CRASH", "s01", "Seoul", ADMIN)
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        sid = f"C{i:05d}"
        store.screen_subject("CRASH", "s01", sid, FACTS, ADMIN)
        print(f"committed {sid} subject", flush=True)
        store.randomise("CRASH", sid, ADMIN)
        print(f"committed {sid} randomised", flush=True)
        store.record_visit("CRASH", sid, "baseline", "2026-03-02", ADMIN)
        store.record_lab("CRASH", sid, "baseline", "ige", i, "kU/L", ADMIN)
        print(f"committed {sid} lab", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
