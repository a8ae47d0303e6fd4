"""The demo: what `make demo` runs, step by step, on the embedded SQLite default."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("autoserum"))


def run(*args: str) -> None:
    """Run one CLI command, echoing it first."""
    print(f"$ autoserum {' '.join(args)}", flush=True)
    subprocess.run([CLI, *args], check=True, cwd=ROOT)


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
        run("serve", "--db", url, "--host", "127.0.0.1", "--port", "8000")


def score_example() -> None:
    """Score the example EASI file (issue 2) and print the scored rows."""
    run("score", "easi", "--input", "examples/easi.csv")
    run("score", "easi", "--input", "examples/easi.csv", "--band-set", "chopra2017")


def demo_protocols() -> None:
    """The protocol library and one subject's visit and injection calendar."""
    run("protocols")
    run("schedule", "asim-choi2024", "--start", "2026-03-02")


def main() -> None:
    run("version")
    score_example()
    demo_protocols()
    serve_web_demo()  # the last step: it serves the web app until interrupted


if __name__ == "__main__":
    main()
