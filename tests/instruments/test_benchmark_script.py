"""The benchmark script runs (on a tiny input; no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scoring.py"


def test_benchmark_script_prints_one_line_per_instrument() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--rows", "2000", "--scalar-rows", "50", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["easi", "scorad", "dlqi"]
