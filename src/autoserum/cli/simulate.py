"""CLI: ``autoserum simulate``: a synthetic study of a protocol, to files or into a database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autoserum.errors import Expected, ValidationError

__all__ = ["register", "simulate_command"]


def simulate_command(
    protocol: Annotated[str, typer.Argument(help="Protocol code, e.g. ast-nahm2023.")],
    subjects: Annotated[int, typer.Option("--subjects", help="Number of enrolled subjects.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same output).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write FILE.csv or FILE.parquet (+ FILE.ae.csv/.parquet)."),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL to load into (e.g. sqlite:///t.db).")
    ] = None,
    study: Annotated[
        str | None, typer.Option("--study", help="Study name in the database (with --db).")
    ] = None,
    serious_per_year: Annotated[
        float | None,
        typer.Option(
            "--serious-per-year",
            help="Serious adverse events per subject-year (default: the scenario's assumption, "
            "0.15; a higher rate is illustrative, as in the demo).",
        ),
    ] = None,
) -> None:
    """Simulate a study of PROTOCOL modelled on its published results.

    Writes the tidy long format (items, totals, labs), the adverse events and the concomitant
    medication (with rescue) to --out.
    Or loads them into a new study of --db, validated by the store's import.
    The same seed always gives the same data.

    --serious-per-year sets the rate of serious adverse events (an illustrative rate: the demo's
    small studies use 1.5 so that they have serious events to show).

    Example: autoserum simulate ast-nahm2023 --subjects 200 --seed 1 --out serum.csv

    Example: autoserum simulate asim-choi2024 --subjects 25 --seed 1 --db sqlite:///d.db --study s1
    """

    if (out is None) == (db is None):
        raise ValidationError("--out/--db", None, Expected("exactly one of --out FILE or --db URL"))
    if db is not None and not study:
        raise ValidationError("--study", study, Expected("a study name (required with --db)"))
    if out is not None and study is not None:
        raise ValidationError("--study", study, Expected("--study only with --db"))
    import polars as pl

    from autoserum.cli._product_steps import record_product_steps
    from autoserum.cli._sae_steps import record_serious_events
    from autoserum.cli._say import counted, language, number, translate
    from autoserum.simulate import conmed_path, simulate_product, simulate_study, write_study
    from autoserum.store import Actor, open_store

    lang = language()
    result = simulate_study(protocol, subjects, seed, serious_per_year=serious_per_year)
    if out is not None:
        visits, events = write_study(result, out)
        typer.echo(
            translate(lang, "wrote %(visits)s visit rows to %(visit_file)s and %(events)s "
                      "adverse events to %(event_file)s and %(meds)s concomitant medications "
                      "to %(med_file)s", visits=number(result.visits.height, lang),
                      visit_file=visits, events=number(result.adverse_events.height, lang),
                      event_file=events, meds=number(result.con_meds.height, lang),
                      med_file=conmed_path(out))
        )  # fmt: skip
        return
    if db is None or not study:  # unreachable after the checks above; narrows the types
        raise ValidationError("--db/--study", db, Expected("a database URL and a study name"))
    store = open_store(db)
    actor = Actor("simulate", "admin")
    try:
        counts = store.exports.import_long(
            study,
            result.visits,
            actor=actor,
            adverse_events=result.adverse_events.filter(~pl.col("serious")),
            con_meds=result.con_meds,
            source=f"simulate {protocol} --subjects {subjects} --seed {seed}"
            + ("" if serious_per_year is None else f" --serious-per-year {serious_per_year:g}"),
            protocol=protocol,
        )
        steps = simulate_product(result.visits, store.studies.protocol(study), seed=seed)
        counts |= record_product_steps(store, study, steps, actor=actor)
        for table, n in record_serious_events(store, study, result.serious, actor=actor).items():
            counts[table] = counts.get(table, 0) + n
    finally:
        store.close()
    typer.echo(
        translate(lang, "simulated into study %(study)s: %(parts)s", study=study,
                  parts=counted(lang, counts))
    )  # fmt: skip


def register(root: typer.Typer) -> None:
    """Add ``simulate`` to the root application."""
    root.command("simulate")(simulate_command)
