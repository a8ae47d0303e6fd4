"""Whole simulated trials per second for the design commands, before and after, paired
(issue 18, item 2).

``power protocol --protocol ast-nahm2023 --subjects 60 --test mmrm`` (target ≥ 700 trials/s on
one core) and ``power mmrm`` with 3 visits and 30 per arm (target ≥ 5,000/s), without and with
dropout. With ``--before
SRC`` (the ``src/`` folder of an older checkout, e.g. ``git worktree add /tmp/old <commit>``)
each measurement runs the old and the new code alternately in fresh processes limited to one
thread, and the speed-up is the median of the per-pair ratios. Trials per second are per CPU
second of the process (``time.process_time``): on a shared machine the wall clock also counts
the time other programs held the core.

Run: ``taskset -c 0 .venv/bin/python benchmarks/design.py [--before /tmp/old/src] [--pairs 3]
[--only "power protocol"]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "POLARS_MAX_THREADS": "1",
}

#: name -> (code timing `reps` trials and printing trials/s, reps after, reps before)
CASES = {
    "power protocol ast-nahm2023, 60 subjects, mmrm": (
        "from autoserum.design import simulate_protocol_power as f\n"
        "f('ast-nahm2023', n_subjects=60, endpoint='scorad', week=8, test='mmrm', reps=10, "
        "seed=1)\n"
        "t = time.process_time()\n"
        "f('ast-nahm2023', n_subjects=60, endpoint='scorad', week=8, test='mmrm', reps=REPS, "
        "seed=1)\n",
        1000,
        40,
    ),
    "power mmrm, 3 visits, 30 per arm": (
        "from autoserum.design import simulate_mmrm_power as f\n"
        "f(n=30, delta=5.0, sd=10.0, rho=0.5, reps=20, seed=1)\n"
        "t = time.process_time()\n"
        "f(n=30, delta=5.0, sd=10.0, rho=0.5, reps=REPS, seed=1)\n",
        20000,
        100,
    ),
    "power mmrm, 3 visits, 30 per arm, 20% dropout": (
        "from autoserum.design import simulate_mmrm_power as f\n"
        "f(n=30, delta=5.0, sd=10.0, rho=0.5, dropout=0.2, reps=20, seed=1)\n"
        "t = time.process_time()\n"
        "f(n=30, delta=5.0, sd=10.0, rho=0.5, dropout=0.2, reps=REPS, seed=1)\n",
        2000,
        100,
    ),
}


def trials_per_second(src: Path, code: str, reps: int) -> float:
    program = (
        "import time\n"
        + code.replace("REPS", str(reps))
        + f"print({reps} / (time.process_time() - t))"
    )
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="src/ of the version to compare against")
    parser.add_argument("--pairs", type=int, default=3, help="alternated runs per case")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, one thread per process")
    for name, (code, reps, reps_before) in CASES.items():
        if args.only not in name:
            continue
        after, before = [], []
        for _ in range(args.pairs):
            after.append(trials_per_second(SRC, code, reps))
            if args.before is not None:
                before.append(trials_per_second(args.before, code, reps_before))
        line = f"{name}: {statistics.median(after):,.0f} trials/s"
        if before:
            ratios = [a / b for a, b in zip(after, before, strict=True)]
            line += (
                f" (before {statistics.median(before):,.1f} trials/s; "
                f"speed-up per pair, median {statistics.median(ratios):,.1f}x)"
            )
        print(line)


if __name__ == "__main__":
    main()
