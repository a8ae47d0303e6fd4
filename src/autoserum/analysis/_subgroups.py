"""Subgroup analyses: the treatment effect (ANCOVA of change at the week) within each level of
a declared subgroup, and the test of the arm × subgroup interaction.

A numeric subgroup variable (a baseline value such as ``scorad_baseline``, or ``age``) is cut
at the plan's ``cuts`` into intervals ``< c1``, ``c1 to < c2``, …, ``≥ ck``; a text one (``sex``,
``site``) gives its levels. Within each level: ``stats.linear_model`` of change on arm and
baseline. Interaction: the F test comparing ``change ~ arm + baseline + subgroup`` with
``change ~ arm * subgroup + baseline`` (R ``anova(reduced, full)``), both fitted by
``stats.linear_model`` (the interaction columns are products of arm and level indicators).

Reference: Wang R et al., Statistics in medicine: reporting of subgroup analyses in clinical
trials, N Engl J Med 2007;357:2189-94; EMA guideline on the investigation of subgroups in
confirmatory clinical trials (EMA/CHMP/539146/2013).

>>> from autoserum.analysis import read_long
>>> from autoserum.simulate import simulate_study, write_study
>>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
>>> frame = read_long(csv)
>>> table = subgroup_table(frame, "easi", 8, control="placebo", variable="age", cuts=(23,))
>>> table["level"].to_list(), table["n"].to_list(), round(table["interaction_p_value"][0], 3)
(['< 23', '≥ 23'], [13, 14], 0.067)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy import stats as sps

from autoserum import stats
from autoserum.analysis._datasets import build_adsl, build_bds
from autoserum.analysis._tables import attempt
from autoserum.errors import Expected, Message, StatisticsError, ValidationError

__all__ = ["SUBGROUP_SCHEMA", "subgroup_table"]

SUBGROUP_SCHEMA: dict[str, Any] = {
    "variable": pl.String,
    "level": pl.String,
    "arm": pl.String,
    "control": pl.String,
    "n": pl.Int64,
    "estimate": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_value": pl.Float64,
    "interaction_f": pl.Float64,
    "interaction_df1": pl.Float64,
    "interaction_df2": pl.Float64,
    "interaction_p_value": pl.Float64,
}


def _levels(values: pl.Series, cuts: Sequence[float]) -> list[str | None]:
    if not cuts:
        return [None if v is None else str(v) for v in values.to_list()]
    edges = sorted(float(c) for c in cuts)

    def name(x: float | None) -> str | None:
        if x is None or x != x:
            return None
        k = int(np.searchsorted(edges, x, side="right"))
        if k == 0:
            return f"< {edges[0]:g}"
        if k == len(edges):
            return f"≥ {edges[-1]:g}"
        return f"{edges[k - 1]:g} to < {edges[k]:g}"

    return [name(v) for v in values.cast(pl.Float64).to_list()]


def _interaction(
    at: pl.DataFrame, control: str, conf_level: float, variable: str = "subgroup"
) -> tuple[float, float, float, float]:
    """F, df1, df2, p of the arm × subgroup interaction (``anova(reduced, full)``); the
    subgroup's levels enter the models as the covariate ``variable`` (the name a note gives)."""
    y = at["change"].to_numpy()
    arm = at["arm"].to_list()
    base = at["baseline"].to_numpy()
    sub = at["subgroup"].to_list()
    reduced = stats.linear_model(
        y, arm, control=control, baseline=base, covariates={variable: sub},
        conf_level=conf_level,
    )  # fmt: skip
    arms = sorted({a for a in arm if a != control})
    levels = sorted(set(sub))[1:]
    products = {
        f"{a}:{lv}": [float(x == a and s == lv) for x, s in zip(arm, sub, strict=True)]
        for a in arms
        for lv in levels
    }
    products = {k: v for k, v in products.items() if any(v)}
    full = stats.linear_model(
        y, arm, control=control, baseline=base, covariates={variable: sub, **products},
        conf_level=conf_level,
    )  # fmt: skip
    rss0 = reduced.sigma**2 * reduced.df_residual
    rss1 = full.sigma**2 * full.df_residual
    df1 = reduced.df_residual - full.df_residual
    if df1 <= 0:
        raise StatisticsError(Message("subgroup interaction: no interaction term is estimable"))
    f = ((rss0 - rss1) / df1) / (rss1 / full.df_residual)
    return f, df1, full.df_residual, float(sps.f.sf(f, df1, full.df_residual))


def subgroup_table(
    frame: pl.DataFrame,
    endpoint: str,
    week: float,
    *,
    control: str,
    variable: str,
    cuts: Sequence[float] = (),
    population: str = "fas",
    conf_level: float = 0.95,
    notes: list[str] | None = None,
) -> pl.DataFrame:
    """The treatment effect of each arm against ``control`` within each level of ``variable``
    (a subject-level column of the ADSL or a ``<parameter>_baseline``), with the interaction
    test repeated on every row of the variable."""
    notes = notes if notes is not None else []
    adsl = build_adsl(frame)
    if variable not in adsl.columns:
        known = [c for c in adsl.columns if c in ("age", "sex", "site") or c.endswith("_baseline")]
        raise ValidationError(
            "subgroups.variable", variable, Expected("one of %(values)s", values=", ".join(known))
        )
    bds = build_bds(frame, [endpoint]).filter(
        pl.col("analysis_flag") & pl.col(population) & (pl.col("week") == week)
    )
    subjects = adsl.select("subject_id", variable)
    at = bds.join(subjects, on="subject_id", how="left")
    at = at.with_columns(pl.Series("subgroup", _levels(at[variable], cuts), dtype=pl.String))
    at = at.filter(pl.col("subgroup").is_not_null())
    # the variable is a column code (age, site): the catalog's word if any
    tag = Message("subgroups by %(variable)s", variable=Message(variable))
    inter = attempt(
        notes,
        Message("interaction (%(what)s)", what=tag),
        _interaction,
        at,
        control,
        conf_level,
        variable,
    )
    f, df1, df2, p_int = inter if inter is not None else (np.nan,) * 4
    rows: list[dict[str, Any]] = []
    for level in sorted(set(at["subgroup"].to_list())):
        part = at.filter(pl.col("subgroup") == level)
        fit = attempt(
            notes,
            Message("ANCOVA (%(what)s = %(level)s)", what=tag, level=level),
            stats.linear_model,
            part["change"].to_numpy(),
            part["arm"].to_list(),
            control=control,
            baseline=part["baseline"].to_numpy(),
            conf_level=conf_level,
        )
        contrasts = {c.arm: c for c in fit.contrasts} if fit is not None else {}
        for arm in sorted(a for a in set(at["arm"].to_list()) if a != control):
            c = contrasts.get(arm)
            rows.append(
                {
                    "variable": variable,
                    "level": level,
                    "arm": arm,
                    "control": control,
                    "n": part.filter(pl.col("arm").is_in([arm, control])).height,
                    "estimate": c.estimate if c else np.nan,
                    "ci_low": c.ci_low if c else np.nan,
                    "ci_high": c.ci_high if c else np.nan,
                    "p_value": c.p_value if c else np.nan,
                    "interaction_f": f,
                    "interaction_df1": df1,
                    "interaction_df2": df2,
                    "interaction_p_value": p_int,
                }
            )
    return pl.DataFrame(rows, schema=SUBGROUP_SCHEMA)
