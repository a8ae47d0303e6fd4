"""The command-line interface (adapter): ``autoserum COMMAND``.

Every command lives in its own module and is registered in :mod:`autoserum.cli._app`.
Errors are mapped to exit codes once, in :func:`main`.

Importing this package is cheap: it loads neither Typer nor any scientific or database
library. Each command imports what it uses when it runs (``autoserum --version`` starts in a
few milliseconds); ``app`` (the Typer application) is loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoserum.cli._main import main

if TYPE_CHECKING:
    from autoserum.cli._app import app
    from autoserum.cli._words import help_messages

__all__ = ["app", "help_messages", "main"]


def __getattr__(name: str) -> Any:
    if name == "app":
        from autoserum.cli._app import app

        return app
    if name == "help_messages":  # the commands' descriptions, for the catalogs' extraction
        from autoserum.cli._words import help_messages

        return help_messages
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
