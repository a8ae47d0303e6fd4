"""CLI commands of the web app: ``autoserum serve`` and ``autoserum user``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from autoserum.accounts import TOKEN_DAYS
from autoserum.cli._identity import TokenOption, UserOption, UserPasswordOption, acting
from autoserum.errors import Expected, Message, ValidationError
from autoserum.permissions import ROLES, check_role

if TYPE_CHECKING:
    from autoserum.store import Actor

__all__ = ["register", "serve", "user_app"]

user_app = typer.Typer(
    name="user",
    help=(
        "Manage web-app accounts: add users with a role and sites, issue personal API tokens.\n\n"
        "Example: autoserum user add alice --role investigator --site AST-1/BER --db sqlite:///trial.db"
    ),
    no_args_is_help=True,
)

DbOption = Annotated[
    str, typer.Option("--db", help="Database URL (SQLite or PostgreSQL).", show_default=True)
]


def _cli_actor() -> Actor:
    """The actor of CLI commands that take no ``--user``: ``system:cli`` (the database owner at
    the command line, never an impersonated admin; see :mod:`autoserum.cli._identity`)."""
    from autoserum.store import SYSTEM_CLI

    return SYSTEM_CLI


def serve(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (SQLite or PostgreSQL); default: AUTOSERUM_DATABASE_URL, "
            "else sqlite:///autoserum.db.",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, max=64, help="Server processes (more than 1 needs PostgreSQL)."
        ),
    ] = 1,
    log_format: Annotated[
        str, typer.Option("--log-format", help="json (one object per line) or text.")
    ] = "json",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Trust X-Forwarded-For/-Proto from these proxy addresses (comma-separated, "
            "'*' for any: only when the app is reachable through the proxy alone).",
        ),
    ] = None,
) -> None:
    """Serve the web app (pages, /api/v1, /healthz, /readyz); creates or migrates the schema.

    Settings come from AUTOSERUM_* environment variables (AUTOSERUM_ENV, AUTOSERUM_SECRET_KEY).
    Several workers share sessions, the login throttle, lockouts and token revocation through
    the database, which must then be PostgreSQL.

    Example: autoserum serve --db postgresql+psycopg://app@db/autoserum --workers 4 --port 8000
    """
    import os

    from autoserum.store import open_store
    from autoserum.web import load_settings, log_config

    if log_format not in ("json", "text"):
        raise ValidationError("--log-format", log_format, Expected("json or text"))
    settings = load_settings(**({"database_url": db} if db else {}))
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        raise ValidationError(
            "--workers",
            workers,
            Expected(
                "1 on SQLite (one writer at a time in one process); several "
                "workers need PostgreSQL: --db "
                "postgresql+psycopg://USER@HOST/DB"
            ),
        )
    open_store(settings.database_url, create=True).close()  # migrate before the workers start
    # each worker builds its app from the environment (uvicorn's factory, spawned processes)
    os.environ["AUTOSERUM_DATABASE_URL"] = settings.database_url
    os.environ["AUTOSERUM_ACCESS_LOG"] = "true" if access_log else "false"
    from autoserum.cli._say import language, translate

    typer.echo(
        translate(language(), "autoserum web app on %(url)s (env=%(env)s, workers=%(workers)s)",
                  url=f"http://{host}:{port}/", env=settings.env, workers=workers),
        err=True,
    )  # fmt: skip
    from autoserum.cli._workers import run

    # several workers: each on its own SO_REUSEPORT socket (the kernel deals the connections
    # over them; with one shared socket a burst of connections can all land on one worker)
    run(
        "autoserum.web:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config("json" if log_format == "json" else "text"),
        # proxy headers are believed only from AUTOSERUM_TRUSTED_PROXIES (the app's middleware)
        # or from --forwarded-allow-ips
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        access_log=False,
        # a worker busy importing or under load must not be taken for dead and restarted
        timeout_worker_healthcheck=60,
    )


def _prompt_password() -> str:
    """A password typed twice on the terminal, asked in the command line's language (Click's
    own confirmation loop asks and refuses in English)."""
    from autoserum.cli._say import language, translate

    lang = language()
    while True:
        first = typer.prompt(translate(lang, "Password"), hide_input=True)
        again = typer.prompt(translate(lang, "Password again"), hide_input=True)
        if first == again:
            return str(first)
        refused = translate(lang, "the two passwords differ: type them again")
        typer.echo(f"error: {refused}", err=True)


def _read_password(password_stdin: bool, username: str) -> str:
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else _prompt_password()
    from autoserum.accounts import check_password

    return check_password(password, context=[username])


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="One of: " + ", ".join(ROLES) + ".")],
    site: Annotated[
        list[str] | None,
        typer.Option(
            help="A site the user belongs to, as STUDY/SITE (repeatable; none = every site).",
        ),
    ] = None,
    unblinded: Annotated[
        bool, typer.Option(help="Grant the unblinded privilege (may see arms).")
    ] = False,
    full_name: Annotated[
        str | None,
        typer.Option(
            "--full-name", help="The printed name shown with the user's electronic signatures."
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    as_user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Add a web-app user with a role and sites; the password is hashed with argon2.

    Example: autoserum user add alice --role investigator --site AST-1/BER --password-stdin < pw.txt
    """
    from autoserum.accounts import hash_password
    from autoserum.store import open_store

    check_role(role)
    if role != "admin" and not site:
        raise ValidationError(
            "site", None, Expected("at least one --site for role %(role)s", role=repr(role))
        )
    sites = None if role == "admin" and not site else frozenset(_site_key(s) for s in site or ())
    store = open_store(db, create=True)
    try:
        actor = acting(store, as_user, token=token, password_stdin=user_password_stdin)
        password = _read_password(password_stdin, name)
        store.accounts.create_user(
            name, hash_password(password), role, sites, actor=actor, unblinded=unblinded,
            full_name=full_name,
        )  # fmt: skip
    finally:
        store.close()
    from autoserum.cli._say import language, translate

    lang = language()
    shown = ", ".join(f"{study}/{code}" for study, code in sorted(sites)) if sites else None
    typer.echo(
        translate(lang, "added user %(name)s (%(role)s; sites: %(sites)s)", name=name,
                  role=translate(lang, role), sites=shown or translate(lang, "all"))
    )  # fmt: skip


def _site_key(text: str) -> tuple[str, str]:
    """``STUDY/SITE`` as a (study, site code) pair: a site code names a site only in its study."""
    study, _, code = text.partition("/")
    if not study.strip() or not code.strip():
        raise ValidationError("--site", text, Expected("STUDY/SITE, e.g. AST-1/s01"))
    return study.strip(), code.strip()


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    keep_tokens: Annotated[
        bool, typer.Option("--keep-tokens", help="Keep the user's API tokens valid.")
    ] = False,
    as_user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Set a user's password (and lift a lockout); audited as an administrator's change.

    The user's sessions end and their API tokens are revoked (unless --keep-tokens).

    Example: autoserum user passwd alice --password-stdin < pw.txt
    """
    from autoserum.accounts import hash_password
    from autoserum.errors import NotFoundError
    from autoserum.store import open_store

    store = open_store(db, create=True)
    try:
        actor = acting(store, as_user, token=token, password_stdin=user_password_stdin)
        password = _read_password(password_stdin, name)
        if store.accounts.get_user(name) is None:
            raise NotFoundError(Message("no user named %(name)s", name=repr(name)))
        store.accounts.update_user(
            name,
            {"password_hash": hash_password(password)},
            actor=actor,
            reason="password reset",
            keep_tokens=keep_tokens,
        )
        store.accounts.record_login_state(name, failed_logins=0, locked_until=None)
    finally:
        store.close()
    from autoserum.cli._say import N_, language, translate

    message = (
        N_("password of %(name)s changed; sessions ended, API tokens kept")
        if keep_tokens
        else N_("password of %(name)s changed; sessions ended, API tokens revoked")
    )
    typer.echo(translate(language(), message, name=name))


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="Login name of the token's owner.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    expires: Annotated[
        int, typer.Option("--expires", min=1, max=3650, help="Days until the token expires.")
    ] = TOKEN_DAYS,
    as_user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Create a personal API token for /api/v1 and print it once (only its hash is stored);
    it expires after --expires days (default 90); its id (for ``user revoke-token``) goes to
    stderr.

    Example: autoserum user token alice --label laptop --expires 30 --db sqlite:///trial.db
    """
    from datetime import UTC, datetime, timedelta

    from autoserum.accounts import hash_token, new_token
    from autoserum.store import open_store

    store = open_store(db, create=True)
    secret = new_token()
    expires_at = datetime.now(UTC) + timedelta(days=expires)
    try:
        actor = acting(store, as_user, token=token, password_stdin=user_password_stdin)
        token_id = store.accounts.create_api_token(
            name, hash_token(secret), actor=actor, label=label, expires_at=expires_at
        )
    finally:
        store.close()
    from autoserum.cli._say import language, translate, when

    lang = language()
    typer.echo(
        translate(lang, "token id %(id)s of %(name)s, expires %(at)s UTC", id=token_id, name=name,
                  at=when(expires_at, lang)),
        err=True,
    )  # fmt: skip
    typer.echo(secret)


@user_app.command("tokens")
def user_tokens(
    name: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """List API tokens: id, owner, label, created, expires, last used, active or revoked
    (never the token itself).

    Example: autoserum user tokens alice --db sqlite:///trial.db
    """
    from autoserum.store import open_store

    store = open_store(db, create=False)
    try:
        tokens = store.accounts.api_tokens(name, actor=_cli_actor())
    finally:
        store.close()

    def when(at: object) -> str:
        return "-" if at is None else f"{at:%Y-%m-%d %H:%M}"

    for t in tokens:
        state = "active" if t.active else ("revoked" if t.revoked_at else "expired")
        typer.echo(
            f"{t.id}\t{t.username}\t{t.label or '-'}\t{when(t.created_at)}\t"
            f"expires {when(t.expires_at)}\tused {when(t.last_used_at)}\t{state}"
        )


@user_app.command("revoke-token")
def user_revoke_token(
    token_id: Annotated[int, typer.Argument(help="The token's id (see: autoserum user tokens).")],
    as_user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Revoke an API token at once (every server process refuses it from the next request).

    Example: autoserum user revoke-token 3 --db sqlite:///trial.db
    """
    from autoserum.store import open_store

    store = open_store(db, create=False)
    try:
        actor = acting(store, as_user, token=token, password_stdin=user_password_stdin)
        store.accounts.revoke_api_token(token_id, actor=actor)
    finally:
        store.close()
    from autoserum.cli._say import language, translate

    typer.echo(translate(language(), "token %(id)s revoked", id=token_id))


@user_app.command("list")
def user_list(
    db: DbOption = "sqlite:///autoserum.db",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the users: name, role, sites, unblinded grant, active, last login.

    Example: autoserum user list --db sqlite:///trial.db
    """
    import json

    from autoserum.store import open_store

    store = open_store(db, create=False)
    try:
        users = store.accounts.users(actor=_cli_actor())
    finally:
        store.close()
    rows = [
        {
            "username": u.username,
            "role": u.role,
            "sites": None if u.sites is None else [f"{a}/{b}" for a, b in sorted(u.sites)],
            "full_name": u.full_name,
            "unblinded": u.unblinded,
            "active": u.active,
            "last_login_at": None if u.last_login_at is None else u.last_login_at.isoformat(),
        }
        for u in users
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for u in users:
        sites = "all" if u.sites is None else ",".join(f"{a}/{b}" for a, b in sorted(u.sites))
        flags = ("unblinded " if u.unblinded else "") + ("active" if u.active else "inactive")
        typer.echo(f"{u.username}\t{u.role}\t{sites or 'none'}\t{flags}")


@user_app.command("update")
def user_update(
    name: Annotated[str, typer.Argument(help="Login name.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")],
    role: Annotated[str | None, typer.Option(help="New role: " + ", ".join(ROLES) + ".")] = None,
    site: Annotated[
        list[str] | None,
        typer.Option(help="The user's sites from now on, as STUDY/SITE (repeatable)."),
    ] = None,
    all_sites: Annotated[
        bool, typer.Option("--all-sites", help="Every site of every study (admins).")
    ] = False,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Allow or stop logins and API tokens."),
    ] = None,
    unblinded: Annotated[
        bool | None,
        typer.Option("--unblinded/--blinded", help="Grant or withdraw the unblinded privilege."),
    ] = None,
    full_name: Annotated[
        str | None,
        typer.Option(
            "--full-name", help="The printed name shown with the user's electronic signatures."
        ),
    ] = None,
    as_user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Change a user's role, sites, unblinded grant, active state or full name (the printed
    name of their signatures) (audited with the reason).
    An inactive user can no longer log in nor use API tokens.

    Example: autoserum user update alice --site AST-1/s02 --inactive --reason "left the site" --db sqlite:///trial.db
    """
    from autoserum.store import open_store

    changes: dict[str, object] = {}
    if role is not None:
        if role not in ROLES:
            raise ValidationError(
                "--role", role, Expected("one of %(values)s", values=", ".join(ROLES))
            )
        changes["role"] = role
    if site and all_sites:
        raise ValidationError("--site", site, Expected("either --site or --all-sites, not both"))
    if site:
        changes["sites"] = frozenset(_site_key(s) for s in site)
    elif all_sites:
        changes["sites"] = None
    if active is not None:
        changes["active"] = active
    if unblinded is not None:
        changes["unblinded"] = unblinded
    if full_name is not None:
        changes["full_name"] = full_name
    if not changes:
        raise ValidationError(
            "options",
            None,
            Expected(
                "at least one of --role, --site, --all-sites, "
                "--active/--inactive, --unblinded/--blinded, --full-name"
            ),
        )
    store = open_store(db, create=False)
    try:
        actor = acting(store, as_user, token=token, password_stdin=user_password_stdin)
        user = store.accounts.update_user(name, changes, actor=actor, reason=reason)
    finally:
        store.close()
    from autoserum.cli._say import N_, language, translate

    lang = language()
    shown = (
        translate(lang, "all")
        if user.sites is None
        else ", ".join(f"{a}/{b}" for a, b in sorted(user.sites)) or translate(lang, "none")
    )
    message = (
        N_("updated user %(name)s (%(role)s; sites: %(sites)s; active)")
        if user.active
        else N_("updated user %(name)s (%(role)s; sites: %(sites)s; inactive)")
    )
    typer.echo(translate(lang, message, name=name, role=translate(lang, user.role), sites=shown))


def register(root: typer.Typer) -> None:
    """Add ``serve`` and ``user`` to the root application."""
    root.command("serve")(serve)
    root.add_typer(user_app, name="user")
