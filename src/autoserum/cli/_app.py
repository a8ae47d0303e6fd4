"""The Typer application and the one place where errors become exit codes and messages.

The command modules import only Typer and the standard library at module level; each command
imports the core (Polars, SciPy, SQLAlchemy, …) inside its body, so a command loads only what it
uses and ``--help`` loads none of them.
"""

from __future__ import annotations

import functools
import sys
from typing import Annotated, Any

import typer
import typer.main

from autoserum import __version__
from autoserum.cli import analysis as _analysis
from autoserum.cli import backup as _backup
from autoserum.cli import design as _design
from autoserum.cli import federate as _federate
from autoserum.cli import meta as _meta
from autoserum.cli import product as _product
from autoserum.cli import protocols as _protocols
from autoserum.cli import review as _review
from autoserum.cli import simulate as _simulate
from autoserum.cli import store as _store
from autoserum.cli import study as _study
from autoserum.cli import web as _web
from autoserum.cli._main import fail, main
from autoserum.cli.score import register as register_score
from autoserum.errors import AutoserumError

__all__ = ["app", "main", "run"]

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


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the installed version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """autoserum: scoring, study conduct, analysis and evidence for autologous therapy in AD."""


register_score(app)
_meta.register(app)
_design.register(app)
_protocols.register(app)
_simulate.register(app)
_analysis.register(app)
_federate.register(app)
_backup.register(app)
_store.register(app)
_study.register(app)
_review.register(app)
_product.register(app)
_web.register(app)


@app.command()
def version() -> None:
    """Print the installed autoserum version.

    Example: autoserum version
    """
    typer.echo(__version__)


@functools.cache
def _command(language: str = "en") -> Any:
    """The Click command of :data:`app` in ``language`` (its help texts translated), built once
    per process and language: Typer builds it anew on every call (≈ 0.08 s of CPU), which a
    process running several commands (the demo, the tests) need not repeat."""
    command = typer.main.get_command(app)
    if language != "en":
        from autoserum.cli._words import localise

        localise(command, language)
    return command


def _language(helping: bool) -> str:
    """The command line's language (``autoserum.i18n.cli_language``). For a help page
    (``helping``) Typer's help frame is set to it; English keeps Typer's own words and reads no
    catalog, and so does any command that shows no help (the help's translation costs the
    catalog and a walk of the command tree: ≈ 0.2 s of CPU, paid only by ``--help``)."""
    from autoserum.i18n import cli_language

    language = cli_language()
    if "autoserum.cli._words" in sys.modules or (helping and language != "en"):
        from autoserum.cli._words import frame

        frame(language if helping else "en")  # a help of another language set it before
    return language


def _names_a_group(args: list[str]) -> bool:
    """Whether ``args`` name a group of commands and nothing else (``autoserum``, ``autoserum
    study``): Typer answers with the group's help page."""
    node = _command("en")
    for arg in args:
        commands = getattr(node, "commands", None)
        if commands is None or arg not in commands:
            return False
        node = commands[arg]
    return hasattr(node, "commands")


def run(argv: list[str] | None = None) -> None:
    """Run the Typer app; every error becomes one line on stderr and an exit code.

    An :class:`AutoserumError` exits with its ``exit_code`` (2 for invalid input); a usage error
    of the command line (unknown option, missing argument) exits 2. A help page is written in
    the command line's language (``autoserum.cli._words``).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    helping = "--help" in args or _names_a_group(args)
    language = _language(helping)
    try:
        if sys.excepthook != typer.main.except_hook:  # as Typer's own call does
            sys.excepthook = typer.main.except_hook
        code = _command(language if helping else "en")(
            args=args, prog_name="autoserum", standalone_mode=False
        )  # the script's name in usage lines, however the process was started
    except typer.Abort:
        from autoserum.i18n import translate

        typer.echo(f"error: {translate(language, 'aborted')}", err=True)
        sys.exit(1)
    except typer.TyperException as err:  # Typer's own usage errors (unknown option, …)
        if type(err).__name__ == "NoArgsIsHelpError":
            typer.echo(getattr(err, "ctx").get_help())  # noqa: B009 - ctx is not typed
            sys.exit(0)
        from autoserum.cli._words import usage_hint, usage_message

        message = " ".join(str(getattr(err, "format_message", err.__str__)()).split())
        ctx = getattr(err, "ctx", None)
        hint = usage_hint(ctx.command_path, language) if ctx is not None else ""
        said = usage_message(message, language, error=err)
        typer.echo(f"error: {said}{hint}", err=True)
        sys.exit(int(getattr(err, "exit_code", 2)))
    except AutoserumError as err:
        fail(err)
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)
