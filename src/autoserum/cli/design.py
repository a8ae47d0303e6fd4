"""CLI: ``autoserum design grid GRID.toml --out results.parquet``: power over a grid of designs,
in this process, on a local Dask cluster (``--workers N``) or an existing one (``--scheduler``).

A thin edge over :func:`autoserum.design.run_grid`: it reads the grid file, shows a progress
bar and says what was written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app", "grid_command", "register"]

app = typer.Typer(
    name="design",
    help=(
        "Design the next trial: power over a grid of protocols, sample sizes, effects, dropout "
        "and tests, by simulating whole trials.\n\n"
        "Example: autoserum design grid examples/design-grid.toml --out grid.parquet"
    ),
    no_args_is_help=True,
)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    import sys

    if not sys.stderr.isatty() or total == 0:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    from autoserum.cli._say import language, translate

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(translate(language(), "design grid tasks"), total=total)
        yield lambda k: bar.advance(task, k)


@app.command("grid")
def grid_command(
    grid_file: Annotated[Path, typer.Argument(help="The grid (TOML); see docs/design.md.")],
    out: Annotated[Path, typer.Option("--out", help="Results, one row per cell (.parquet).")],
    workers: Annotated[
        int, typer.Option("--workers", help="Start a local Dask cluster of N worker processes.")
    ] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Use an existing Dask cluster: tcp://HOST:PORT."),
    ] = None,
    plots: Annotated[
        Path | None,
        typer.Option("--plots", help="Write power curves (SVG) per protocol/effect/dropout here."),
    ] = None,
) -> None:
    """Power of every cell of a design grid, by simulated trials split into seed ranges.

    Resumable: finished tasks are kept in OUT.parts/ and skipped when run again. Results are the
    same whatever the number of workers.

    Example: autoserum design grid examples/design-grid.toml --out grid.parquet --workers 2
    """
    from autoserum.design import load_grid, plot_grid, run_grid

    grid = load_grid(grid_file)
    with _progress(len(grid.tasks())) as progress:
        run = run_grid(grid, out, workers=workers, scheduler=scheduler, progress=progress)
    from autoserum.cli._say import language, number, translate

    lang = language()
    typer.echo(
        translate(lang, "%(cells)s cells (%(ran)s tasks run, %(skipped)s already done) written "
                  "to %(path)s", cells=number(len(run.cells), lang), ran=number(run.ran, lang),
                  skipped=number(run.skipped, lang), path=out)
    )  # fmt: skip
    if plots is not None:
        for path in plot_grid(run.cells, plots):
            typer.echo(translate(lang, "power curve written to %(path)s", path=path))


def register(root: typer.Typer) -> None:
    """Add ``design`` to the root application."""
    root.add_typer(app, name="design")
