"""The entry point: ``--version`` and one-assessment scoring answered at once, everything else
handed to the Typer app."""

from __future__ import annotations

import sys
from typing import NoReturn

from autoserum.errors import AutoserumError

__all__ = ["fail", "main"]


def fail(err: AutoserumError) -> NoReturn:
    """Report ``err`` as one line on stderr, in the command line's language
    (:func:`autoserum.i18n.cli_language`: ``AUTOSERUM_LANG``, then the POSIX locale), and exit
    with its ``exit_code`` (2: invalid input). English is the error's own text: no catalog is
    read."""
    from autoserum.i18n import DEFAULT_LANGUAGE, cli_language, error_text

    language = cli_language()
    text = str(err) if language == DEFAULT_LANGUAGE else error_text(err, language)
    sys.stderr.write(f"error: {' '.join(text.split())}\n")
    sys.exit(err.exit_code)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every error becomes one line on stderr and an exit code, never a traceback.

    ``autoserum --version`` prints the version without loading the command modules;
    ``autoserum score INSTRUMENT --json PAYLOAD`` is answered by :mod:`autoserum.cli._quick`
    without Typer; any other command line goes to :func:`autoserum.cli._app.run`.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        from autoserum import __version__

        sys.stdout.write(f"{__version__}\n")
        sys.exit(0)
    if args[:1] == ["score"]:
        from autoserum.cli._quick import quick_score

        try:
            if quick_score(args):
                sys.exit(0)
        except AutoserumError as err:
            fail(err)
    from autoserum.cli._app import run

    run(args)
