"""The entry point: ``--version`` answered at once, everything else handed to the Typer app."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every error becomes one line on stderr and an exit code, never a traceback.

    ``autoserum --version`` prints the version without loading the command modules; any other
    command line goes to :func:`autoserum.cli._app.run`.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        from autoserum import __version__

        sys.stdout.write(f"{__version__}\n")
        sys.exit(0)
    from autoserum.cli._app import run

    run(args)
