"""Design grids: power over protocol × sample size × effect × dropout × test, split into tasks
by seed ranges.

A grid file (TOML) lists the values of each dimension; every combination is a *cell* and every
cell is run as ``reps`` simulated trials with seeds ``seed .. seed + reps - 1`` (common random
numbers across cells), cut into *tasks* of ``chunk`` consecutive seeds. A task's result (its
rejections and failed analyses) depends only on the task, so tasks can run in any order, on
any number of workers, and be resumed; a cell's power is the sum of its tasks' counts.

``effects`` multiply every arm's treatment effect of the protocol's simulation scenario and
``dropouts`` its dropout hazard (1 = the scenario as published).

>>> grid = parse_grid({"protocols": ["ast-nahm2023"], "subjects": [40, 60], "tests": ["ancova"],
...                    "endpoint": "scorad", "week": 8, "reps": 200, "chunk": 50})
>>> len(grid.cells()), len(grid.tasks())
(2, 8)
>>> parse_grid({"protocols": ["ast-nahm2023"], "subjects": [1], "tests": ["ancova"],
...             "endpoint": "scorad", "week": 8})
Traceback (most recent call last):
...
autoserum.errors.ValidationError: subjects[0]: got 1; expected an integer >= 2
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autoserum.design._protocol_power import (
    ProtocolTrials,
    count_protocol_rejections,
    protocol_power,
)
from autoserum.errors import Expected, ValidationError

__all__ = ["DesignGrid", "GridCell", "GridTask", "load_grid", "parse_grid", "run_task", "summarise"]

_KEYS = {
    "protocols",
    "subjects",
    "effects",
    "dropouts",
    "tests",
    "endpoint",
    "week",
    "reps",
    "chunk",
    "seed",
    "alpha",
}


@dataclass(frozen=True, order=True)
class GridCell:
    """One combination of the grid's dimensions."""

    protocol: str
    subjects: int
    effect: float
    dropout: float
    test: str


@dataclass(frozen=True, order=True)
class GridTask:
    """The trials of seeds ``seed .. seed + reps - 1`` of one cell."""

    cell: GridCell
    seed: int
    reps: int


@dataclass(frozen=True)
class DesignGrid:
    """A parsed grid file; see the module docstring."""

    protocols: tuple[str, ...]
    subjects: tuple[int, ...]
    effects: tuple[float, ...]
    dropouts: tuple[float, ...]
    tests: tuple[str, ...]
    endpoint: str
    week: float
    reps: int = 1000
    chunk: int = 100
    seed: int = 1
    alpha: float = 0.05

    def cells(self) -> list[GridCell]:
        """Every combination, in the order of the file's lists."""
        return [
            GridCell(p, n, e, d, t)
            for p, n, e, d, t in itertools.product(
                self.protocols, self.subjects, self.effects, self.dropouts, self.tests
            )
        ]

    def tasks(self) -> list[GridTask]:
        """Every cell's seed ranges of at most ``chunk`` trials."""
        return [
            GridTask(cell, self.seed + start, min(self.chunk, self.reps - start))
            for cell in self.cells()
            for start in range(0, self.reps, self.chunk)
        ]

    def task_key(self, task: GridTask) -> str:
        """A name for the task's result that changes with anything that changes the result."""
        what = {
            **asdict(task.cell),
            "seed": task.seed,
            "reps": task.reps,
            "endpoint": self.endpoint,
            "week": self.week,
            "alpha": self.alpha,
        }
        digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]
        return f"{task.cell.protocol}-n{task.cell.subjects}-{task.cell.test}-s{task.seed}-{digest}"


def _list(raw: Mapping[str, Any], key: str, default: Sequence[Any] | None = None) -> list[Any]:
    value = raw.get(key, default)
    if value is None:
        raise ValidationError(key, None, Expected("a list of %(key)s (required)", key=key))
    if not isinstance(value, list | tuple) or not value:
        raise ValidationError(key, value, Expected("a non-empty list"))
    if len(set(value)) != len(value):
        raise ValidationError(key, value, Expected("a list without repeated values"))
    return list(value)


def _number(key: str, value: Any, *, integer: bool, least: float) -> Any:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or not math.isfinite(value) or value < least:
        kind = "an integer" if integer else "a number"
        raise ValidationError(
            key, value, Expected("%(kind)s >= %(least)s", kind=kind, least=format(least, "g"))
        )
    return int(value) if integer else float(value)


def parse_grid(raw: Mapping[str, Any]) -> DesignGrid:
    """A grid from a mapping (a parsed TOML file); errors name the field and the value."""
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ValidationError(
            unknown[0],
            raw[unknown[0]],
            Expected("one of %(values)s", values=", ".join(sorted(_KEYS))),
        )
    protocols = _list(raw, "protocols")
    for i, code in enumerate(protocols):
        if not isinstance(code, str) or not code:
            raise ValidationError(f"protocols[{i}]", code, Expected("a protocol-library code"))
    subjects = [
        _number(f"subjects[{i}]", n, integer=True, least=2)
        for i, n in enumerate(_list(raw, "subjects"))
    ]
    effects = [
        _number(f"effects[{i}]", e, integer=False, least=0)
        for i, e in enumerate(_list(raw, "effects", [1.0]))
    ]
    dropouts = [
        _number(f"dropouts[{i}]", d, integer=False, least=0)
        for i, d in enumerate(_list(raw, "dropouts", [1.0]))
    ]
    tests = [str(t).lower().replace("-", "_") for t in _list(raw, "tests")]
    endpoint = raw.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ValidationError("endpoint", endpoint, Expected("an instrument total, e.g. scorad"))
    week = _number("week", raw.get("week"), integer=False, least=0)
    reps = _number("reps", raw.get("reps", 1000), integer=True, least=10)
    chunk = _number("chunk", raw.get("chunk", 100), integer=True, least=1)
    seed = _number("seed", raw.get("seed", 1), integer=True, least=0)
    alpha = _number("alpha", raw.get("alpha", 0.05), integer=False, least=0)
    if not 0 < alpha < 1:
        raise ValidationError("alpha", alpha, Expected("a number strictly between 0 and 1"))
    return DesignGrid(
        protocols=tuple(protocols),
        subjects=tuple(subjects),
        effects=tuple(effects),
        dropouts=tuple(dropouts),
        tests=tuple(tests),
        endpoint=endpoint,
        week=week,
        reps=reps,
        chunk=chunk,
        seed=seed,
        alpha=alpha,
    )


def load_grid(path: str | Path) -> DesignGrid:
    """Read and check a grid file (TOML)."""
    source = Path(path)
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as err:
        raise ValidationError(
            "GRID",
            str(source),
            Expected("a readable TOML file (%(strerror)s)", strerror=err.strerror),
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ValidationError(
            "GRID", str(source), Expected("a valid TOML file (%(err)s)", err=err)
        ) from None
    return parse_grid(raw)


def run_task(grid: DesignGrid, task: GridTask) -> dict[str, Any]:
    """Run one task: its seed range of simulated trials, analysed; a JSON-ready row.

    A module-level function of picklable arguments, so a Dask worker can run it.
    """
    c = task.cell
    counts = count_protocol_rejections(
        c.protocol,
        n_subjects=c.subjects,
        endpoint=grid.endpoint,
        week=grid.week,
        test=c.test,
        seed=task.seed,
        reps=task.reps,
        sig_level=grid.alpha,
        effect_scale=c.effect,
        dropout_scale=c.dropout,
    )
    return {
        **asdict(c),
        "seed": task.seed,
        "reps": task.reps,
        "rejections": counts.rejections,
        "failures": counts.failures,
    }


def summarise(grid: DesignGrid, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per cell (in the grid's order): counts added over its tasks, the power, its
    Monte-Carlo SE and 95% interval. Needs every task's row."""
    by_cell: dict[GridCell, list[Mapping[str, Any]]] = {}
    for row in rows:
        cell = GridCell(
            row["protocol"], row["subjects"], row["effect"], row["dropout"], row["test"]
        )
        by_cell.setdefault(cell, []).append(row)
    out = []
    for cell in grid.cells():
        parts = sorted(by_cell.get(cell, []), key=lambda r: int(r["seed"]))
        reps = sum(int(r["reps"]) for r in parts)
        if reps != grid.reps:
            raise ValidationError(
                "rows", f"{reps} trials of {cell}", Expected("%(reps)s trials", reps=grid.reps)
            )
        counts = ProtocolTrials(
            seed=grid.seed,
            reps=reps,
            rejections=sum(int(r["rejections"]) for r in parts),
            failures=sum(int(r["failures"]) for r in parts),
        )
        power = protocol_power(
            cell.protocol,
            counts,
            n_subjects=cell.subjects,
            endpoint=grid.endpoint,
            week=grid.week,
            test=cell.test,
            sig_level=grid.alpha,
        )
        out.append(
            {
                **asdict(cell),
                "endpoint": grid.endpoint,
                "week": grid.week,
                "alpha": grid.alpha,
                "seed": grid.seed,
                "reps": reps,
                "rejections": counts.rejections,
                "failures": counts.failures,
                "power": power.power,
                "mc_se": power.mc_se,
                "ci_low": power.ci_low,
                "ci_high": power.ci_high,
            }
        )
    return out
