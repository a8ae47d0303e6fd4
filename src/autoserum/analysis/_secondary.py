"""Secondary endpoints with multiplicity adjustment (Holm, Benjamini–Hochberg).

Reference: Holm, Scand J Stat 1979;6:65-70; Benjamini & Hochberg, J R Stat Soc B
1995;57:289-300; EMA guideline on multiplicity issues in clinical trials (2017).

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> from autoserum.analysis import analyze_endpoint
>>> results = [
...     analyze_endpoint(study.visits, e, 8, control="placebo") for e in ("dlqi", "scorad")
... ]
>>> table = secondary_table(results)
>>> rows = table.select("endpoint", "p_value", "p_holm").rows()
>>> [(endpoint, round(p, 4), round(holm, 4)) for endpoint, p, holm in rows]
[('dlqi', 0.0071, 0.0142), ('scorad', 0.6182, 0.6182)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from autoserum import stats
from autoserum.analysis._endpoint import EndpointResult

__all__ = ["SECONDARY_SCHEMA", "secondary_table"]

SECONDARY_SCHEMA: dict[str, Any] = {
    "endpoint": pl.String,
    "comparison": pl.String,
    "method": pl.String,
    "week": pl.Float64,
    "n": pl.Int64,
    "estimate": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_value": pl.Float64,
    "p_holm": pl.Float64,
    "p_bh": pl.Float64,
}


def _row(result: EndpointResult) -> list[dict[str, Any]]:
    at = pl.col("week") == result.week
    out = []
    if result.control is not None:
        for r in result.between.filter(at & (pl.col("method") == "ancova")).iter_rows(named=True):
            out.append(
                {
                    "endpoint": result.endpoint,
                    "comparison": f"{r['arm']} − {r['control']}",
                    "method": "ancova",
                    "n": r["n_treatment"] + r["n_control"],
                    **{k: r[k] for k in ("estimate", "ci_low", "ci_high", "p_value")},
                }
            )
    else:
        for r in result.within.filter(at).iter_rows(named=True):
            out.append(
                {
                    "endpoint": result.endpoint,
                    "comparison": f"{r['arm']}: change from baseline",
                    "method": "paired_t",
                    "n": r["n"],
                    "estimate": r["mean_change"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "p_value": r["t_p_value"],
                }
            )
    return [{**r, "week": result.week} for r in out]


def secondary_table(results: Sequence[EndpointResult]) -> pl.DataFrame:
    """One row per secondary endpoint (and comparison): the ANCOVA difference at the week
    between arms, or the mean change with the paired t-test for a single arm; ``p_holm`` and
    ``p_bh`` adjust the p-values across all rows (``stats.p_adjust``; missing p-values are left
    out of the family and stay missing)."""
    rows = [row for result in results for row in _row(result)]
    frame = pl.DataFrame(
        rows, schema={k: v for k, v in SECONDARY_SCHEMA.items() if k not in ("p_holm", "p_bh")}
    )
    p = frame["p_value"].to_numpy()
    ok = np.isfinite(p)
    holm = np.full(len(p), np.nan)
    bh = np.full(len(p), np.nan)
    if ok.any():
        holm[ok] = stats.p_adjust(p[ok], "holm")
        bh[ok] = stats.p_adjust(p[ok], "BH")
    return frame.with_columns(pl.Series("p_holm", holm), pl.Series("p_bh", bh)).select(
        list(SECONDARY_SCHEMA)
    )
