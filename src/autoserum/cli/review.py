"""CLI commands of data review: ``autoserum checks run`` (the study's automatic checks; each
new finding is raised as a data query) and ``autoserum query list`` (the study's queries with
their status and age)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from autoserum.cli.study import DbOption, JsonOption

__all__ = ["checks_app", "query_app", "register"]

checks_app = typer.Typer(
    name="checks",
    help=(
        "Run the automatic checks of a study (docs/monitoring.md); each new finding is raised "
        "as a data query by system:check:<rule>.\n\n"
        "Example: autoserum checks run AST-1 --db sqlite:///trial.db"
    ),
    no_args_is_help=True,
)
query_app = typer.Typer(
    name="query",
    help=(
        "List a study's data queries.\n\n"
        "Example: autoserum query list AST-1 --status open --db sqlite:///trial.db"
    ),
    no_args_is_help=True,
)

SubjectOption = Annotated[
    str | None, typer.Option("--subject", help="Only this subject (its identifier).")
]


@checks_app.command("run")
def checks_run(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    subject: SubjectOption = None,
    db: DbOption = "sqlite:///autoserum.db",
    as_json: JsonOption = False,
) -> None:
    """Run the study's automatic checks (every subject, or one) and raise a query per new
    finding; a finding raised before is not raised again. Prints the new findings.

    Example: autoserum checks run AST-1 --subject S1-001 --db sqlite:///trial.db
    """
    from autoserum.cli.study import _actor, _open

    store = _open(db)
    try:
        found = store.checks.run(name, actor=_actor(), subject_id=subject)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    for f in found:
        typer.echo(f"{f['subject_id']}\t{f['rule']}\t{f['entity']} {f['record_id']}\t{f['text']}")
    from autoserum.cli._say import language, number
    from autoserum.i18n import translate_plural

    lang = language()
    typer.echo(
        translate_plural(lang, "%(n)s new finding raised as a query",
                         "%(n)s new findings raised as queries", len(found),
                         n=number(len(found), lang))
    )  # fmt: skip


@query_app.command("list")
def query_list(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="Only queries in this status: open, answered, closed, cancelled."
        ),
    ] = None,
    subject: SubjectOption = None,
    db: DbOption = "sqlite:///autoserum.db",
    as_json: JsonOption = False,
) -> None:
    """List the study's data queries (id, subject, site, record, status, age in days, author,
    question).

    Example: autoserum query list AST-1 --status open --db sqlite:///trial.db
    """
    from autoserum.cli.study import _actor, _open

    store = _open(db)
    try:
        found = store.queries.list(name, actor=_actor(), status=status, subject_id=subject)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([q.to_dict() for q in found], indent=2))
        return
    for q in found:
        where = f"{q.entity} {q.record_id}" + (f".{q.field}" if q.field else "")
        typer.echo(
            f"{q.id}\t{q.subject_id}\t{q.site}\t{where}\t{q.status}\t{q.age_days}d\t"
            f"{q.opened_by}\t{q.text}"
        )
    from autoserum.cli._say import language, number
    from autoserum.i18n import translate_plural

    lang = language()
    typer.echo(
        translate_plural(lang, "%(n)s query", "%(n)s queries", len(found),
                         n=number(len(found), lang))
    )  # fmt: skip


def register(root: typer.Typer) -> None:
    """Add ``checks`` and ``query`` to the root application."""
    root.add_typer(checks_app, name="checks")
    root.add_typer(query_app, name="query")
