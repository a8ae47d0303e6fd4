"""Benchmark: how long each write transaction of an import holds the write lock (issue 11 item 5).

Imports ``--existing`` subjects into study BULK, then ``--subjects`` more into the same (now
existing) study, in this process, through the CLI's ``import`` command on a fresh SQLite file,
and times every write transaction of the second import (the importer's ``_Run._timed``: the
batches into the hidden staging study, then the publication, the last one). Prints the count,
the publication's time, the longest batch and the whole import's time. The data are those of
``benchmarks/import_concurrency.py`` (subjects × weeks 0, 2, 4, 8, 12 with EASI, SCORAD, DLQI and
IgE).

Run: .venv/bin/python benchmarks/import_transactions.py [--subjects 3000] [--existing 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import autoserum.store._importer as importer
from autoserum.cli import app
from import_concurrency import tidy_file


def _cli(*args: str) -> None:
    try:
        app(list(args), standalone_mode=False)
    except SystemExit as exit_:
        if exit_.code:
            raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=3000)
    parser.add_argument("--existing", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        url = f"sqlite:///{d / 'bench.db'}"
        tidy_file(d / "existing.csv", args.existing, prefix="E")
        rows = tidy_file(d / "import.csv", args.subjects, prefix="I")
        _cli("import", str(d / "existing.csv"), "--db", url, "--study", "BULK",
             "--protocol", "ast-nahm2023")  # fmt: skip
        original = importer._Run._timed
        took: list[float] = []

        @contextmanager
        def timed(run: importer._Run) -> Iterator[object]:
            start = time.perf_counter()
            with original(run) as s:
                yield s
            took.append(time.perf_counter() - start)

        importer._Run._timed = timed  # type: ignore[method-assign,assignment]
        start = time.perf_counter()
        _cli("import", str(d / "import.csv"), "--db", url, "--study", "BULK")
        total = time.perf_counter() - start
    print(f"{platform.node()} {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(
        f"import of {args.subjects} subjects ({rows} rows) into an existing study of "
        f"{args.existing}: {len(took)} write transactions; publication {took[-1] * 1000:.0f} ms; "
        f"longest batch {max(took[:-1]) * 1000:.0f} ms; whole import {total:.2f} s"
    )


if __name__ == "__main__":
    main()
