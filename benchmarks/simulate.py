"""Benchmark: simulate a large study with all visits and item-level data.

Target (issue 4): 1 000 000 subjects in at most 60 s and 8 GB on the 2-core machine.
Prints wall time, rows, columns and the peak resident memory of the process
(resource.getrusage; Linux reports kB).

Usage: .venv/bin/python benchmarks/simulate.py [PROTOCOL] [N_SUBJECTS] [--csv FILE]
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from autoserum.simulate import simulate_study
from autoserum.simulate._io import write_study


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    protocol = args[0] if args else "ast-nahm2023"
    n = int(args[1]) if len(args) > 1 else 1_000_000
    start = time.perf_counter()
    study = simulate_study(protocol, n, seed=1)
    elapsed = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    visits = study.visits
    print(
        f"simulate {protocol}: {n} subjects, {visits.height} visit rows x {visits.width} columns, "
        f"{study.adverse_events.height} adverse events in {elapsed:.1f} s; "
        f"peak RSS {peak_gb:.2f} GB",
        flush=True,
    )
    if "--csv" in sys.argv:
        out = Path(sys.argv[sys.argv.index("--csv") + 1])
        start = time.perf_counter()
        write_study(study, out)
        print(f"wrote {out} in {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
