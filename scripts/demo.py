"""The demo: what `make demo` runs, step by step, on the embedded SQLite default."""

from __future__ import annotations

import csv
import os
import secrets
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


#: The demo studies: (protocol, study name, enrolled subjects, seed). Sizes as published:
#: the ASIM pilot screened 25 (22 treated), the serum RCT randomised 23 (11 serum, 12 saline),
#: the case report 1. The seeds were picked so that the counts also match: 22 of 25 treated,
#: 10 + 10 subjects still in the serum RCT at week 8.
DEMO_STUDIES = (
    ("asim-choi2024", "asim-pilot", 25, 2025),
    ("ast-nahm2023", "serum-rct", 23, 2024),
    ("aaht-zhao2022", "case-report", 1, 2022),
)


DEMO_DB = ROOT / "demo" / "autoserum-demo.db"


def simulate_demo() -> None:
    """Generate the demo studies (synthetic, modelled on the published trials) through the CLI
    into the demo SQLite database ``demo/autoserum-demo.db``, and the same data as tidy long
    files ``demo/<study>.csv`` (+ ``.ae.csv``) for the steps that read files.

    It starts the demo database afresh (the studies are created by the import), so it runs
    before any step that writes into that database.
    """
    demo = DEMO_DB.parent
    demo.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        DEMO_DB.with_name(DEMO_DB.name + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{DEMO_DB}"
    for protocol, study, n, seed in DEMO_STUDIES:
        common = ["simulate", protocol, "--subjects", str(n), "--seed", str(seed)]
        run(*common, "--db", url, "--study", study)
        run(*common, "--out", str(demo / f"{study}.csv"))


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


def demo_protocols() -> None:
    """The protocol library and one subject's visit and injection calendar."""
    run("protocols")
    run("schedule", "asim-choi2024", "--start", "2026-03-02")


#: The demo studies whose report `make demo` writes (all of them; the one-subject case report
#: shows its descriptive tables and notes where a test needs more subjects).
DEMO_REPORTS = tuple(study for _, study, _, _ in DEMO_STUDIES)


def demo_reports() -> None:
    """The study report (HTML + PDF) of each demo study, read from the demo database (the
    protocol comes from the study record), written to ``demo/<study>.html`` and ``.pdf``."""
    url = f"sqlite:///{DEMO_DB}"
    for study in DEMO_REPORTS:
        run("report", "--db", url, "--study", study, "--out", str(DEMO_DB.parent))


def store_demo() -> None:
    """Import a small synthetic study into SQLite, export it blinded, show a subject's audit."""
    out = ROOT / "demo"
    out.mkdir(exist_ok=True)
    db = out / "store.db"
    for stale in (db, db.with_name("store.db-wal"), db.with_name("store.db-shm")):
        stale.unlink(missing_ok=True)
    visits = out / "store-visits.csv"
    rows = ["subject_id,arm,site,week,visit,age,sex,scorad,dlqi,eosinophils"]
    for i in range(1, 7):
        arm = "serum" if i % 2 else "placebo"
        for week, visit in ((0, "baseline"), (4, "week_4"), (8, "week_8")):
            scorad = 45 - week * (1.5 if arm == "serum" else 0.5) + i
            rows.append(
                f"D{i:02d},{arm},s01,{week},{visit},{20 + 3 * i},F,{scorad},{12 - week // 4},0.{i}"
            )
    visits.write_text("\n".join(rows) + "\n", encoding="utf-8")
    url = f"sqlite:///{db}"
    run("import", str(visits), "--db", url, "--study", "DEMO-AST", "--protocol", "ast-nahm2023")
    blinded = out / "store-export-blinded.csv"
    run("export", "--db", url, "--study", "DEMO-AST", "--blinded", "--out", str(blinded))
    print(blinded.read_text(encoding="utf-8").splitlines()[0], flush=True)
    run("audit", "--db", url, "--subject", "D01")


def demo_evidence() -> None:
    """The evidence registry pooled for AD, a metafor example, and a sample size."""
    run("evidence", "--condition", "AD")
    run("meta", "tests/meta/reference/dat_bcg.csv", "--measure", "RR", "--method", "REML", "--hk")
    run("power", "two-sample", "--delta", "9.6", "--sd", "10", "--power", "0.9")


def serve_web_demo() -> None:
    """The last step: a demo login on demo/autoserum-demo.db, then the web app on :8000.

    The password is generated now and printed, never stored in the repository. Set
    ``AUTOSERUM_DEMO_SERVE=0`` to create the login without serving (scripted runs).
    """
    db = ROOT / "demo" / "autoserum-demo.db"
    db.parent.mkdir(exist_ok=True)
    url = f"sqlite:///{db}"
    username = "demo-admin"
    password = secrets.token_urlsafe(12)
    print(f"$ autoserum user add {username} --role admin --password-stdin --db {url}", flush=True)
    added = subprocess.run(
        [CLI, "user", "add", username, "--role", "admin", "--password-stdin", "--db", url],
        input=password + "\n",
        text=True,
        cwd=ROOT,
        capture_output=True,
    )
    if added.returncode != 0:  # the login exists from an earlier demo: give it a new password
        subprocess.run(
            [CLI, "user", "passwd", username, "--password-stdin", "--db", url],
            input=password + "\n",
            text=True,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    print(
        "\n  autoserum web app: http://127.0.0.1:8000/\n"
        f"  demo login: username {username}  password {password}\n"
        "  (this password was generated for this demo run only)\n",
        flush=True,
    )
    if os.environ.get("AUTOSERUM_DEMO_SERVE", "1") != "0":
        try:
            run("serve", "--db", url, "--host", "127.0.0.1", "--port", "8000")
        except KeyboardInterrupt:
            print("\ndemo server stopped.", flush=True)
        except subprocess.CalledProcessError as stopped:
            if stopped.returncode >= 0:  # the server failed on its own: that is an error
                raise
            print("\ndemo server stopped.", flush=True)  # ended by a signal (Ctrl-C, kill)


def main() -> None:
    run("version")
    simulate_demo()
    score_example()
    demo_protocols()
    demo_reports()
    store_demo()
    demo_evidence()
    serve_web_demo()  # the last step: it serves the web app until interrupted


if __name__ == "__main__":
    main()
