"""Time the test suite as `make pytest` runs it, and where its time goes by directory.

Runs `make pytest` itself, so the Makefile is the one owner of how the suite is run: its
pytest-xdist workers (``PYTEST_WORKERS``, default ``auto``: one per core, ``--dist loadscope``;
``--workers N`` here passes ``PYTEST_WORKERS=N``, ``0`` runs one process), one BLAS thread per
process and the services' environment. The pytest of this Python's environment is used
(``VENV``), with a JUnit XML report. Prints the wall and CPU time of the run, the load averages
before and after (the machine may be shared), and the summed test times per directory (setup,
call and teardown of each test, as pytest reports them), slowest first; ``--modules`` per test
module. ``--junit FILE`` summarises an existing report instead of running anything.

    .venv/bin/python benchmarks/suite.py                    # the whole suite, as make pytest
    .venv/bin/python benchmarks/suite.py --workers 0 tests/store tests/web
    .venv/bin/python benchmarks/suite.py --modules --junit report.xml
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _where(classname: str, *, modules: bool) -> str:
    parts = classname.split(".")
    if parts[:1] == ["tests"]:  # tests.web.test_x(.Class) -> tests/web (or tests/web/test_x.py)
        folders = [p for p in parts[1:] if not p[:1].isupper()]  # a test class is not a file
        if modules:
            return "/".join(["tests", *folders]) + ".py"
        return f"tests/{folders[0]}" if len(folders) > 1 else "tests (top level)"
    if parts[:1] == ["autoserum"] or parts[:2] == ["src", "autoserum"]:
        return "src/autoserum (doctests)"
    return parts[0] or "?"


def by_directory(junit: Path, *, modules: bool = False) -> dict[str, tuple[int, float]]:
    """``{directory: (tests, summed seconds)}`` of a pytest JUnit XML report (``modules``: per
    test module instead)."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for case in ET.parse(junit).getroot().iter("testcase"):
        where = _where(case.get("classname", ""), modules=modules)
        totals[where][0] += 1
        totals[where][1] += float(case.get("time", 0.0))
    return {k: (int(v[0]), v[1]) for k, v in totals.items()}


def report(junit: Path, *, modules: bool = False) -> None:
    rows = sorted(by_directory(junit, modules=modules).items(), key=lambda kv: -kv[1][1])
    width = max([28, *(len(where) for where, _ in rows)])
    print(f"{'module' if modules else 'directory':<{width}} {'tests':>6} {'summed s':>9}")
    for where, (count, seconds) in rows:
        print(f"{where:<{width}} {count:>6} {seconds:>9.1f}")
    print(f"{'all':<{width}} {sum(c for c, _ in dict(rows).values()):>6} "
          f"{sum(s for _, s in dict(rows).values()):>9.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="test paths (default: pytest's testpaths)")
    parser.add_argument(
        "--workers", help="PYTEST_WORKERS for make pytest (default: the Makefile's, auto)"
    )
    parser.add_argument("--modules", action="store_true", help="sum per test module")
    parser.add_argument("--junit", type=Path, help="summarise this JUnit XML report only")
    args = parser.parse_args()
    if args.junit:
        report(args.junit, modules=args.modules)
        return
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        pytest_args = ["-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *args.paths]
        command = [
            *("make", "--no-print-directory", "-C", str(ROOT), "pytest"),
            f"VENV={sys.prefix}",
            f"PYTEST_ARGS={shlex.join(pytest_args)}",
            *(() if args.workers is None else (f"PYTEST_WORKERS={args.workers}",)),
        ]
        print("$", shlex.join(command), flush=True)
        load_before = os.getloadavg()
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, check=False)
        wall = time.monotonic() - started
        load_after = os.getloadavg()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"pytest exit {done.returncode}; wall {wall:.0f} s, CPU {usage.ru_utime:.0f} s user "
              f"+ {usage.ru_stime:.0f} s system; load average before "
              f"{' '.join(f'{x:.1f}' for x in load_before)}, after "
              f"{' '.join(f'{x:.1f}' for x in load_after)}; {os.cpu_count()} CPUs")  # fmt: skip
        if junit.exists():  # not when pytest could not start
            report(junit, modules=args.modules)
        if done.returncode:
            sys.exit(done.returncode)


if __name__ == "__main__":
    main()
