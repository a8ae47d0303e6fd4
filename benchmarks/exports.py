"""Benchmark: SDTM + ADaM export of a large simulated study (wall time and peak memory).

Run: .venv/bin/python benchmarks/exports.py [--subjects 10000] [--seed 1]

A study of ``ast-nahm2023`` with ``--subjects`` subjects is simulated and imported into a fresh
SQLite file (not timed); then, in one process, the export that ``autoserum export --format sdtm``
and ``--format adam`` run is timed phase by phase: reading every record (the data package's
rows), building and writing the SDTM domains (XPT v5 + define.xml), reading the tidy visit and
adverse-event frames and building and writing ADaM. Prints the seconds of each phase, the
total and the peak RSS of the process (the simulation and import included, so an upper bound).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from autoserum.analysis import adam_datasets, write_adam
from autoserum.simulate import simulate_study
from autoserum.store import Actor, open_store
from autoserum.study.cdisc import write_sdtm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    admin = Actor("bench", "admin")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        t0 = time.perf_counter()
        result = simulate_study("ast-nahm2023", args.subjects, args.seed)
        print(f"simulated {result.visits.height} visit rows in {time.perf_counter() - t0:.1f} s",
              flush=True)  # fmt: skip
        store = open_store(url)
        store.exports.import_long(
            "BENCH", result.visits, actor=admin, adverse_events=result.adverse_events,
            protocol="ast-nahm2023",
        )  # fmt: skip
        prepared = time.perf_counter() - t0
        print(f"imported in {prepared:.1f} s (simulation included)", flush=True)
        created = datetime.now(UTC)
        phases: dict[str, float] = {}
        t = time.perf_counter()
        content = store.exports.package("BENCH", actor=admin)
        phases["read every record"] = time.perf_counter() - t
        t = time.perf_counter()
        meta = content.descriptor["autoserum"]
        files = write_sdtm(meta["study"], content.rows, Path(tmp) / "sdtm", masked=False,
                           created=created)  # fmt: skip
        phases["SDTM build + XPT + define.xml"] = time.perf_counter() - t
        t = time.perf_counter()
        visits = store.exports.long("BENCH", actor=admin)
        adverse = store.exports.adverse_events("BENCH", actor=admin)
        phases["read tidy visits + AEs"] = time.perf_counter() - t
        t = time.perf_counter()
        frames = adam_datasets("BENCH", visits, adverse_events=adverse)
        adam = write_adam("BENCH", frames, Path(tmp) / "adam", created=created)
        phases["ADaM build + XPT + define.xml"] = time.perf_counter() - t
        store.close()
        size = sum(f.stat().st_size for f in [*files, *adam]) / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    records = sum(len(r) for r in content.rows.values())
    print(f"subjects {args.subjects}, records {records}, visit rows {visits.height}")
    print(f"simulate + import (not timed as export): {prepared:.1f} s")
    for name, seconds in phases.items():
        print(f"{name}: {seconds:.1f} s")
    total = sum(phases.values())
    print(f"export total: {total:.1f} s; files {size:.0f} MB; peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
