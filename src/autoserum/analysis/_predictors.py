"""Responder characteristics: baseline covariates of responders against non-responders.

As in the ASIM pilot (Choi et al., 2024), each baseline covariate is compared between the
responders and the non-responders of one responder rule at the analysis week: a numeric
covariate by the Mann–Whitney test with the group medians, ``sex`` by Fisher's exact test
(proportion female).

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> import polars as pl
>>> from autoserum.analysis import build_adsl, build_bds
>>> bds = build_bds(study.visits, ["easi"])
>>> flagged = bds.filter(pl.col("analysis_flag") & pl.col("fas") & (pl.col("week") == 8))
>>> arms = ("placebo", "serum")
>>> table = predictor_table(
...     flagged, build_adsl(study.visits), "easi_50", ["age"], arms, ctrl=None, notes=[]
... )
>>> table.select("name", "test", "n_responders", "n_non_responders").row(0)
('age', 'mann_whitney', 9, 18)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from autoserum import stats
from autoserum.analysis._tables import attempt
from autoserum.errors import Expected, Message, Note, ValidationError

__all__ = ["PREDICTOR_SCHEMA", "predictor_column", "predictor_table"]

NAN = float("nan")

PREDICTOR_SCHEMA: dict[str, Any] = {
    "name": pl.String,
    "test": pl.String,
    "n_responders": pl.Int64,
    "n_non_responders": pl.Int64,
    "responders_median": pl.Float64,
    "non_responders_median": pl.Float64,
    "responders_female": pl.Int64,
    "non_responders_female": pl.Int64,
    "p_value": pl.Float64,
}


def predictor_column(name: str, adsl: pl.DataFrame) -> str:
    """The ADSL column holding a predictor at baseline (``age``, ``sex`` or ``<x>_baseline``)."""
    column = name if name in ("age", "sex") else f"{name}_baseline"
    if column not in adsl.columns:
        options = [c.removesuffix("_baseline") for c in adsl.columns if c.endswith("_baseline")]
        options += [c for c in ("age", "sex") if c in adsl.columns]
        raise ValidationError(
            "predictors",
            name,
            Expected("a baseline covariate: %(values)s", values=", ".join(options)),
        )
    return column


def _median(notes: list[str], name: str, x: Any) -> float:
    if len(x) == 0:
        return NAN
    d = attempt(notes, Message("describe (%(what)s)", what=name), stats.describe, x)
    return NAN if d is None else float(d.median)


def predictor_table(
    flagged: pl.DataFrame,
    adsl: pl.DataFrame,
    rule: str | None,
    predictors: Sequence[str],
    arms: Sequence[str],
    *,
    ctrl: str | None,
    notes: list[str],
) -> pl.DataFrame:
    """One row per predictor: medians (or counts of women) and the p-value of the comparison.

    Subjects: the treatment arm(s) when there is a control, else everyone; those with a
    responder flag (a baseline and a value at the analysis week).
    """
    columns = {name: predictor_column(name, adsl) for name in predictors}
    out: list[dict[str, Any]] = []
    if rule is None or not predictors:
        return pl.DataFrame(out, schema=PREDICTOR_SCHEMA)
    keep = [a for a in arms if a != ctrl]
    subjects = (
        flagged.filter(pl.col("arm").is_in(keep) & pl.col(rule).is_not_null())
        .select("subject_id", pl.col(rule).alias("_responder"))
        .join(adsl, on="subject_id", how="left")
    )
    for name, column in columns.items():
        resp = subjects.filter(pl.col("_responder"))[column].drop_nulls()
        non = subjects.filter(~pl.col("_responder"))[column].drop_nulls()
        row: dict[str, Any] = {
            "name": name,
            "n_responders": resp.len(),
            "n_non_responders": non.len(),
        }
        if resp.len() == 0 or non.len() == 0:
            notes.append(
                Note(
                    Message(
                        "predictor %(name)s: no comparison, one group (responders or not) is empty",
                        name=name,
                    )
                )
            )
            row |= {"test": "fisher" if column == "sex" else "mann_whitney", "p_value": NAN}
            out.append(row)
            continue
        if column == "sex":
            k1, k0 = int((resp == "F").sum()), int((non == "F").sum())
            p = attempt(
                notes, f"Fisher ({name})", stats.fisher_exact, k1, resp.len(), k0, non.len()
            )
            row |= {
                "test": "fisher",
                "responders_female": k1,
                "non_responders_female": k0,
                "p_value": NAN if p is None else float(p),
            }
        else:
            x, y = resp.cast(pl.Float64).to_numpy(), non.cast(pl.Float64).to_numpy()
            mw = attempt(notes, f"Mann–Whitney ({name})", stats.mann_whitney, x, y)
            row |= {
                "test": "mann_whitney",
                "responders_median": _median(notes, name, x),
                "non_responders_median": _median(notes, name, y),
                "p_value": NAN if mw is None else float(mw.p_value),
            }
        out.append(row)
    return pl.DataFrame(out, schema=PREDICTOR_SCHEMA)
