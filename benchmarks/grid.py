"""Design-grid scaling: the same grid on a local Dask cluster of 1 and of 2 workers, alternated
(issue 18, item 3; target ≥ 1.8× on a grid that takes ≥ 60 s on one worker).

Each run starts from an empty output folder (nothing to resume) and is timed from the start of
``run_grid`` to the written Parquet file, cluster start-up included. The results of the two runs
must be identical (they are checked here too).

Run: ``.venv/bin/python benchmarks/grid.py [--pairs 1] [--reps 250]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from autoserum.design import parse_grid, run_grid


def timed(grid_spec: dict[str, object], workers: int, folder: Path) -> tuple[float, pl.DataFrame]:
    out = folder / f"w{workers}-{time.monotonic_ns()}.parquet"
    start = time.perf_counter()
    run_grid(parse_grid(grid_spec), out, workers=workers)
    return time.perf_counter() - start, pl.read_parquet(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1, help="1-worker/2-worker runs alternated")
    parser.add_argument("--reps", type=int, default=250, help="trials per cell (4 cells)")
    args = parser.parse_args()
    spec: dict[str, object] = {
        "protocols": ["ast-nahm2023"],
        "subjects": [40, 60],
        "tests": ["welch_t", "ancova"],
        "endpoint": "scorad",
        "week": 8,
        "reps": args.reps,
        "chunk": 25,
        "seed": 1,
    }
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; grid {spec}")
    one, two = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for _ in range(args.pairs):
            t1, r1 = timed(spec, 1, folder)
            t2, r2 = timed(spec, 2, folder)
            if not r1.equals(r2):
                raise SystemExit("1 and 2 workers gave different results")
            one.append(t1)
            two.append(t2)
            print(f"1 worker {t1:.1f} s, 2 workers {t2:.1f} s: {t1 / t2:.2f}x", flush=True)
    ratios = [a / b for a, b in zip(one, two, strict=True)]
    print(
        f"median: 1 worker {statistics.median(one):.1f} s, 2 workers {statistics.median(two):.1f}"
        f" s, speed-up {statistics.median(ratios):.2f}x (target >= 1.8x); results identical"
    )


if __name__ == "__main__":
    main()
