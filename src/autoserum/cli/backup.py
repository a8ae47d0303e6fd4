"""CLI commands ``backup`` and ``restore`` of a whole database (SQLite or PostgreSQL).

The store is imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["backup_command", "register", "restore_command"]

DbOption = Annotated[
    str, typer.Option("--db", help="Database URL (sqlite:///file.db or postgresql+psycopg://...).")
]


def backup_command(
    db: DbOption,
    out: Annotated[Path, typer.Option("--out", help="Backup file to write (must not exist).")],
) -> None:
    """Back up the whole database, consistently, while the server runs (SQLite online backup;
    pg_dump for PostgreSQL).

    Example: autoserum backup --db sqlite:///trial.db --out trial-2026-12-01.backup
    """
    from autoserum.store import backup

    info = backup(db, out)
    from autoserum.cli._say import language, number, translate

    lang = language()
    typer.echo(
        translate(lang, "wrote %(path)s (%(engine)s backup, %(bytes)s bytes)", path=info.path,
                  engine=info.engine, bytes=number(info.bytes, lang))
    )  # fmt: skip


def restore_command(
    db: Annotated[
        str,
        typer.Option(
            "--db", help="Empty target: a new SQLite file or an empty PostgreSQL database."
        ),
    ],
    backup_file: Annotated[Path, typer.Option("--from", help="A file written by backup.")],
) -> None:
    """Restore a backup into an empty database and migrate it to this version's schema.

    Example: autoserum restore --db sqlite:///restored.db --from trial-2026-12-01.backup
    """
    from autoserum.store import restore

    revision = restore(db, backup_file)
    from autoserum.cli._say import language, translate

    typer.echo(
        translate(language(), "restored %(path)s (schema revision %(revision)s)",
                  path=backup_file, revision=revision)
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the autoserum CLI."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
