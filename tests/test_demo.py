"""`make demo` for a newcomer (issue 18, item 7): the port, the steps, the Makefile's venv check.

The demo itself is run by hand (`make demo`; its time is in docs/benchmarks.md); these tests
check its parts without serving anything.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_busy_port_moves_to_the_next_free_one_with_a_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = _demo()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        chosen = demo.free_port(taken)
    assert chosen > taken
    assert f"port {taken} is in use: the web app will listen on {chosen}" in capsys.readouterr().out


def test_a_free_port_is_kept_silently(capsys: pytest.CaptureFixture[str]) -> None:
    demo = _demo()
    port = free_port()  # below the ephemeral range: no other test's connection takes it meanwhile
    assert demo.free_port(port) == port
    assert capsys.readouterr().out == ""


def test_every_step_is_announced_and_the_meta_example_is_labelled() -> None:
    source = (ROOT / "scripts" / "demo.py").read_text(encoding="utf-8")
    steps = re.findall(r"step\(\s*\"([^\"]+)\"", source)
    assert len(steps) == _demo().STEPS
    assert "A meta-analysis (metafor's example data)" in steps
    assert "dat.bcg" in source


def test_the_makefile_names_the_venv_package_when_venv_is_missing() -> None:
    done = subprocess.run(
        ["make", "-s", "venv-check", "PYTHON=false"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "apt-get install python3-venv" in done.stdout


def test_the_makefile_passes_the_port() -> None:
    dry = subprocess.run(
        ["make", "-n", "demo", "PORT=8123", "VENV=/nonexistent-venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "scripts/demo.py --port 8123" in dry.stdout
