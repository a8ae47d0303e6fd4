"""The command-line interface (adapter): ``autoserum COMMAND``.

Every command lives in its own module and is registered in :mod:`autoserum.cli._app`.
Errors are mapped to exit codes once, in :func:`main`.
"""

from autoserum.cli._app import app, main

__all__ = ["app", "main"]
