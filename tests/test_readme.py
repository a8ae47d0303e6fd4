"""Docs that cannot rot: every `autoserum ...` command shown in the README runs.

The README's ```sh blocks are executed in order, in a scratch folder, through the command line's
entry point in this process (``tests/clirun.py``: the installed script's function, without
starting a Python process and importing the libraries again for each of the ~60 commands; the
installed script itself runs in ``test_readme_shows_every_cli_command`` and
``tests/test_cli_startup.py``). The few input files the README assumes a user has (their own
visit file, protocol file and meta-analysis table) are supplied from files the repository ships.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clirun import run_cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CLI = str(Path(sys.executable).with_name("autoserum"))

#: Files the README's commands read as if the user had them: name -> shipped source.
USER_FILES = {
    "visits.csv": ROOT / "demo" / "store-visits.csv",
    "my-protocol.toml": ROOT / "src" / "autoserum" / "protocols" / "library" / "ast-nahm2023.toml",
    "studies.csv": ROOT / "tests" / "meta" / "reference" / "dat_normand1999.csv",
    "sap.toml": ROOT / "examples" / "sap-ast-nahm2023.toml",
    "three-arm.csv": ROOT / "tests" / "analysis" / "data" / "three_arm.csv",
}
#: Files written by the test itself (a password a user would keep in a file or type).
WRITTEN_FILES = {"alice-password.txt": "a long synthetic passphrase for the README test\n"}

#: Commands that start a long-running server: only their --help is run.
SERVERS = {"serve"}


def readme_commands() -> list[list[str]]:
    """The `autoserum` command lines of the README's sh blocks, in order, comments removed."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "autoserum":
                commands.append(words[1:])
    return commands


def test_readme_starts_with_the_two_setup_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert first_block is not None
    lines = [ln.split("#")[0].strip() for ln in first_block.group(1).splitlines()]
    assert lines == ["make demo", "make test"]


def test_readme_shows_every_cli_command() -> None:
    shown = {words[0] for words in readme_commands()}
    listed = subprocess.run([CLI, "--help"], capture_output=True, text=True, check=True).stdout
    commands = set(re.findall(r"│ ([a-z][a-z-]+) {2,}", listed)) - {"version"}
    assert commands, listed
    assert commands <= shown, f"commands missing from the README: {sorted(commands - shown)}"


@pytest.mark.slow
def test_readme_commands_run(tmp_path: Path) -> None:
    for name, source in USER_FILES.items():
        shutil.copy(source, tmp_path / name)
    for name, text in WRITTEN_FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    commands = readme_commands()
    assert len(commands) >= 15
    for words in commands:
        stdin = ""
        if "<" in words:  # `... < FILE`: the file is the command's standard input
            at = words.index("<")
            stdin = (tmp_path / words[at + 1]).read_text(encoding="utf-8")
            words = words[:at] + words[at + 2 :]
        argv = [*words[:1], "--help"] if words[0] in SERVERS else words
        result = run_cli(*argv, stdin=stdin, cwd=tmp_path)
        assert result.returncode == 0, f"autoserum {shlex.join(argv)}\n{result.stderr}"
        assert "Traceback" not in result.stderr
