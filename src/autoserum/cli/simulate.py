"""CLI: ``autoserum simulate``: a synthetic study of a protocol, to files or into a database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autoserum.errors import ValidationError
from autoserum.simulate import simulate_study
from autoserum.simulate._io import write_study

__all__ = ["register", "simulate_command"]


def simulate_command(
    protocol: Annotated[str, typer.Argument(help="Protocol code, e.g. ast-nahm2023.")],
    subjects: Annotated[int, typer.Option("--subjects", help="Number of enrolled subjects.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same output).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write FILE.csv or FILE.parquet (+ FILE.ae.csv/.parquet)."),
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL to load into.")] = None,
    study: Annotated[
        str | None, typer.Option("--study", help="Study name in the database (with --db).")
    ] = None,
) -> None:
    """Simulate a study of PROTOCOL modelled on its published results.

    Writes the tidy long format (item-level data, totals, labs) and the adverse events, or
    loads them into a database study.

    Example: autoserum simulate ast-nahm2023 --subjects 200 --seed 1 --out serum.csv
    """
    if (out is None) == (db is None):
        raise ValidationError("--out/--db", None, "exactly one of --out FILE or --db URL")
    if db is not None and not study:
        raise ValidationError("--study", study, "a study name (required with --db)")
    if out is not None and study is not None:
        raise ValidationError("--study", study, "--study only with --db")
    result = simulate_study(protocol, subjects, seed)
    if out is not None:
        visits, events = write_study(result, out)
        typer.echo(
            f"wrote {result.visits.height} visit rows to {visits} and "
            f"{result.adverse_events.height} adverse events to {events}"
        )
        return
    raise ValidationError("--db", db, "a store (not available yet)")


def register(root: typer.Typer) -> None:
    """Add ``simulate`` to the root application."""
    root.command("simulate")(simulate_command)
