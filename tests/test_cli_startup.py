"""The CLI starts without the scientific and database libraries (issue 18, item 1).

Each check runs in a fresh interpreter and reads ``sys.modules`` afterwards: what a command line
imported, not how long it took (no timing in tests; the timings are in benchmarks/cli.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
#: Typer itself validates option values with pydantic, so pydantic is not in this list.
HEAVY = (
    "polars",
    "numpy",
    "scipy",
    "sqlalchemy",
    "matplotlib",
    "statsmodels",
    "alembic",
    "dask",
)


def _loaded_after(code: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    probe = (
        "import sys, json\n"
        f"{code}\n"
        f"print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_scientific_or_database_library() -> None:
    assert _loaded_after("import autoserum.cli") == []


def test_the_typer_app_with_every_command_registered_loads_none_either() -> None:
    assert (
        _loaded_after(
            "from autoserum.cli import app\nimport typer.main\ntyper.main.get_command(app)"
        )
        == []
    )


def _command_line(argv: list[str]) -> str:
    """Code that runs ``autoserum ARGV`` in-process, its output swallowed."""
    return (
        "import contextlib, io\n"
        "from autoserum.cli import main\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["version"],
        ["power", "--help"],
        ["design", "grid", "--help"],
        ["score", "easi", "--json", '{"age": 30}'],
    ],
)
def test_light_command_lines_load_none(argv: list[str]) -> None:
    assert _loaded_after(_command_line(argv)) == []


def test_scoring_one_payload_loads_not_even_typer() -> None:
    """``score INSTRUMENT --json`` is answered before Typer (and its pydantic) is imported."""
    argv = ["score", "easi", "--json", '{"age": 30}', "--band-set", "leshem2015"]
    assert _loaded_after(_command_line(argv), ("typer", "pydantic", *HEAVY)) == []
    # the probe can fail: any other score command line goes through Typer
    assert _loaded_after(_command_line(["score", "easi", "--help"]), ("typer",)) == ["typer"]


def test_a_heavy_command_still_loads_what_it_uses() -> None:
    """The probe can fail: scoring a file does load Polars."""
    easi = str(SRC.parent / "examples" / "easi.csv")
    assert "polars" in _loaded_after(_command_line(["score", "easi", "--input", easi]))


def test_version_flag_and_command_agree() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    outs = [
        subprocess.run(
            [sys.executable, "-m", "autoserum", *argv],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        for argv in (["--version"], ["version"], ["--version", "--help"])
    ]
    assert outs[0] == outs[1] != ""
    assert outs[2] == outs[0]  # --version is eager: it answers before --help
