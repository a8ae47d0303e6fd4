"""The demo: what `make demo` runs, step by step, on the embedded SQLite default.

Every step is a CLI command, echoed as ``$ autoserum ...`` and run in this one process (the
same code path as the installed command, without starting Python again for each), except the
last, which serves the web app until interrupted. ``--port`` chooses the web app's port
(default 8000, or the next free one, with a message).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import itertools
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from autoserum.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("autoserum"))
SCORAD_EXAMPLE = (
    '{"extent": 20, "erythema": 1, "edema": 1, "oozing": 0, "excoriation": 1, '
    '"lichenification": 1, "dryness": 1, "pruritus": 4, "sleeplessness": 2}'
)


STEPS = 10
_STEP = itertools.count(1)


def step(title: str, explanation: str) -> None:
    """A numbered step heading and one line saying what it shows."""
    print(f"\n== Step {next(_STEP)}/{STEPS}: {title} ==\n{explanation}", flush=True)


def run(*args: str) -> None:
    """Run one CLI command in this process, echoing it first; stop the demo if it fails."""
    print(f"$ autoserum {' '.join(args)}", flush=True)
    with contextlib.chdir(ROOT):
        try:
            cli_main(list(args))
        except SystemExit as done:
            if done.code not in (0, None):
                raise SystemExit(f"demo step failed: autoserum {' '.join(args)}") from None
    sys.stdout.flush()


#: The demo studies: (protocol, study name, enrolled subjects, seed). Sizes as published:
#: the ASIM pilot screened 25 (22 treated), the serum RCT randomised 23 (11 serum, 12 saline),
#: the case report 1. The seeds were picked so that the counts also match: 22 of 25 treated,
#: 10 + 10 subjects still in the serum RCT at week 8; the serum RCT's seed also so that, as
#: Nahm 2023 reports, serum beats saline on SCORAD at week 8, that the subject who left the
#: serum arm had a post-baseline visit (in the full analysis set, so that the tipping point of
#: its SAP has an imputed treated outcome to shift) and that both arms have a flare.
DEMO_STUDIES = (
    ("asim-choi2024", "asim-pilot", 25, 2025),
    ("ast-nahm2023", "serum-rct", 23, 2188),
    ("aaht-zhao2022", "case-report", 1, 2022),
)


DEMO_DB = ROOT / "demo" / "autoserum-demo.db"

#: The rate of serious adverse events the demo simulates, per subject-year: **illustrative**,
#: ten times the simulation's assumption (0.15, ``docs/simulate.md``), so that the demo's small
#: studies (25, 23 and 1 subjects over a few months) have serious events to show on the SAE
#: dashboard, listing and report; at 0.15 they would have none. At 1.5 the serum RCT's seed
#: gives five (one not yet reported: overdue on the dashboard; one reported late), the ASIM
#: pilot's three (one ongoing) and the case report's two; every one is drawn by the generator
#: and recorded through the store's own services with its 24-hour clock and follow-up.
DEMO_SERIOUS_PER_YEAR = 1.5


def simulate_demo() -> None:
    """Generate the demo studies (synthetic, modelled on the published trials) through the CLI
    into the demo SQLite database ``demo/autoserum-demo.db``, and the same data as tidy long
    files ``demo/<study>.csv`` (+ ``.ae.csv``) for the steps that read files.

    It starts the demo database afresh (the studies are created by the import), so it runs
    before any step that writes into that database.
    """
    step(
        "Synthetic studies",
        "Three studies modelled on the published trials (synthetic subjects), loaded into the "
        "demo database and written as tidy CSV files. Serious adverse events at an "
        f"illustrative {DEMO_SERIOUS_PER_YEAR:g} per subject-year (the simulation assumes "
        "0.15; the demo's studies are too small to show any at that rate).",
    )
    demo = DEMO_DB.parent
    demo.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        DEMO_DB.with_name(DEMO_DB.name + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{DEMO_DB}"
    for protocol, study, n, seed in DEMO_STUDIES:
        common = ["simulate", protocol, "--subjects", str(n), "--seed", str(seed)]
        common += ["--serious-per-year", format(DEMO_SERIOUS_PER_YEAR, "g")]
        run(*common, "--db", url, "--study", study)
        run(*common, "--out", str(demo / f"{study}.csv"))
    show_serious(url)
    print(
        f"conduct of {CONDUCT_STUDY} through the store: {len(SCREEN_FAILURES)} screen failures, "
        "withdrawals with their reasons, completions",
        flush=True,
    )
    conduct_demo(url)


#: The serum RCT's screening beyond its 23 randomised subjects (facts typed at screening; a
#: reason when the candidate was eligible), and the reasons given by the subjects who left
#: before the last visit, in turn. Synthetic, so that the CONSORT diagram of the demo report
#: shows each kind of exclusion: by failed eligibility rule, declined, other.
SCREEN_FAILURES = (
    ("AST-S01", {"atopic_dermatitis": True, "scorad": 18, "age": 31}, None),
    ("AST-S02", {"atopic_dermatitis": True, "scorad": 22, "age": 44}, None),
    ("AST-S03", {"atopic_dermatitis": False, "scorad": 41, "age": 27}, None),
    ("AST-S04", {"atopic_dermatitis": True, "scorad": 38, "age": 35}, "declined to participate"),
    ("AST-S05", {"atopic_dermatitis": True, "scorad": 47, "age": 52}, "moved abroad"),
)
WITHDRAWAL_REASONS = ("lost to follow-up", "adverse event (injection-site reaction)")
CONDUCT_STUDY = "serum-rct"


def conduct_demo(url: str, study: str = CONDUCT_STUDY) -> None:
    """Record the serum RCT's conduct in the demo database through the store (audited, as the
    web app's forms do): the screen failures of :data:`SCREEN_FAILURES`, the withdrawal of
    every subject without a value at the last planned visit (reasons from
    :data:`WITHDRAWAL_REASONS` in turn) and the completion of the others."""
    from autoserum.store import Actor, open_store

    actor = Actor("demo", "admin")
    store = open_store(url, create=False)
    try:
        subjects = store.subjects.all(study, actor=actor)
        visits = store.exports.long(study, actor=actor)
        last = visits["week"].max()
        finished = set(visits.filter(visits["week"] == last)["subject_id"].to_list())
        first = visits["visit_date"].drop_nulls().min()
        site = subjects[0].site
        record_history(store, study, subjects, year=first.year)
        for subject_id, facts, reason in SCREEN_FAILURES:
            store.subjects.screen(study, site, subject_id, facts, actor=actor, screened_on=first)
            store.subjects.transition(
                study, subject_id, "screen_failed", actor=actor, reason=reason or "not eligible"
            )
        reasons = itertools.cycle(WITHDRAWAL_REASONS)
        for subj in subjects:
            if subj.subject_id not in finished:
                store.subjects.withdraw(study, subj.subject_id, actor=actor, reason=next(reasons))
                continue
            for status in ("treatment", "follow_up", "completed"):
                store.subjects.transition(study, subj.subject_id, status, actor=actor)
        record_vitals(store, study, visits.filter(visits["subject_id"].is_in(sorted(finished))))
    finally:
        store.close()


def show_serious(url: str) -> None:
    """Each demo study's serious adverse events as the store holds them (generated at the
    illustrative :data:`DEMO_SERIOUS_PER_YEAR`): the term, when the site became aware, and its
    24-hour clock now (reported in time, late, or overdue: the dashboard's alert)."""
    from autoserum.store import Actor, open_store
    from autoserum.study.safety import sae_clock

    actor = Actor("demo", "admin")
    now = dt.datetime.now(dt.UTC)
    store = open_store(url, create=False)
    try:
        for _, study, _, _ in DEMO_STUDIES:
            events = store.records.serious_events(study, actor=actor)
            print(
                f"{study}: {len(events)} serious adverse events "
                f"(illustrative rate {DEMO_SERIOUS_PER_YEAR:g} per subject-year)",
                flush=True,
            )
            for e in events:
                if e.aware_at is None:
                    continue
                clock = sae_clock(e.aware_at, reported_at=e.reported_at, now=now)
                state = (
                    "not reported: overdue"
                    if clock.reported_at is None and clock.overdue
                    else "not reported yet"
                    if clock.reported_at is None
                    else "reported late"
                    if clock.overdue
                    else "reported within 24 h"
                )
                ended = "ongoing" if e.end_date is None else f"ended {e.end_date}"
                print(
                    f"  {e.subject_id} {e.term}: aware {e.aware_at:%Y-%m-%d %H:%M} UTC, "
                    f"{state}; {ended}, version {e.version}",
                    flush=True,
                )
    finally:
        store.close()


def record_history(store: Any, study: str, subjects: Any, *, year: int) -> None:
    """Every enrolled subject's demographics, age at onset of AD, atopic comorbidities and
    previous systemic treatments (simulated, seeded: ``autoserum.simulate.simulate_history``),
    recorded through the store as the subject page's forms do, so that the subject pages,
    SDTM DM/MH/CM and the report's baseline table of the demo show them."""
    import polars as pl

    from autoserum.simulate import simulate_history
    from autoserum.store import Actor

    actor = Actor("demo", "admin")
    ages = pl.DataFrame(
        {"subject_id": [s.subject_id for s in subjects],
         "age": [None if s.age is None else float(s.age) for s in subjects]},
        schema={"subject_id": pl.String, "age": pl.Float64},
    )  # fmt: skip
    history = simulate_history(ages, seed=20261202, year=year)
    for row in history.subjects.iter_rows(named=True):
        subject_id = row.pop("subject_id")
        store.records.record_history(study, subject_id, actor=actor, **row)
    for row in history.comorbidities.iter_rows(named=True):
        store.records.add_comorbidity(study, row.pop("subject_id"), actor=actor, **row)
    for row in history.prior_treatments.iter_rows(named=True):
        store.records.add_prior_treatment(study, row.pop("subject_id"), actor=actor, **row)


def record_vitals(store: Any, study: str, visits: Any) -> None:
    """The vital signs of every visit of the subjects who finished (simulated, seeded:
    ``autoserum.simulate.simulate_vital_signs``), recorded through the store as the subject
    page's form does, so that the subject pages and SDTM VS of the demo show them."""
    from autoserum.simulate import simulate_vital_signs
    from autoserum.store import Actor

    actor = Actor("demo", "admin")
    done = visits.filter(visits["visit_date"].is_not_null()).select("subject_id", "visit")
    for row in simulate_vital_signs(done, seed=20261202).iter_rows(named=True):
        subject_id, visit = row.pop("subject_id"), row.pop("visit")
        signs = {k: v for k, v in row.items() if v is not None}
        store.records.add_vital_signs(study, subject_id, visit, actor=actor, **signs)


def score_example() -> None:
    """Score the example EASI file with the CLI (issue 2) and print the scored rows."""
    step(
        "Scoring instruments",
        "A file of EASI assessments scored exactly (bands, and why a row cannot be scored), "
        "then one SCORAD from JSON.",
    )
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
    step(
        "Protocols as data",
        "The protocol library, then one subject's visit and injection calendar with windows.",
    )
    run("protocols")
    run("schedule", "asim-choi2024", "--start", "2026-03-02")


#: The demo studies whose report `make demo` writes (all of them; the one-subject case report
#: shows its descriptive tables and notes where a test needs more subjects).
DEMO_REPORTS = tuple(study for _, study, _, _ in DEMO_STUDIES)


#: The statistical analysis plan each demo report runs (the serum RCT's: estimands, MMRM with
#: Kenward-Roger df, MI under jump to reference, a tipping point, time to first flare,
#: subgroups; docs/sap.md).
DEMO_SAPS = {"serum-rct": "examples/sap-ast-nahm2023.toml"}


def demo_reports() -> None:
    """The study report (HTML + PDF) of each demo study, read from the demo database (the
    protocol comes from the study record), written to ``demo/<study>.html`` and ``.pdf``.
    Each database is locked first (with the hash of its analysis plan): the whole study is
    unblinded for analysis only after the database lock."""
    step(
        "Study reports",
        "Each demo study's database locked, then analysed from the database and reported as "
        "HTML and PDF in demo/.",
    )
    url = f"sqlite:///{DEMO_DB}"
    for study in DEMO_REPORTS:
        plan = DEMO_SAPS.get(study)
        sap = ("--sap", plan) if plan else ()
        run("study", "lock", study, "--reason", "demo: data final", *sap, "--db", url)
        run("report", "--db", url, "--study", study, *sap, "--out", str(DEMO_DB.parent))


def store_demo() -> None:
    """Import a small synthetic study into SQLite, export it blinded, show a subject's audit."""
    step(
        "The study store",
        "A small study imported into SQLite, exported blinded (no arms), and one subject's "
        "audit trail.",
    )
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
    step(
        "The published evidence",
        "The curated registry of autologous-therapy trials in AD, pooled where the data allow.",
    )
    run("evidence", "--condition", "AD")
    step(
        "How certain the evidence is",
        "GRADE summary of findings: two small AD trials each reporting benefit on its own scale,"
        " certainty very low (risk of bias, inconsistency, imprecision, publication bias).",
    )
    run("evidence", "grade")
    step(
        "A meta-analysis (metafor's example data)",
        "metafor's example data set dat.bcg (BCG vaccine trials, Colditz et al. 1994), not AD "
        "data: random-effects RR with Hartung-Knapp, as metafor::rma(measure = 'RR').",
    )
    run("meta", "tests/meta/reference/dat_bcg.csv", "--measure", "RR", "--method", "REML", "--hk")
    step(
        "Sizing the next trial",
        "Subjects per arm for 90% power to detect a SASSAD difference of 9.6 (SD 10), as R's "
        "power.t.test.",
    )
    run("power", "two-sample", "--delta", "9.6", "--sd", "10", "--power", "0.9")


def free_port(wanted: int) -> int:
    """``wanted`` if nothing listens there on 127.0.0.1, else the next free port (with a
    message)."""
    for port in range(wanted, min(wanted + 100, 65536)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port != wanted:
            print(f"port {wanted} is in use: the web app will listen on {port} instead", flush=True)
        return port
    raise SystemExit(f"no free port from {wanted} to {wanted + 99}: choose one with --port")


def run_quietly(args: list[str], stdin: str) -> int:
    """Run one CLI command in this process with ``stdin`` as its standard input and its output
    kept from the screen; its exit code."""
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with (
            contextlib.chdir(ROOT),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            cli_main(args)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    finally:
        sys.stdin = saved
    return 0


def demo_login() -> tuple[str, str]:
    """A demo admin login on demo/autoserum-demo.db with a password generated for this run
    (printed, never stored in the repository)."""
    url = f"sqlite:///{DEMO_DB}"
    username = "demo-admin"
    password = secrets.token_urlsafe(12)
    add = ["user", "add", username, "--role", "admin", "--password-stdin", "--db", url]
    print(f"$ autoserum {' '.join(add)}", flush=True)
    if run_quietly(add, password + "\n") != 0:  # the login exists from an earlier demo
        passwd = ["user", "passwd", username, "--password-stdin", "--db", url]
        if run_quietly(passwd, password + "\n") != 0:
            raise SystemExit(f"demo step failed: autoserum {' '.join(passwd)}")
    return username, password


def summary(port: int, username: str, password: str, seconds: float) -> None:
    """What the demo wrote where, and how to log in."""
    demo = DEMO_DB.parent.relative_to(ROOT)
    studies = ", ".join(study for _, study, _, _ in DEMO_STUDIES)
    print(
        f"""
== Done in {seconds:.0f} s: what the demo wrote ==
  {demo}/autoserum-demo.db        the demo database (SQLite): studies {studies}
  {demo}/<study>.csv, .ae.csv     the same studies as tidy long files (visits, adverse events)
  {demo}/<study>.html, .pdf       the study reports
  Serious adverse events are simulated at an illustrative {DEMO_SERIOUS_PER_YEAR:g} per subject-year
  (the simulation's assumption is 0.15), so the SAE dashboard alert, listing and reports
  have some to show; one of the serum RCT's is overdue.
  {demo}/store.db                 the store step's study DEMO-AST; its blinded export is
  {demo}/store-export-blinded.csv
  The command-line tool is .venv/bin/autoserum (every command has --help with an example).

  Web app: http://127.0.0.1:{port}/   log in as {username} / {password}
  (the password was generated for this run only; Ctrl-C stops the server)
""",
        flush=True,
    )


def serve_web_demo(port: int, started: float) -> None:
    """The last step: a demo login on demo/autoserum-demo.db, then the web app on ``port``.

    Set ``AUTOSERUM_DEMO_SERVE=0`` to create the login without serving (scripted runs).
    """
    step(
        "The web application",
        "A demo admin login for the demo database, then the web app (pages and /api/v1).",
    )
    username, password = demo_login()
    summary(port, username, password, time.monotonic() - started)
    if os.environ.get("AUTOSERUM_DEMO_SERVE", "1") == "0":
        return
    url = f"sqlite:///{DEMO_DB}"
    argv = [
        "serve",
        "--db",
        url,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-format",
        "text",
    ]
    print(f"$ autoserum {' '.join(argv)}", flush=True)
    try:
        subprocess.run([CLI, *argv], check=True, cwd=ROOT)
    except KeyboardInterrupt:
        print("\ndemo server stopped.", flush=True)
    except subprocess.CalledProcessError as stopped:
        if stopped.returncode >= 0:  # the server failed on its own: that is an error
            raise
        print("\ndemo server stopped.", flush=True)  # ended by a signal (Ctrl-C, kill)


def main() -> None:
    parser = argparse.ArgumentParser(description="The autoserum demo (make demo).")
    parser.add_argument(
        "--port", type=int, default=8000, help="web app port (default 8000, or the next free)"
    )
    args = parser.parse_args()
    if not 1 <= args.port <= 65535:
        parser.error(f"--port: got {args.port}; expected a TCP port 1-65535")
    started = time.monotonic()
    port = free_port(args.port)
    print(
        "autoserum demo: synthetic studies, scoring, protocols, reports, store, evidence, web app"
    )
    run("--version")
    simulate_demo()
    score_example()
    demo_protocols()
    demo_reports()
    store_demo()
    demo_evidence()
    serve_web_demo(port, started)  # the last step: it serves the web app until interrupted


if __name__ == "__main__":
    main()
