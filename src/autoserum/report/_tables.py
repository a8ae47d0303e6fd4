"""Display tables of the report: analysis results formatted for reading (rounding happens here
and only here), each with its footnote naming the methods.

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> from autoserum.analysis import analyze_endpoint
>>> result = analyze_endpoint(study.visits, "easi", 8, control="placebo")
>>> table = within_display(result, "easi-within")
>>> table.columns[:4]
('Arm', 'Week', 'n', 'Mean change (SD)')
>>> table.rows[0][:4]
('placebo', '4', '14', '0.5 (12.1)')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from autoserum import stats
from autoserum.analysis import EndpointResult, attempt
from autoserum.display import number as fmt
from autoserum.display import p_value as fmt_p
from autoserum.study.tidy import INSTRUMENT_RANGES, LAB_UNITS

__all__ = [
    "Table",
    "baseline_display",
    "between_display",
    "fmt",
    "fmt_p",
    "predictor_display",
    "responder_display",
    "secondary_display",
    "within_display",
]


@dataclass(frozen=True)
class Table:
    """A display table: an id (HTML anchor), a title, header, rows of text and a footnote."""

    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footnote: str = ""
    notes: tuple[str, ...] = field(default=())


def _ci(low: Any, high: Any, digits: int = 1) -> str:
    return f"{fmt(low, digits)} to {fmt(high, digits)}"


_LAB_NAMES = {
    "ige": "Total IgE",
    "eosinophils": "Blood eosinophils",
    "eosinophils_pct": "Blood eosinophils",
    "il10": "Serum IL-10",
    "ifng": "Serum IFN-γ",
    "treg_il10": "CD4⁺IL-10⁺ T cells",
    "age": "Age",
    "sex": "Sex",
}
_SPECIAL = {
    "viga_ad": "vIGA-AD",
    "oscorad": "oSCORAD",
    "po_scorad": "PO-SCORAD",
    "pp_nrs": "PP-NRS",
}


def label(parameter: str) -> str:
    """A display name for an instrument or lab with its unit."""
    if parameter in INSTRUMENT_RANGES:
        return _SPECIAL.get(parameter, parameter.upper().replace("_", "-"))
    unit = LAB_UNITS.get(parameter)
    name = _LAB_NAMES.get(parameter, parameter)
    return f"{name} ({unit})" if unit else name


def digits_for(parameter: str) -> int:
    """Display decimals: two for blood eosinophil counts, one otherwise."""
    return 2 if parameter == "eosinophils" else 1


def baseline_display(adsl: pl.DataFrame, covariates: Sequence[str], population: str) -> Table:
    """Baseline characteristics by arm and overall: mean (SD), median [Q1, Q3], n."""
    pop = adsl.filter(pl.col(population))
    arms = sorted(pop["arm"].unique().to_list())
    groups = [(a, pop.filter(pl.col("arm") == a)) for a in arms]
    if len(arms) > 1:
        groups.append(("Total", pop))
    columns = ("Characteristic", *(f"{a} (N = {g.height})" for a, g in groups))
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    if "sex" in pop.columns:
        cells = []
        for _, g in groups:
            known = g["sex"].drop_nulls()
            k = int((known == "F").sum())
            cells.append(
                f"{k}/{known.len()} ({fmt(100 * k / known.len() if known.len() else None)} %)"
            )
        rows.append(("Female, n/N (%)", *cells))
    for cov in covariates:
        col = cov if cov == "age" else f"{cov}_baseline"
        if col not in pop.columns:
            continue
        name = "Age (years)" if cov == "age" else label(cov)
        means, medians = [], []
        for _, g in groups:
            x = g[col].drop_nulls().cast(pl.Float64).to_numpy()
            if len(x) == 0:
                means.append("–")
                medians.append("–")
                continue
            d = attempt(notes, f"describe ({cov})", stats.describe, x)
            if d is None:
                means.append("–")
                medians.append("–")
                continue
            k = digits_for(cov)
            means.append(f"{fmt(d.mean, k)} ({fmt(d.sd, k)}); n = {d.n}")
            medians.append(f"{fmt(d.median, k)} [{fmt(d.q1, k)}, {fmt(d.q3, k)}]")
        rows.append((f"{name}, mean (SD)", *means))
        rows.append((f"{name}, median [Q1, Q3]", *medians))
    return Table(
        "baseline",
        f"Baseline characteristics ({population.upper().replace('_', '-')} population)",
        columns,
        tuple(rows),
        "Baseline = last non-missing value at or before week 0. SD: standard deviation; "
        "Q1, Q3: quartiles (R quantile type 7).",
        tuple(notes),
    )


def within_display(result: EndpointResult, table_id: str) -> Table:
    """Change from baseline within each arm at each visit."""
    rows = []
    for r in result.within.iter_rows(named=True):
        rows.append(
            (
                r["arm"],
                fmt(r["week"], 0),
                str(r["n"]),
                f"{fmt(r['mean_change'])} ({fmt(r['sd_change'])})",
                _ci(r["ci_low"], r["ci_high"]),
                f"{fmt(r['median_change'])} [{fmt(r['q1_change'])}, {fmt(r['q3_change'])}]",
                fmt_p(r["t_p_value"]),
                f"{fmt(r['hl_estimate'])} ({_ci(r['hl_ci_low'], r['hl_ci_high'])})",
                fmt_p(r["wilcoxon_p_value"]),
            )
        )
    return Table(
        table_id,
        f"{label(result.endpoint)}: change from baseline within arms",
        (
            "Arm",
            "Week",
            "n",
            "Mean change (SD)",
            "95 % CI",
            "Median [Q1, Q3]",
            "Paired t p",
            "HL estimate (95 % CI)",
            "Wilcoxon p",
        ),
        tuple(rows),
        "Observed cases with a baseline. 95 % CI of the mean from the t distribution; paired "
        "t-test; Wilcoxon signed-rank test (exact when n < 50 without ties or zeros, else normal "
        "approximation with continuity correction, as R wilcox.test) with the Hodges–Lehmann "
        "estimate and its CI. Negative change = improvement.",
        result.notes,
    )


_METHODS = {
    "ancova": "ANCOVA (change ~ arm + baseline)",
    "mmrm": "MMRM",
    "mann_whitney": "Mann–Whitney (HL shift)",
    "hedges_g": "Hedges' g",
}


def between_display(result: EndpointResult, table_id: str) -> Table:
    """Treatment − control: ANCOVA, MMRM per visit, Mann–Whitney, Hedges' g."""
    rows = []
    frame = result.between.with_columns(
        pl.col("method").replace_strict({m: i for i, m in enumerate(_METHODS)}).alias("_o")
    ).sort("arm", "_o", "week")
    for r in frame.iter_rows(named=True):
        digits = 2 if r["method"] == "hedges_g" else 1
        rows.append(
            (
                f"{r['arm']} − {r['control']}",
                _METHODS[r["method"]],
                fmt(r["week"], 0),
                f"{r['n_treatment']} / {r['n_control']}",
                fmt(r["estimate"], digits),
                fmt(r["se"], 2),
                _ci(r["ci_low"], r["ci_high"], digits),
                fmt_p(r["p_value"]),
            )
        )
    return Table(
        table_id,
        f"{label(result.endpoint)}: comparison between arms",
        (
            "Comparison",
            "Method",
            "Week",
            "n (treatment / control)",
            "Estimate",
            "SE",
            "95 % CI",
            "p",
        ),
        tuple(rows),
        "Estimates are treatment − control on change from baseline. ANCOVA: linear model of "
        "change on arm and baseline at the week. MMRM: change ~ arm × visit + baseline × visit, "
        "unstructured covariance, REML (as nlme::gls with corSymm and varIdent), all "
        "post-baseline visits. Mann–Whitney: Hodges–Lehmann shift with its CI. Hedges' g: "
        "standardised mean difference with small-sample correction.",
    )


def _rd(c: dict[str, Any] | None) -> str:
    if c is None:
        return ""
    ci = _ci(100 * c["rd_ci_low"], 100 * c["rd_ci_high"])
    return f"{fmt(100 * c['risk_difference'])} ({ci})"


def responder_display(result: EndpointResult, table_id: str) -> Table:
    """Responders per rule and arm with Wilson CIs, Newcombe risk difference, Fisher p."""
    comp = {
        (r["responder"], r["arm"]): r for r in result.responder_comparison.iter_rows(named=True)
    }
    rows = []
    for r in result.responders.iter_rows(named=True):
        c = comp.get((r["responder"], r["arm"]))
        rows.append(
            (
                r["label"],
                r["arm"],
                f"{r['responders']}/{r['n']}",
                f"{fmt(100 * r['rate'] if r['n'] else None)} %",
                _ci(100 * r["ci_low"], 100 * r["ci_high"]),
                _rd(c),
                fmt_p(c["fisher_p_value"]) if c else "",
            )
        )
    return Table(
        table_id,
        f"{label(result.endpoint)} responders at week {result.week:g}",
        (
            "Responder definition",
            "Arm",
            "n/N",
            "Rate",
            "95 % CI (%)",
            "Risk difference, % (95 % CI)",
            "Fisher p",
        ),
        tuple(rows),
        "Observed cases with a baseline and a value at the week. Wilson score intervals; risk "
        "difference (treatment − control) with Newcombe's hybrid score interval; two-sided "
        "Fisher's exact test.",
    )


def predictor_display(result: EndpointResult, table_id: str) -> Table:
    """Baseline characteristics of responders vs non-responders."""
    rows = []
    for r in result.predictors.iter_rows(named=True):
        if r["test"] == "fisher":
            a = f"{r['responders_female']}/{r['n_responders']} female"
            b = f"{r['non_responders_female']}/{r['n_non_responders']} female"
        else:
            a = f"{fmt(r['responders_median'], 2)} (n = {r['n_responders']})"
            b = f"{fmt(r['non_responders_median'], 2)} (n = {r['n_non_responders']})"
        rows.append(
            (
                label(r["name"]),
                a,
                b,
                "Fisher" if r["test"] == "fisher" else "Mann–Whitney",
                fmt_p(r["p_value"]),
            )
        )
    return Table(
        table_id,
        f"Baseline characteristics of {(result.predictor_rule or '').replace('_', '-').upper()} "
        "responders and non-responders",
        ("Characteristic", "Responders, median", "Non-responders, median", "Test", "p"),
        tuple(rows),
        "As in the ASIM pilot: baseline values compared between responders and non-responders "
        "(treatment arm when there is a control). Mann–Whitney U test (medians shown); Fisher's "
        "exact test for sex.",
    )


def secondary_display(secondary: pl.DataFrame, week: float) -> Table:
    """Secondary endpoints at the analysis week with Holm and BH adjusted p-values."""
    rows = [
        (
            label(r["endpoint"]),
            r["comparison"],
            r["method"],
            str(r["n"]),
            fmt(r["estimate"]),
            _ci(r["ci_low"], r["ci_high"]),
            fmt_p(r["p_value"]),
            fmt_p(r["p_holm"]),
            fmt_p(r["p_bh"]),
        )
        for r in secondary.iter_rows(named=True)
    ]
    return Table(
        "secondary",
        f"Secondary endpoints at week {week:g}, with multiplicity adjustment",
        ("Endpoint", "Comparison", "Method", "n", "Estimate", "95 % CI", "p", "p (Holm)", "p (BH)"),
        tuple(rows),
        "Between arms: ANCOVA of change adjusted for baseline (treatment − control); single arm: "
        "mean change with the paired t-test. p-values adjusted across the secondary endpoints by "
        "Holm's step-down method and by Benjamini–Hochberg (false discovery rate), as R p.adjust.",
    )
