"""CLI start-up against its yardsticks, side by side (issue 18, item 1).

Each pair of commands is run alternately (A B A B …, after a warm-up of each) and the ratio A/B
is taken pair by pair, so a machine whose speed drifts during the run moves both sides of a
ratio together. Per run it records the child's CPU time (user + system, from ``os.wait4``) and
its wall time; it prints the medians and the median of the per-pair ratios.

Targets: ``autoserum --version`` ≤ 10× ``python -c pass``; ``autoserum score easi --json ...``
no slower than ``Rscript -e 'library(nlme)'`` (skipped when R is absent).

Run: ``.venv/bin/python benchmarks/cli.py [--runs 15]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("autoserum"))
ZERO = {"erythema": 0, "induration": 0, "excoriation": 0, "lichenification": 0, "area": 0}
EASI = json.dumps(
    {
        "age": 34,
        "head_neck": {**ZERO, "erythema": 2, "induration": 1, "excoriation": 1, "area": 2},
        "upper_limbs": ZERO,
        "trunk": ZERO,
        "lower_limbs": ZERO,
    }
)


def _run(argv: list[str]) -> tuple[float, float]:
    """(cpu seconds, wall seconds) of one run of ``argv`` as a whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def paired(name: str, a: list[str], b: list[str], runs: int, target: float) -> dict[str, object]:
    """Run A and B alternately; medians and the median per-pair ratio A/B."""
    _run(a), _run(b)  # warm-up: file cache, .pyc
    rows = [(_run(a), _run(b)) for _ in range(runs)]
    cpu_ratio = statistics.median(ra[0] / rb[0] for ra, rb in rows)
    wall_ratio = statistics.median(ra[1] / rb[1] for ra, rb in rows)
    result = {
        "pair": name,
        "runs": runs,
        "a_cpu_s": statistics.median(ra[0] for ra, _ in rows),
        "b_cpu_s": statistics.median(rb[0] for _, rb in rows),
        "a_wall_s": statistics.median(ra[1] for ra, _ in rows),
        "b_wall_s": statistics.median(rb[1] for _, rb in rows),
        "ratio_cpu": cpu_ratio,
        "ratio_wall": wall_ratio,
        "target_ratio": target,
        "met": cpu_ratio <= target,
    }
    print(
        f"{name}: A {result['a_cpu_s']:.3f} s CPU ({result['a_wall_s']:.3f} s wall), "
        f"B {result['b_cpu_s']:.3f} s CPU ({result['b_wall_s']:.3f} s wall); "
        f"A/B per pair: CPU {cpu_ratio:.2f}x, wall {wall_ratio:.2f}x "
        f"(target <= {target:g}x: {'met' if result['met'] else 'NOT met'})"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="pairs per comparison")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} CPUs")
    version = [CLI, "--version"]
    if subprocess.run(version, capture_output=True, check=False).returncode != 0:
        version = [CLI, "version"]  # a CLI from before --version existed (the "before" figure)
    results = [
        paired(
            f"autoserum {version[1]} vs python -c pass",
            version,
            [sys.executable, "-c", "pass"],
            args.runs,
            10.0,
        ),
        paired(
            "autoserum --help vs python -c pass",
            [CLI, "--help"],
            [sys.executable, "-c", "pass"],
            args.runs,
            float("inf"),
        ),
    ]
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("Rscript not found: the score-vs-R comparison is skipped")
    else:
        results.append(
            paired(
                "autoserum score easi --json vs Rscript -e 'library(nlme)'",
                [CLI, "score", "easi", "--json", EASI],
                [rscript, "-e", "library(nlme)"],
                args.runs,
                1.0,
            )
        )
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
