"""Sensitivity analyses of the primary estimand declared in a statistical analysis plan:
multiple imputation under MAR or a reference-based assumption (jump to reference, copy
reference, copy increments in reference) and the δ-adjusted tipping point, each treatment arm
against the control, computed by :mod:`autoserum.stats` (``multiple_imputation``,
``tipping_point``: seeded, pooled by Rubin's rules).

The data are every subject of the analysis set with a baseline, at every post-baseline week of
the endpoint (a missed visit is a missing outcome to impute), change from baseline.

Reference: ICH E9(R1) §A.5 (sensitivity analysis); Carpenter JR, Roger JH, Kenward MG,
J Biopharm Stat 2013;23:1352-71; Ratitch B, O'Kelly M, Tosiello R, Pharm Stat 2013;12:337-47.

>>> from autoserum.analysis import read_long
>>> from autoserum.simulate import simulate_study, write_study
>>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
>>> frame = read_long(csv)
>>> from autoserum.analysis import EXAMPLE_SAP, parse_sap_text, plan_analysis
>>> from autoserum.protocols import load_protocol
>>> sap = parse_sap_text(EXAMPLE_SAP)
>>> plan = plan_analysis(frame, load_protocol("ast-nahm2023"), sap=sap)
>>> table = sensitivity_table(frame, plan, sap.missing_data.sensitivity)
>>> table.height, table.columns[:3]
(2, ['analysis', 'arm', 'control'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from autoserum import stats
from autoserum.analysis._datasets import build_bds
from autoserum.analysis._plan import AnalysisPlan
from autoserum.analysis._sap import Sensitivity
from autoserum.analysis._tables import attempt
from autoserum.errors import Message

__all__ = ["SENSITIVITY_SCHEMA", "sensitivity_table"]

SENSITIVITY_SCHEMA: dict[str, Any] = {
    "analysis": pl.String,
    "arm": pl.String,
    "control": pl.String,
    "week": pl.Float64,
    "imputations": pl.Int64,
    "seed": pl.Int64,
    "n_subjects": pl.Int64,
    "n_imputed": pl.Int64,
    "estimate": pl.Float64,
    "se": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "df": pl.Float64,
    "p_value": pl.Float64,
    "tipping_delta": pl.Float64,
}

_STRATEGY = {"mi_mar": "MAR", "mi_j2r": "J2R", "mi_cr": "CR", "mi_cir": "CIR"}


def _grid(frame: pl.DataFrame, plan: AnalysisPlan) -> pl.DataFrame:
    """Every subject of the population with a baseline × every post-baseline week."""
    bds = build_bds(frame, [plan.endpoint])
    post = bds.filter(pl.col("post_baseline") & pl.col(plan.population))
    subjects = (
        post.filter(pl.col("baseline").is_not_null())
        .group_by("subject_id")
        .agg(pl.col("arm").first(), pl.col("baseline").first())
    )
    weeks = pl.DataFrame({"week": sorted(post["week"].unique().to_list())})
    grid = subjects.join(weeks, how="cross")
    values = post.filter(pl.col("analysis_flag")).select("subject_id", "week", "change")
    return grid.join(values, on=["subject_id", "week"], how="left").sort("subject_id", "week")


def sensitivity_table(
    frame: pl.DataFrame,
    plan: AnalysisPlan,
    analyses: Sequence[Sensitivity],
    notes: list[str] | None = None,
) -> pl.DataFrame:
    """One row per declared analysis (``mi_*``, ``tipping_point``) and treatment arm."""
    notes = notes if notes is not None else []
    rows: list[dict[str, Any]] = []
    if plan.control is None:
        return pl.DataFrame(rows, schema=SENSITIVITY_SCHEMA)
    grid = _grid(frame, plan)
    for arm in plan.treatments:
        pair = grid.filter(pl.col("arm").is_in([arm, plan.control]))
        args = (
            pair["subject_id"].cast(pl.Categorical).to_physical().to_numpy().astype(np.int64),
            pair["week"].to_numpy(),
            (pair["arm"] == arm).cast(pl.Int64).to_numpy(),
            pair["baseline"].to_numpy(),
            pair["change"].fill_null(np.nan).to_numpy(),
        )
        common = {"visit_of_interest": plan.week, "covariance": plan.mmrm_covariance}
        for spec in analyses:
            if spec.method == "observed_cases":
                continue
            tag = Message(
                "%(method)s (%(arm)s vs %(control)s)",
                method=spec.method,
                arm=arm,
                control=plan.control,
            )
            base = {
                "analysis": spec.label or spec.method,
                "arm": arm,
                "control": plan.control,
                "week": plan.week,
                "imputations": spec.imputations,
                "seed": spec.seed,
            }
            if spec.method == "tipping_point":
                tp = attempt(
                    notes, tag, stats.tipping_point, *args, seed=spec.seed, m=spec.imputations,
                    deltas=list(spec.deltas) or None, **common,
                )  # fmt: skip
                if tp is None:
                    continue
                at0 = next((r for r in tp.rows if r.delta == 0.0), tp.rows[0])
                rows.append(
                    {**base, "n_subjects": None, "n_imputed": None, "estimate": at0.estimate,
                     "se": at0.se, "ci_low": np.nan, "ci_high": np.nan, "df": np.nan,
                     "p_value": at0.p_value, "tipping_delta": tp.delta}
                )  # fmt: skip
                continue
            mi = attempt(
                notes, tag, stats.multiple_imputation, *args, seed=spec.seed,
                m=spec.imputations, strategy=_STRATEGY[spec.method], conf_level=plan.conf_level,
                **common,
            )  # fmt: skip
            if mi is None:
                continue
            p = mi.pooled
            rows.append(
                {**base, "n_subjects": mi.n_subjects, "n_imputed": mi.n_imputed,
                 "estimate": p.estimate, "se": p.se, "ci_low": p.ci_low, "ci_high": p.ci_high,
                 "df": p.df, "p_value": p.p_value, "tipping_delta": np.nan}
            )  # fmt: skip
    return pl.DataFrame(rows, schema=SENSITIVITY_SCHEMA)
