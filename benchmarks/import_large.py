"""Benchmark: a large tidy file imported by `autoserum import` (a separate process, SQLite file),
its wall time and its peak memory (the child's maximum resident set size).

Run: .venv/bin/python benchmarks/import_large.py [--rows 1000000] [--columns minimal|totals]
     [--bad-last-row]

``--bad-last-row`` puts an EASI of 80 on the last row: the import checks the whole file, then
refuses it naming that line, and writes nothing (the figure of the check phase alone).

The file: rows / 5 subjects × weeks 0, 2, 4, 8, 12; ``minimal`` has subject_id, arm, site, week
and the EASI total; ``totals`` adds SCORAD, DLQI and IgE. Values follow from the row number (no
randomness). Prints the rows, the seconds and the peak RSS, then the counts the CLI printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
WEEKS = (0, 2, 4, 8, 12)


def tidy_file(path: Path, rows: int, columns: str, *, bad_last_row: bool = False) -> None:
    """Write ``rows`` visit rows to ``path`` (CSV) without holding Python objects per row."""
    n_subjects = rows // len(WEEKS)
    i = pl.col("i")
    subject = i // len(WEEKS)
    exprs = [
        pl.format("L{}", subject.cast(pl.String).str.zfill(7)).alias("subject_id"),
        pl.when(subject % 2 == 0).then(pl.lit("serum")).otherwise(pl.lit("placebo")).alias("arm"),
        pl.format("s{}", (subject % 8).cast(pl.String)).alias("site"),
        (i % len(WEEKS)).replace_strict(dict(enumerate(WEEKS))).alias("week"),
        pl.when(pl.lit(bad_last_row) & (i == rows - 1))
        .then(pl.lit(80.0))
        .otherwise(((i * 7) % 720 / 10).round(1))
        .alias("easi"),
    ]
    if columns == "totals":
        exprs += [
            ((i * 13) % 1030 / 10).round(1).alias("scorad"),
            ((i * 3) % 31).alias("dlqi"),
            (100 + i % 900).alias("ige"),
        ]
    pl.LazyFrame({"i": pl.int_range(n_subjects * len(WEEKS), eager=True)}).select(exprs).sink_csv(
        path
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", choices=("minimal", "totals"), default="minimal")
    parser.add_argument("--bad-last-row", action="store_true")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "large.csv"
        start = time.perf_counter()
        tidy_file(path, args.rows, args.columns, bad_last_row=args.bad_last_row)
        print(f"file: {args.rows} rows, {path.stat().st_size / 1e6:.0f} MB, "
              f"written in {time.perf_counter() - start:.1f} s")  # fmt: skip
        url = f"sqlite:///{Path(tmp) / 'large.db'}"
        cli = str(Path(sys.executable).with_name("autoserum"))
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        start = time.perf_counter()
        done = subprocess.run(
            [
                cli,
                "import",
                str(path),
                "--db",
                url,
                "--study",
                "LARGE",
                "--protocol",
                "ast-nahm2023",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        took = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(done.stdout.strip() or done.stderr.strip()[-2000:])
        print(f"import: {args.rows} rows in {took:.1f} s ({args.rows / took:.0f} rows/s), "
              f"peak RSS {peak_kib / 1024:.0f} MiB, exit {done.returncode}")  # fmt: skip


if __name__ == "__main__":
    main()
