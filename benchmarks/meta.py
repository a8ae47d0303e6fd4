"""Benchmark of autoserum.meta, autoserum.evidence and autoserum.design; prints its figures.

    .venv/bin/python benchmarks/meta.py

Times (best of 3): rma REML + Q-profile CI on dat.bcg (k = 13) and on k = 1,000 synthetic studies,
`pool_analysis` over the whole registry, a sample size by power.t.test inversion, and the
throughput of the seeded Monte-Carlo power (Mann-Whitney via autoserum.stats; MMRM).
"""

from __future__ import annotations

import csv
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from autoserum.design import power_t_test, simulate_mmrm_power, simulate_power
from autoserum.evidence import load_registry, pool_analysis
from autoserum.meta import effects_from_rows, rma

ROOT = Path(__file__).resolve().parent.parent


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    with (ROOT / "tests/meta/reference/dat_bcg.csv").open(newline="") as fh:
        bcg = effects_from_rows(list(csv.DictReader(fh)))
    rng = np.random.default_rng(1)
    vi = rng.uniform(0.01, 0.2, 1000)
    yi = rng.normal(0.3, np.sqrt(vi + 0.05))
    reg = load_registry()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"date: {time.strftime('%Y-%m-%d')}")
    t = best_of(lambda: rma(bcg.yi, bcg.vi))
    print(f"rma REML + Q-profile, k = 13 (dat.bcg): {1e3 * t:.1f} ms")
    print(f"rma REML + Q-profile, k = 1000: {1e3 * best_of(lambda: rma(yi, vi)):.1f} ms")
    print(f"rma DL, k = 1000: {1e3 * best_of(lambda: rma(yi, vi, method='DL')):.1f} ms")
    t = best_of(lambda: [pool_analysis(reg, a) for a in reg.analyses])
    print(f"pool every registry analysis ({len(reg.analyses)}): {1e3 * t:.1f} ms")
    t = best_of(lambda: power_t_test("two_sample", delta=9.6, sd=10, power=0.9))
    print(f"sample size (power.t.test inversion): {1e3 * t:.2f} ms")
    t = best_of(lambda: simulate_power("mann_whitney", n=20, delta=8, sd=12, reps=2000, seed=1), 1)
    print(f"Mann-Whitney power, 2000 replicates of 20 + 20: {t:.2f} s ({2000 / t:.0f} reps/s)")
    t = best_of(
        lambda: simulate_mmrm_power(n=30, delta=8, sd=10, rho=0.5, dropout=0.2, reps=100, seed=1),
        1,
    )
    print(f"MMRM power, 100 replicates of 30 + 30 x 3 visits: {t:.2f} s ({100 / t:.1f} reps/s)")


if __name__ == "__main__":
    main()
