"""The demo: what `make demo` runs, step by step, on the embedded SQLite default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("autoserum"))


def run(*args: str) -> None:
    """Run one CLI command, echoing it first."""
    print(f"$ autoserum {' '.join(args)}", flush=True)
    subprocess.run([CLI, *args], check=True, cwd=ROOT)


def score_example() -> None:
    """Score the example EASI file (issue 2) and print the scored rows."""
    run("score", "easi", "--input", "examples/easi.csv")
    run("score", "easi", "--input", "examples/easi.csv", "--band-set", "chopra2017")


def main() -> None:
    run("version")
    score_example()


if __name__ == "__main__":
    main()
