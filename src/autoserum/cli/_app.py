"""The Typer application and the one place where errors become exit codes and messages."""

from __future__ import annotations

import sys

import typer

from autoserum import __version__
from autoserum.cli import protocols as _protocols
from autoserum.cli import store as _store
from autoserum.cli import web as _web
from autoserum.errors import AutoserumError

app = typer.Typer(
    name="autoserum",
    help=(
        "autoserum: score atopic dermatitis instruments, run autologous-therapy studies, "
        "analyse them and put them in the context of the published evidence.\n\n"
        "Example: autoserum instruments"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """autoserum: scoring, study conduct, analysis and evidence for autologous therapy in AD."""


@app.command()
def version() -> None:
    """Print the installed autoserum version.

    Example: autoserum version
    """
    typer.echo(__version__)


_protocols.register(app)
_web.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; an :class:`AutoserumError` becomes one line on stderr and its exit code."""
    try:
        app(args=argv, standalone_mode=True)
    except AutoserumError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)


_store.register(app)
