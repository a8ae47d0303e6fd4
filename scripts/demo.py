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


#: The demo studies: (protocol, study name, enrolled subjects, seed). Sizes as published:
#: the ASIM pilot screened 25 (22 treated), the serum RCT randomised 23, the case report 1.
DEMO_STUDIES = (
    ("asim-choi2024", "asim-pilot", 25, 2024),
    ("ast-nahm2023", "serum-rct", 23, 2023),
    ("aaht-zhao2022", "case-report", 1, 2022),
)


def simulate_demo() -> None:
    """Generate the demo studies (synthetic, modelled on the published trials) into demo/.

    Until the store lands they are written as tidy long CSV files (``demo/<study>.csv`` and
    ``demo/<study>.ae.csv``); afterwards into ``demo/autoserum-demo.db``.
    """
    demo = ROOT / "demo"
    demo.mkdir(exist_ok=True)
    for protocol, study, n, seed in DEMO_STUDIES:
        out = demo / f"{study}.csv"
        run("simulate", protocol, "--subjects", str(n), "--seed", str(seed), "--out", str(out))


#: Protocol and analysis week of each demo study's report (the last post-baseline visit).
DEMO_REPORTS = {"asim-pilot": "asim-choi2024", "serum-rct": "ast-nahm2023"}


def demo_reports() -> None:
    """The study report (HTML + PDF) of each demo study, written to demo/<study>.html/.pdf."""
    demo = ROOT / "demo"
    for study, protocol in DEMO_REPORTS.items():
        run("report", str(demo / f"{study}.csv"), "--protocol", protocol, "--out", str(demo))


def score_example() -> None:
    """Score the example EASI file (issue 2) and print the scored rows."""
    run("score", "easi", "--input", "examples/easi.csv")
    run("score", "easi", "--input", "examples/easi.csv", "--band-set", "chopra2017")


def main() -> None:
    run("version")
    demo_protocols()
    score_example()
    simulate_demo()
    demo_reports()


if __name__ == "__main__":
    main()
