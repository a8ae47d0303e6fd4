"""The demo: what `make demo` runs, step by step, on the embedded SQLite default."""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("autoserum"))
SCORAD_EXAMPLE = (
    '{"extent": 20, "erythema": 1, "edema": 1, "oozing": 0, "excoriation": 1, '
    '"lichenification": 1, "dryness": 1, "pruritus": 4, "sleeplessness": 2}'
)


def run(*args: str) -> None:
    """Run one CLI command, echoing it first."""
    print(f"$ autoserum {' '.join(args)}", flush=True)
    subprocess.run([CLI, *args], check=True, cwd=ROOT)


def score_example() -> None:
    """Score the example EASI file with the CLI (issue 2) and print the scored rows."""
    with tempfile.TemporaryDirectory() as tmp:
        target = str(Path(tmp) / "easi-scored.csv")
        run("score", "easi", "--input", "examples/easi.csv", "--output", target)
        with Path(target).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    print(f"{'subject':<8} {'visit':<9} {'age':>4} {'EASI':>5}  {'band':<13} reason")
    for row in rows:
        print(
            f"{row['subject_id']:<8} {row['visit']:<9} {row['age']:>4} {row['total']:>5}"
            f"  {row['band']:<13} {row['reason']}"
        )
    run("score", "scorad", "--json", SCORAD_EXAMPLE)


def main() -> None:
    run("version")
    score_example()


if __name__ == "__main__":
    main()
