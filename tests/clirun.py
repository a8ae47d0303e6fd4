"""Run the ``autoserum`` command line in the test's own process.

A command run this way goes through the same entry point as the installed script
(:func:`autoserum.cli.main`: its error handling, exit codes and output), without starting a
Python process and importing the scientific libraries again for each command, which costs about
two CPU seconds a command. The tests of what only a real process shows keep running the real
executable: the installed script's help (``tests/test_readme.py``) and start-up
(``tests/test_cli_startup.py``), the error on stderr of a refused command (``report`` with an
unknown protocol, ``federate combine`` of suppressed cells), the audit chain's warning on stderr,
and the processes killed on purpose (server and import crashes).
"""

from __future__ import annotations

import io
import subprocess
from contextlib import ExitStack, chdir, redirect_stderr, redirect_stdout
from pathlib import Path
from unittest.mock import patch

from autoserum.cli import main

__all__ = ["run_cli"]


def run_cli(
    *args: object, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``autoserum ARGS...``: its exit code, standard output and standard error, as
    :func:`subprocess.run` with ``capture_output=True, text=True`` gives them; ``stdin`` is its
    standard input, ``cwd`` its working folder (as ``subprocess.run``'s ``input`` and ``cwd``)."""
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(chdir(cwd))
        stack.enter_context(redirect_stdout(out))
        stack.enter_context(redirect_stderr(err))
        stack.enter_context(patch("sys.stdin", io.StringIO(stdin or "")))
        try:
            main(argv)
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            if isinstance(done.code, str):
                err.write(f"{done.code}\n")
    return subprocess.CompletedProcess(["autoserum", *argv], code, out.getvalue(), err.getvalue())
