"""Time the test suite as `make pytest` runs it, and where its time goes by directory.

Runs pytest (one BLAS thread per process, as the Makefile does; with ``--workers N`` spread over
N pytest-xdist processes, ``--dist loadscope``, if pytest-xdist is installed) with a JUnit XML
report, and prints the wall and CPU time of the run, the load averages before
and after (the machine may be shared), and the summed test times per directory (setup, call and
teardown of each test, as pytest reports them), slowest first. ``--junit FILE`` summarises an
existing report instead of running anything.

    .venv/bin/python benchmarks/suite.py                    # the whole suite, one process
    .venv/bin/python benchmarks/suite.py --workers 2 tests/store tests/web
    .venv/bin/python benchmarks/suite.py --junit report.xml
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def by_directory(junit: Path) -> dict[str, tuple[int, float]]:
    """``{directory: (tests, summed seconds)}`` of a pytest JUnit XML report."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for case in ET.parse(junit).getroot().iter("testcase"):
        parts = case.get("classname", "").split(".")
        if parts[:1] == ["tests"] and len(parts) > 2:  # tests.web.test_x(.Class) -> tests/web
            where = f"tests/{parts[1]}"
        elif parts[:1] == ["tests"]:
            where = "tests (top level)"
        elif parts[:1] == ["autoserum"] or parts[:2] == ["src", "autoserum"]:
            where = "src/autoserum (doctests)"
        else:
            where = parts[0] or "?"
        totals[where][0] += 1
        totals[where][1] += float(case.get("time", 0.0))
    return {k: (int(v[0]), v[1]) for k, v in totals.items()}


def report(junit: Path) -> None:
    rows = sorted(by_directory(junit).items(), key=lambda kv: -kv[1][1])
    print(f"{'directory':<28} {'tests':>6} {'summed s':>9}")
    for where, (count, seconds) in rows:
        print(f"{where:<28} {count:>6} {seconds:>9.1f}")
    print(f"{'all':<28} {sum(c for c, _ in dict(rows).values()):>6} "
          f"{sum(s for _, s in dict(rows).values()):>9.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="test paths (default: pytest's testpaths)")
    parser.add_argument("--workers", default="0", help="pytest-xdist -n (0: one process)")
    parser.add_argument("--junit", type=Path, help="summarise this JUnit XML report only")
    args = parser.parse_args()
    if args.junit:
        report(args.junit)
        return
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        command = [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            f"--junitxml={junit}",
            *(() if args.workers == "0" else ("-n", args.workers, "--dist", "loadscope")),
            *args.paths,
        ]
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        load_before = os.getloadavg()
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=env, check=False)
        wall = time.monotonic() - started
        load_after = os.getloadavg()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"pytest exit {done.returncode}; wall {wall:.0f} s, CPU {usage.ru_utime:.0f} s user "
              f"+ {usage.ru_stime:.0f} s system; load average before "
              f"{' '.join(f'{x:.1f}' for x in load_before)}, after "
              f"{' '.join(f'{x:.1f}' for x in load_after)}; {os.cpu_count()} CPUs")  # fmt: skip
        report(junit)
        if done.returncode:
            sys.exit(done.returncode)


if __name__ == "__main__":
    main()
