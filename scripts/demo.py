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


def demo_protocols() -> None:
    """The protocol library and one subject's visit and injection calendar."""
    run("protocols")
    run("schedule", "asim-choi2024", "--start", "2026-03-02")


def main() -> None:
    run("version")
    demo_protocols()


if __name__ == "__main__":
    main()
