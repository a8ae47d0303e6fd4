"""The parameter tables of ``docs/simulate.md``, generated from the scenarios.

``docs/simulate.md`` holds the generated tables between the markers ``<!-- parameters:start -->``
and ``<!-- parameters:end -->``; ``scripts/simulate_docs.py`` rewrites them and a test checks
that the file matches the code.

>>> table = parameter_table()
>>> table.columns
['scenario', 'parameter', 'value', 'source']
"""

from __future__ import annotations

import polars as pl

from autoserum.simulate._model import numeric_leaves
from autoserum.simulate.scenarios import SCENARIOS

__all__ = ["END", "START", "parameter_markdown", "parameter_table", "target_table"]

START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"


def parameter_table() -> pl.DataFrame:
    """Every numeric parameter of every scenario with its provenance (``source``)."""
    rows = [
        {
            "scenario": code,
            "parameter": path,
            "value": value,
            "source": scenario.sources.get(path, ""),
        }
        for code, scenario in SCENARIOS.items()
        for path, value in numeric_leaves(scenario)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "scenario": pl.String,
            "parameter": pl.String,
            "value": pl.Float64,
            "source": pl.String,
        },
    )


def target_table() -> pl.DataFrame:
    """The published targets each scenario reproduces (checked by the calibration tests)."""
    rows = [
        {
            "scenario": code,
            "target": t.name,
            "statistic": t.statistic,
            "column": t.column,
            "arm": t.arm,
            "week": t.week,
            "value": t.value,
            "tolerance": t.tolerance,
            "source": t.source,
        }
        for code, scenario in SCENARIOS.items()
        for t in scenario.targets
    ]
    return pl.DataFrame(rows)


def _number(value: float) -> str:
    return f"{value:.4g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def parameter_markdown() -> str:
    """The generated section of ``docs/simulate.md`` (between the markers, exclusive)."""
    lines: list[str] = ["", "### Published targets", ""]
    lines.append("| scenario | target | statistic | arm | week | value | tolerance | source |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for row in target_table().iter_rows(named=True):
        lines.append(
            f"| {row['scenario']} | {row['target']} | {row['statistic']} ({row['column']}) | "
            f"{row['arm']} | {_number(row['week'])} | {_number(row['value'])} | "
            f"±{_number(row['tolerance'])} | {_cell(row['source'])} |"
        )
    table = parameter_table()
    for code in SCENARIOS:
        lines += ["", f"### Parameters of `{code}`", ""]
        lines.append("| parameter | value | source |")
        lines.append("|---|---|---|")
        for row in table.filter(pl.col("scenario") == code).iter_rows(named=True):
            lines.append(
                f"| `{row['parameter']}` | {_number(row['value'])} | {_cell(row['source'])} |"
            )
    lines.append("")
    return "\n".join(lines)
