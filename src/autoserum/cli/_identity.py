"""Who the CLI acts as: an account proven at the command line, or the explicit ``system:cli``.

``--user NAME`` names an existing account, proven by one of its API tokens (``--token`` or the
``AUTOSERUM_TOKEN`` environment variable) or by its password on the first line of standard
input (``--user-password-stdin``); the proof is checked by the store like a web login (the same
lockout and security events), and the CLI then acts with that account's role and sites.
Without ``--user`` the CLI acts as :data:`autoserum.store.SYSTEM_CLI` (``system:cli``, role
``system``, not an admin): the database owner at the command line, recorded as such.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from autoserum.errors import Expected, ValidationError

if TYPE_CHECKING:
    from autoserum.store import Actor, Store

__all__ = ["TokenOption", "UserOption", "UserPasswordOption", "acting"]

UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        help="Act as this account, proven by --token (or AUTOSERUM_TOKEN) or "
        "--user-password-stdin; without it the CLI acts as system:cli.",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="AUTOSERUM_TOKEN",
        help="An API token of --user (proves it).",
        show_default=False,
        show_envvar=True,
    ),
]
UserPasswordOption = Annotated[
    bool,
    typer.Option(
        "--user-password-stdin",
        help="Read the password of --user from the first line of stdin (proves it).",
    ),
]


def acting(store: Store, user: str | None, *, token: str | None, password_stdin: bool) -> Actor:
    """The actor of a CLI command: ``user`` proven (token first, else the password read from
    stdin), or ``system:cli`` when no user is named."""
    from autoserum.accounts import hash_token
    from autoserum.store import SYSTEM_CLI

    if user is None:
        if password_stdin:
            raise ValidationError(
                "--user", None, Expected("the account whose password stdin holds")
            )
        return SYSTEM_CLI
    if token:
        return store.accounts.prove(user, token_hash=hash_token(token.strip()))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        return store.accounts.prove(user, password=password)
    raise ValidationError(
        "--user",
        user,
        Expected("a proof: --token TOKEN (or AUTOSERUM_TOKEN) or --user-password-stdin"),
    )
