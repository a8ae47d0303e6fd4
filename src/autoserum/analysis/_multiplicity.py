"""The multiplicity strategy of a statistical analysis plan over its family of hypotheses: the
primary estimand and the secondary endpoints, each treatment arm against the control.

- ``holm`` / ``bh``: adjusted p-values across the whole family (``stats.p_adjust``, as R's
  ``p.adjust``); a hypothesis is rejected when its adjusted p ≤ α.
- ``fixed_sequence``: per comparison, the endpoints are tested in the plan's ``order`` at the
  full α; testing stops at the first non-rejection. The adjusted p-value of the k-th endpoint is
  the largest p of the first k (Westfall & Krishen 2001), so "adjusted p ≤ α" is the decision.
- ``none``: the raw p-values.

Reference: EMA Guideline on multiplicity issues in clinical trials (EMA/CHMP/44762/2017);
Westfall PH, Krishen A. J Stat Plan Inference 2001;99:25-40; Holm S. Scand J Stat 1979;6:65-70.

>>> from autoserum.analysis import read_long
>>> from autoserum.simulate import simulate_study, write_study
>>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
>>> frame = read_long(csv)
>>> from autoserum.analysis import EXAMPLE_SAP, analyze_plan, parse_sap_text, plan_analysis
>>> from autoserum.protocols import load_protocol
>>> sap = parse_sap_text(EXAMPLE_SAP)
>>> primary = analyze_plan(frame, plan_analysis(frame, load_protocol("ast-nahm2023"), sap=sap))
>>> multiplicity_table(primary, [], sap).columns
['endpoint', 'arm', 'week', 'method', 'p_value', 'p_adjusted', 'rejected', 'tested']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from autoserum import stats
from autoserum.analysis._endpoint import EndpointResult
from autoserum.analysis._sap import Sap

__all__ = ["MULTIPLICITY_SCHEMA", "fixed_sequence", "multiplicity_table"]

MULTIPLICITY_SCHEMA: dict[str, Any] = {
    "endpoint": pl.String,
    "arm": pl.String,
    "week": pl.Float64,
    "method": pl.String,
    "p_value": pl.Float64,
    "p_adjusted": pl.Float64,
    "rejected": pl.Boolean,
    "tested": pl.Boolean,
}


def fixed_sequence(p_values: Sequence[float], alpha: float) -> tuple[list[float], list[bool]]:
    """Adjusted p-values (running maximum) and which hypotheses were tested, in order.

    >>> fixed_sequence([0.01, 0.04, 0.20, 0.001], 0.05)
    ([0.01, 0.04, 0.2, 0.2], [True, True, True, False])
    """
    adjusted, tested, top, open_ = [], [], 0.0, True
    for p in p_values:
        top = max(top, p)
        adjusted.append(top)
        tested.append(open_)
        open_ = open_ and top <= alpha
    return adjusted, tested


def _p(result: EndpointResult, method: str, arm: str) -> float:
    rows = result.between.filter(
        (pl.col("week") == result.week) & (pl.col("method") == method) & (pl.col("arm") == arm)
    )
    return float(rows["p_value"][0]) if rows.height else float("nan")


def multiplicity_table(
    primary: EndpointResult, secondary: Sequence[EndpointResult], sap: Sap
) -> pl.DataFrame:
    """The family of the plan (primary by its method, secondary endpoints by ANCOVA), each
    treatment arm against the control, with the adjusted p-value and decision of the plan's
    strategy."""
    m = sap.multiplicity
    by_endpoint = {primary.endpoint: primary, **{r.endpoint: r for r in secondary}}
    order = list(m.order) or [primary.endpoint, *(r.endpoint for r in secondary)]
    rows: list[dict[str, Any]] = []
    for arm in primary.treatments:
        for name in order:
            res = by_endpoint.get(name)
            if res is None:
                continue
            method = sap.primary.method if res is primary else "ancova"
            rows.append(
                {"endpoint": name, "arm": arm, "week": res.week, "method": method,
                 "p_value": _p(res, method, arm)}
            )  # fmt: skip
    if not rows:
        return pl.DataFrame(schema=MULTIPLICITY_SCHEMA)
    p = np.array([r["p_value"] for r in rows])
    adjusted = p.copy()
    tested = [True] * len(rows)
    ok = np.isfinite(p)
    if m.method in ("holm", "bh") and ok.any():
        adjusted[ok] = stats.p_adjust(p[ok], "holm" if m.method == "holm" else "BH")
    elif m.method == "fixed_sequence":
        for arm in primary.treatments:
            idx = [i for i, r in enumerate(rows) if r["arm"] == arm]
            seq = [p[i] if ok[i] else 1.0 for i in idx]
            adj, t = fixed_sequence(seq, m.alpha)
            for i, a, flag in zip(idx, adj, t, strict=True):
                adjusted[i], tested[i] = a, flag
    for i, r in enumerate(rows):
        r["p_adjusted"] = float(adjusted[i])
        r["tested"] = tested[i]
        r["rejected"] = bool(tested[i] and ok[i] and adjusted[i] <= m.alpha)
    return pl.DataFrame(rows, schema=MULTIPLICITY_SCHEMA)
