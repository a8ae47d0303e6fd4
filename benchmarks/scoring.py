"""Batch scoring throughput for EASI, SCORAD and DLQI, and the speed-up over the scalar path.

Usage: python benchmarks/scoring.py [--rows 10000000] [--scalar-rows 20000] [--repeat 3]

Synthetic, seeded assessments (every item present and valid) are scored with
``score_batch`` on one core (Polars limited to one thread); the best of ``--repeat`` runs is
reported, as wall-clock time and as the process's CPU time (on a machine shared with other
jobs the CPU time is the fairer figure). The scalar path (``score`` on one assessment at a
time) is timed on ``--scalar-rows`` assessments and extrapolated linearly to ``--rows``.
"""

from __future__ import annotations

import os

os.environ["POLARS_MAX_THREADS"] = "1"  # one core: set before Polars is imported

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from autoserum.instruments import get_instrument, score, score_batch
from autoserum.instruments.dlqi import QUESTIONS
from autoserum.instruments.easi import REGIONS, SIGNS
from autoserum.instruments.scorad import INTENSITY

EASI_SIGNS = np.array([0, 1, 1.5, 2, 2.5, 3])


def easi_frame(n: int, rng: np.random.Generator) -> pl.DataFrame:
    columns: dict[str, Any] = {"age": np.round(rng.uniform(2, 80, n), 1)}
    for region in REGIONS:
        for sign in SIGNS:
            columns[f"{region}_{sign}"] = EASI_SIGNS[rng.integers(0, 6, n)]
        columns[f"{region}_area"] = rng.integers(0, 7, n)
    return pl.DataFrame(columns)


def scorad_frame(n: int, rng: np.random.Generator) -> pl.DataFrame:
    columns: dict[str, Any] = {"extent": rng.integers(0, 1001, n) / 10}
    for sign in INTENSITY:
        columns[sign] = rng.integers(0, 4, n)
    columns["pruritus"] = rng.integers(0, 101, n) / 10
    columns["sleeplessness"] = rng.integers(0, 101, n) / 10
    return pl.DataFrame(columns)


def dlqi_frame(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """Answer codes as text, as read from a CSV file; q7 = yes/not_relevant (no q7b)."""
    codes = ["very_much", "a_lot", "a_little", "not_at_all"]
    columns: dict[str, pl.Series] = {}
    for q in QUESTIONS:
        choices = ["yes", "not_relevant"] if q == "q7" else codes
        index = pl.Series(rng.integers(0, len(choices), n).astype(np.uint8))
        columns[q] = index.cat.to(pl.Enum(choices)).cast(pl.String)
    return pl.DataFrame(columns)


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--scalar-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(20261121)
    print(
        f"batch: {args.rows:,} synthetic assessments per instrument, one core (Polars 1 thread),"
        f" best of {args.repeat}; scalar: {args.scalar_rows:,} assessments, extrapolated"
    )
    header = (
        f"{'instrument':<10} {'batch wall s':>12} {'batch cpu s':>11} {'per s (wall)':>14}"
        f" {'per s (cpu)':>14} {'scalar µs':>10} {'speed-up wall':>13} {'speed-up cpu':>12}"
    )
    print(header)
    for code, build in (("easi", easi_frame), ("scorad", scorad_frame), ("dlqi", dlqi_frame)):
        frame = build(args.rows, rng)
        wall, cpu = timed(lambda code=code, frame=frame: score_batch(code, frame), args.repeat)
        sample = frame.head(args.scalar_rows)
        inst = get_instrument(code)
        payloads = [inst.unflatten(row) for row in sample.iter_rows(named=True)]
        scalar_wall, scalar_cpu = timed(
            lambda code=code, payloads=payloads: [score(code, p) for p in payloads], 1
        )
        per_scalar = scalar_cpu / len(payloads)
        extrapolated_wall = scalar_wall / len(payloads) * args.rows
        print(
            f"{code:<10} {wall:>12.2f} {cpu:>11.2f} {args.rows / wall:>14,.0f}"
            f" {args.rows / cpu:>14,.0f} {per_scalar * 1e6:>10.1f}"
            f" {extrapolated_wall / wall:>12,.0f}× {per_scalar * args.rows / cpu:>11,.0f}×"
        )
        del frame, sample, payloads
        gc.collect()


if __name__ == "__main__":
    main()
