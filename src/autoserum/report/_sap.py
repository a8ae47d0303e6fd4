"""The statistical analysis plan as a document (``autoserum sap render``) and the SAP section
of a study report (its hash and the estimand table).

>>> from autoserum.analysis import EXAMPLE_SAP, parse_sap_text
>>> files = write_sap(parse_sap_text(EXAMPLE_SAP), tmp_path, generated=dt.date(2026, 1, 5))
>>> files.html.suffix, files.pdf.read_bytes()[:5], len(files.sha256)
('.html', b'%PDF-', 64)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from autoserum import __version__
from autoserum.analysis import EndpointResult, Estimand, Sap
from autoserum.report._document import Document, Section
from autoserum.report._tables import Table, fmt, fmt_p, label

__all__ = [
    "SapFiles",
    "estimand_table",
    "multiplicity_display",
    "sap_document",
    "sap_section",
    "sensitivity_display",
    "write_sap",
]

_STRATEGY = {
    "treatment_policy": "treatment policy",
    "hypothetical": "hypothetical",
    "composite": "composite",
    "while_on_treatment": "while on treatment",
}
_SUMMARY = {
    "mean_difference": "difference in mean change from baseline",
    "responder_difference": "difference in responder proportions",
    "hazard_ratio": "hazard ratio",
}
_SENSITIVITY = {
    "mi_mar": "multiple imputation under MAR",
    "mi_j2r": "reference-based multiple imputation, jump to reference",
    "mi_cr": "reference-based multiple imputation, copy reference",
    "mi_cir": "reference-based multiple imputation, copy increments in reference",
    "tipping_point": "tipping point (delta-adjusted multiple imputation)",
    "observed_cases": "observed cases",
}
_MULTIPLICITY = {
    "holm": "Holm's step-down procedure",
    "bh": "Benjamini–Hochberg false discovery rate",
    "fixed_sequence": "fixed-sequence (hierarchical) testing",
    "none": "no adjustment",
}


@dataclass(frozen=True)
class SapFiles:
    """The files ``write_sap`` wrote."""

    html: Path
    pdf: Path
    sha256: str


def _events(e: Estimand) -> str:
    if not e.intercurrent_events:
        return "none declared"
    return "; ".join(
        f"{ice.event.replace('_', ' ')}: {_STRATEGY[ice.strategy]}" for ice in e.intercurrent_events
    )


def _summary(e: Estimand) -> str:
    if e.summary == "responder_difference":
        how = (
            "non-responder imputation"
            if e.responder_missing == "non_responder"
            else "observed cases"
        )
        return f"{_SUMMARY[e.summary]} (Newcombe CI, Fisher's test; {how})"
    return f"{_SUMMARY[e.summary]} ({e.method.upper()})"


def _set(code: str) -> str:
    return code.upper().replace("_", " ")


def _cuts(cuts: tuple[float, ...]) -> str:
    return ", ".join(f"{c:g}" for c in cuts) or "levels"


def _variable(e: Estimand) -> str:
    what = f"{label(e.variable)} change from baseline to week {e.week:g}"
    return f"{e.responder} response at week {e.week:g}" if e.responder else what


def estimand_table(sap: Sap, results: dict[str, EndpointResult] | None = None) -> Table:
    """The estimands of the plan (ICH E9(R1) attributes); with ``results``, the estimate of
    each mean-difference estimand by its method (treatment − control at its week)."""
    rows = []
    for e in sap.estimands:
        row = [
            f"{e.code} ({e.role})",
            e.label,
            _set(e.population),
            _variable(e),
            _events(e),
            _summary(e),
        ]
        if results is not None:
            row.append(_result(e, results.get(e.code)))
        rows.append(tuple(row))
    columns = ["Estimand", "Label", "Population", "Variable", "Intercurrent events: strategy",
               "Population-level summary"]  # fmt: skip
    if results is not None:
        columns.append("Result")
    return Table(
        "estimands",
        f"Estimands of {sap.title} (version {sap.version})",
        tuple(columns),
        tuple(rows),
        "Attributes per ICH E9(R1): treatment (each arm against the control), population, "
        "variable, intercurrent events with the strategy handling each, population-level summary.",
    )


def _result(e: Estimand, result: EndpointResult | None) -> str:
    if result is None:
        return "–"
    if e.summary == "responder_difference" and e.responder:
        rows = result.responder_comparison.filter(
            result.responder_comparison["responder"] == e.responder
        )
        return (
            "; ".join(
                f"{r['arm']}: {fmt(100 * r['risk_difference'])} % "
                f"({fmt(100 * r['rd_ci_low'])} to {fmt(100 * r['rd_ci_high'])}), "
                f"p = {fmt_p(r['fisher_p_value'])}"
                for r in rows.iter_rows(named=True)
            )
            or "–"
        )
    rows = result.between.filter(
        (result.between["method"] == e.method) & (result.between["week"] == e.week)
    )
    return (
        "; ".join(
            f"{r['arm']}: {fmt(r['estimate'], 2)} "
            f"({fmt(r['ci_low'], 2)} to {fmt(r['ci_high'], 2)}), p = {fmt_p(r['p_value'])}"
            for r in rows.iter_rows(named=True)
        )
        or "–"
    )


def _plan_sections(sap: Sap) -> list[Section]:
    md = sap.missing_data
    sensitivity = tuple(
        (
            s.label or _SENSITIVITY[s.method],
            s.method,
            str(s.imputations) if s.method.startswith("mi_") else "–",
            ", ".join(f"{d:g}" for d in s.deltas) or "–",
            str(s.seed),
        )
        for s in md.sensitivity
    )
    m = sap.multiplicity
    return [
        Section("estimands", "Estimands", tables=(estimand_table(sap),)),
        Section(
            "endpoints",
            "Endpoints and analysis sets",
            tables=(
                Table(
                    "endpoints",
                    "Endpoints",
                    ("Endpoint", "Role", "Week"),
                    (
                        (label(sap.primary.variable), "primary", f"{sap.primary.week:g}"),
                        *((label(x.variable), x.role, f"{x.week:g}") for x in sap.endpoints),
                    ),
                ),
                Table(
                    "analysis-sets",
                    "Analysis sets",
                    ("Set", "Definition"),
                    tuple(
                        (a.code.upper().replace("_", " "), a.definition) for a in sap.analysis_sets
                    ),
                ),
            ),
        ),
        Section(
            "model",
            "Models, covariates and missing data",
            summary=(
                ("Covariates", ", ".join(["baseline", *sap.covariates])),
                ("Confidence level", f"{100 * sap.conf_level:g} %"),
                ("Alternative", sap.alternative),
                ("Missing data, primary", md.primary.replace("_", " ")),
            ),
            tables=(
                (
                    Table(
                        "sensitivity",
                        "Sensitivity analyses of the primary estimand",
                        ("Analysis", "Method", "Imputations", "Deltas", "Seed"),
                        sensitivity,
                    ),
                )
                if sensitivity
                else ()
            ),
        ),
        Section(
            "multiplicity",
            "Multiplicity",
            summary=(
                ("Strategy", _MULTIPLICITY[m.method]),
                ("Family-wise alpha", f"{m.alpha:g}"),
                *((("Order", " → ".join(label(v) for v in m.order)),) if m.order else ()),
            ),
        ),
        Section(
            "subgroups",
            "Subgroups",
            tables=(
                Table(
                    "subgroups",
                    "Subgroups (treatment effect by subgroup with the interaction test)",
                    ("Variable", "Label", "Cut points"),
                    tuple(
                        (
                            g.variable,
                            g.label or g.variable,
                            ", ".join(f"{c:g}" for c in g.cuts) or "levels",
                        )
                        for g in sap.subgroups
                    ),
                ),
            )
            if sap.subgroups
            else (),
            paragraphs=() if sap.subgroups else ("No subgroup analysis is planned.",),
        ),
    ]


def sap_document(sap: Sap, *, source: str, generated: dt.date | None = None) -> Document:
    """The SAP as a document for the HTML and PDF renderers."""
    overview = Section(
        "overview",
        "Plan",
        summary=(
            ("Code", sap.code),
            ("Version", sap.version),
            ("Protocol", sap.protocol or "–"),
            ("Control arm", sap.control or "by the protocol"),
            ("SHA-256", sap.sha256()),
        ),
    )
    return Document(
        title=sap.title,
        source=source,
        generated=(generated or dt.datetime.now(dt.UTC).date()).isoformat(),
        version=__version__,
        sections=(overview, *_plan_sections(sap)),
    )


def multiplicity_display(family: pl.DataFrame, sap: Sap) -> Table:
    """The plan's family of hypotheses with adjusted p-values and decisions."""
    rows = tuple(
        (
            label(r["endpoint"]),
            r["arm"],
            f"{r['week']:g}",
            r["method"].upper(),
            fmt_p(r["p_value"]),
            fmt_p(r["p_adjusted"]),
            ("rejected" if r["rejected"] else "not rejected") if r["tested"] else "not tested",
        )
        for r in family.iter_rows(named=True)
    )
    return Table(
        "multiplicity",
        f"Multiplicity: {_MULTIPLICITY[sap.multiplicity.method]} at α = {sap.multiplicity.alpha:g}",
        ("Endpoint", "Arm vs control", "Week", "Method", "p", "Adjusted p", "Decision"),
        rows,
        "Fixed sequence: endpoints tested in the plan's order at the full α, stopping at the "
        "first non-rejection (adjusted p = running maximum). Holm / BH: adjusted across the "
        "family as R p.adjust.",
    )


def sensitivity_display(table: pl.DataFrame, notes: Sequence[str] = ()) -> Table:
    """The sensitivity analyses of the primary estimand with their results."""
    rows = tuple(
        (
            _SENSITIVITY.get(r["analysis"], r["analysis"]),
            f"{r['arm']} − {r['control']}",
            f"{r['week']:g}",
            f"{r['imputations']} (seed {r['seed']})",
            fmt(r["estimate"], 2),
            f"{fmt(r['ci_low'], 2)} to {fmt(r['ci_high'], 2)}",
            fmt_p(r["p_value"]),
            fmt(r["tipping_delta"], 2),
        )
        for r in table.iter_rows(named=True)
    )
    return Table(
        "sensitivity",
        "Sensitivity analyses of the primary estimand",
        ("Analysis", "Comparison", "Week", "Imputations", "Estimate", "CI", "p", "Tipping δ"),
        rows,
        "Multiple imputation from the MMRM (posterior draws), ANCOVA per completed data set, "
        "pooled by Rubin's rules (Barnard–Rubin df). Tipping point: the shift δ added to the "
        "imputed outcomes of the treated arm at which the effect loses significance "
        "(estimate and p shown at δ = 0).",
        notes=tuple(notes),
    )


def sap_section(
    sap: Sap,
    results: dict[str, EndpointResult],
    family: pl.DataFrame | None = None,
    sensitivity: Table | None = None,
) -> Section:
    """The study report's section on the plan it ran: hash, estimands with results and the
    multiplicity decisions."""
    return Section(
        "sap",
        "Statistical analysis plan and estimands",
        summary=(
            ("Plan", f"{sap.title} ({sap.code}, version {sap.version})"),
            ("SAP SHA-256", sap.sha256()),
            ("Multiplicity", _MULTIPLICITY[sap.multiplicity.method]),
        ),
        tables=(
            estimand_table(sap, results),
            *((multiplicity_display(family, sap),) if family is not None and family.height else ()),
            *((sensitivity,) if sensitivity is not None else ()),
        ),
    )


def write_sap(
    sap: Sap, out_dir: str | Path, *, source: str = "", generated: dt.date | None = None
) -> SapFiles:
    """Write ``<code>.html`` and ``<code>.pdf`` of the plan into ``out_dir``."""
    from autoserum.report._html import render_html
    from autoserum.report._pdf import render_pdf

    doc = sap_document(sap, source=source or sap.code, generated=generated)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = out / f"{sap.code}.html"
    html.write_text(render_html(doc), encoding="utf-8")
    pdf = render_pdf(doc, out / f"{sap.code}.pdf")
    return SapFiles(html=html, pdf=pdf, sha256=sap.sha256())
