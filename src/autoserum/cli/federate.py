"""CLI commands ``federate summarize`` and ``federate combine``: exact joint analysis across
sites that cannot pool patient rows (protocol in docs/federated.md).

Heavy modules (Polars, SciPy, the store) are imported inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from autoserum.errors import Expected, ValidationError

__all__ = ["app", "combine", "register", "summarize"]

app = typer.Typer(
    help=(
        "Federated exact analysis: each site shares sums, never rows; the coordinating centre "
        "fits the pooled ANCOVA and MMRM from them.\n\n"
        "Example: autoserum federate summarize --db sqlite:///site.db --study AST "
        "--endpoint easi --week 12 --site seoul --out seoul.json"
    ),
    no_args_is_help=True,
)


def summarize(
    db: Annotated[str, typer.Option("--db", help="Database URL of this site.")],
    study: Annotated[str, typer.Option("--study", help="Study name in the database.")],
    endpoint: Annotated[str, typer.Option("--endpoint", help="Instrument total, e.g. easi.")],
    week: Annotated[float, typer.Option("--week", help="ANCOVA week (post-baseline).")],
    site: Annotated[str, typer.Option("--site", help="This site's name, as the centre knows it.")],
    out: Annotated[Path, typer.Option("--out", help="JSON file to write and send.")],
    control: Annotated[
        str | None, typer.Option("--control", help="Control arm code (default: placebo/control).")
    ] = None,
    population: Annotated[str, typer.Option("--population", help="fas or per_protocol.")] = "fas",
    min_cell: Annotated[
        int, typer.Option("--min-cell", help="No cell from fewer subjects than this.")
    ] = 5,
) -> None:
    """Compute this site's sufficient statistics (no rows, no identifiers) into --out.

    Example: autoserum federate summarize --db sqlite:///site.db --study AST --endpoint easi
    --week 12 --site seoul --out seoul.json
    """
    from autoserum.analysis import site_summary
    from autoserum.cli.analysis import _load_db

    if population not in ("fas", "per_protocol"):
        raise ValidationError("--population", population, Expected("fas or per_protocol"))
    if min_cell < 1:
        raise ValidationError(
            "--min-cell", min_cell, Expected("a whole number of subjects, at least 1")
        )
    data = _load_db(db, study)
    doc = site_summary(
        data.visits,
        endpoint,
        week,
        site=site,
        study=study,
        control=control,
        population="fas" if population == "fas" else "per_protocol",
        min_cell=min_cell,
    )
    out.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    withheld = [s for c in doc["comparisons"] for s in c["sums"]["suppressed"]]
    from autoserum.cli._say import language, number
    from autoserum.i18n import translate_plural

    lang = language()
    typer.echo(
        translate_plural(lang, "wrote %(path)s (%(n)s cell withheld by small-cell suppression)",
                         "wrote %(path)s (%(n)s cells withheld by small-cell suppression)",
                         len(withheld), path=out, n=number(len(withheld), lang))
    )  # fmt: skip


def _read(path: Path) -> Any:
    if not path.is_file():
        raise ValidationError("FILE", str(path), Expected("an existing site summary (.json)"))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValidationError(
            "FILE", str(path), Expected("a JSON site summary (%(err)s)", err=err)
        ) from None


def combine(
    files: Annotated[list[Path], typer.Argument(help="The sites' summary files.")],
    allow_suppressed: Annotated[
        bool,
        typer.Option(
            "--allow-suppressed",
            help="Fit on what remains when sites withheld small cells (not the pooled fit).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Fit the ANCOVA and MMRM of the pooled rows from the sites' sums.

    Example: autoserum federate combine seoul.json busan.json osaka.json --json
    """
    from autoserum.analysis import combine_summaries

    result = combine_summaries([_read(f) for f in files], allow_suppressed=allow_suppressed)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, allow_nan=False))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from autoserum.cli._say import language, note, translate

    lang = language()
    table = Table(
        translate(lang, "method"), translate(lang, "arm"), translate(lang, "week"),
        translate(lang, "n"), translate(lang, "estimate"), translate(lang, "SE"),
        translate(lang, "95 % CI"), translate(lang, "df"), translate(lang, "p"),
        title=translate(lang, "%(endpoint)s: treatment − %(control)s, sites %(sites)s",
                        endpoint=result.endpoint.upper(), control=result.control,
                        sites=", ".join(result.sites)),
    )  # fmt: skip
    for r in result.between.iter_rows(named=True):
        table.add_row(
            r["method"],
            r["arm"],
            f"{r['week']:g}",
            f"{r['n_treatment']}+{r['n_control']}",
            f"{r['estimate']:.3f}",
            f"{r['se']:.3f}",
            translate(
                lang, "%(low)s to %(high)s", low=f"{r['ci_low']:.3f}", high=f"{r['ci_high']:.3f}"
            ),
            f"{r['df']:g}",
            f"{r['p_value']:.4f}",
        )
    console = Console()
    console.print(table)
    noted = translate(lang, "note:")
    for text in result.notes:
        console.print(f"[yellow]{noted}[/yellow] {escape(note(text, lang))}")


app.command("summarize")(summarize)
app.command("combine")(combine)


def register(root: typer.Typer) -> None:
    """Add the ``federate`` group to the autoserum CLI."""
    root.add_typer(app, name="federate")
