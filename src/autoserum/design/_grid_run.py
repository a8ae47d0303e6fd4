"""Running a design grid: in this process, on a local Dask cluster or on an existing one.

Finished tasks are kept, one small JSON file each, in ``OUT.parts/`` beside the output, as
soon as they finish; a rerun skips them (resume after an interruption, or extend a grid). When
every task is done the cells are written to ``OUT`` (Parquet, one row per cell) and,
optionally, power curves (power against subjects, one line per test) per protocol × effect ×
dropout. Results do not depend on the number of workers: each task's result depends only on the
task, and cells are added up in the grid's order.

Workers are started with *spawn*, never fork: Polars' thread pool does not survive a fork.
Dask's ``distributed`` is imported only for ``workers`` > 0 or a ``scheduler`` address.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoserum.design._grid import DesignGrid, GridTask, run_task, summarise
from autoserum.errors import Expected, ValidationError

if TYPE_CHECKING:
    from distributed import Client
    from matplotlib.figure import Figure

__all__ = ["GridRun", "plot_grid", "run_grid"]

#: Environment of spawned workers: one thread each (the parallelism is the workers).
WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "POLARS_MAX_THREADS": "1",
}


@dataclass(frozen=True)
class GridRun:
    """What a run did: the cell rows, and how many tasks it ran and skipped (already done)."""

    cells: list[dict[str, Any]]
    ran: int
    skipped: int


def _parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def _write_part(path: Path, row: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(row, sort_keys=True), encoding="utf-8")
    tmp.replace(path)  # atomic: a part is either whole or absent


@contextmanager
def _client(workers: int, scheduler: str | None) -> Iterator[Client | None]:
    if not workers and scheduler is None:
        yield None
        return
    import dask
    from distributed import Client, LocalCluster

    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **WORKER_ENV}
    with dask.config.set(
        {
            "distributed.worker.multiprocessing-method": "spawn",
            "distributed.nanny.pre-spawn-environ": environ,
        }
    ):
        if scheduler is not None:
            with Client(scheduler) as client:  # type: ignore[no-untyped-call]
                yield client
            return
        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield client


def run_grid(
    grid: DesignGrid,
    out: str | Path,
    *,
    workers: int = 0,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> GridRun:
    """Run every unfinished task of ``grid`` and write the cells to ``out`` (Parquet).

    ``workers`` > 0 starts a local Dask cluster of that many single-threaded worker processes;
    ``scheduler`` (``tcp://host:port``) uses an existing Dask cluster instead; neither runs the
    tasks here, one after the other. ``progress`` is called with 1 for each task finished.
    """
    target = Path(out)
    if target.suffix.lower() != ".parquet":
        raise ValidationError("out", str(out), Expected("a .parquet file"))
    if workers < 0:
        raise ValidationError("workers", workers, Expected("0 (in this process) or more workers"))
    if workers and scheduler is not None:
        raise ValidationError(
            "scheduler", scheduler, Expected("either --workers or --scheduler, not both")
        )
    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        raise ValidationError(
            "scheduler", scheduler, Expected("a Dask scheduler address tcp://HOST:PORT")
        )
    if not target.parent.is_dir():
        raise ValidationError("out", str(out), Expected("a file in an existing folder"))
    parts = _parts_dir(target)
    parts.mkdir(exist_ok=True)
    tasks = grid.tasks()
    todo: list[GridTask] = []
    for task in tasks:
        if not (parts / f"{grid.task_key(task)}.json").is_file():
            todo.append(task)
    _check_first(grid, todo)
    with _client(workers, scheduler) as client:
        for task, row in _execute(grid, todo, client):
            _write_part(parts / f"{grid.task_key(task)}.json", row)
            if progress is not None:
                progress(1)
    rows = [
        json.loads((parts / f"{grid.task_key(t)}.json").read_text(encoding="utf-8")) for t in tasks
    ]
    cells = summarise(grid, rows)
    import polars as pl

    pl.DataFrame(cells).write_parquet(target)
    return GridRun(cells=cells, ran=len(todo), skipped=len(tasks) - len(todo))


def _check_first(grid: DesignGrid, todo: list[GridTask]) -> None:
    """Fail fast on a cell that cannot run (unknown protocol, test, endpoint or week): one
    trial of each distinct protocol × test here, before any worker starts."""
    from autoserum.design._protocol_power import count_protocol_rejections

    seen: set[tuple[str, str]] = set()
    for task in todo:
        c = task.cell
        if (c.protocol, c.test) in seen:
            continue
        seen.add((c.protocol, c.test))
        count_protocol_rejections(
            c.protocol,
            n_subjects=c.subjects,
            endpoint=grid.endpoint,
            week=grid.week,
            test=c.test,
            seed=task.seed,
            reps=1,
            sig_level=grid.alpha,
        )


def _execute(
    grid: DesignGrid, todo: list[GridTask], client: Client | None
) -> Iterator[tuple[GridTask, dict[str, Any]]]:
    if client is None:
        for task in todo:
            yield task, run_task(grid, task)
        return
    from distributed import as_completed

    futures = {client.submit(run_task, grid, task, pure=False): task for task in todo}
    for future in as_completed(futures):  # type: ignore[no-untyped-call]
        yield futures[future], future.result()


def plot_grid(cells: list[dict[str, Any]], out_dir: str | Path) -> list[Path]:
    """One power-curve figure (power against subjects, a line per test, ±2 Monte-Carlo SE)
    per protocol × effect × dropout; returns the SVG files written."""
    folder = Path(out_dir)
    if not folder.is_dir():
        raise ValidationError("plots", str(out_dir), Expected("an existing folder"))
    groups: dict[tuple[str, float, float], list[dict[str, Any]]] = {}
    for row in cells:
        groups.setdefault((row["protocol"], row["effect"], row["dropout"]), []).append(row)
    written = []
    for (protocol, effect, dropout), rows in groups.items():
        fig = _curve_figure(protocol, effect, dropout, rows)
        path = folder / f"power-{protocol}-effect{effect:g}-dropout{dropout:g}.svg"
        fig.savefig(path)
        import matplotlib.pyplot as plt

        plt.close(fig)
        written.append(path)
    return written


def _curve_figure(
    protocol: str, effect: float, dropout: float, rows: list[dict[str, Any]]
) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for test in dict.fromkeys(r["test"] for r in rows):
        line = sorted((r for r in rows if r["test"] == test), key=lambda r: r["subjects"])
        ax.errorbar(
            [r["subjects"] for r in line],
            [r["power"] for r in line],
            yerr=[2 * r["mc_se"] for r in line],
            marker="o",
            ms=3,
            capsize=2,
            label=test,
        )
    ax.axhline(0.8, color="grey", lw=0.6, ls="--")
    ax.set_ylim(0, 1)
    ax.set_xlabel("subjects enrolled")
    ax.set_ylabel("power")
    ax.set_title(f"{protocol}: effect × {effect:g}, dropout × {dropout:g}", fontsize=9)
    ax.legend(fontsize=8, title="test", title_fontsize=8)
    return fig
