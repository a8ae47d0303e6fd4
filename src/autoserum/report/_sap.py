"""The statistical analysis plan as a document (``autoserum sap render``) and the SAP section
of a study report (its hash and the estimand table).

Both are written in the current language (:func:`autoserum.i18n.using`): the fixed texts
(headings, table headers, the words of the plan's codes: strategies, summaries, methods,
decisions) are translated; what the statistician typed (the title, the estimands' labels, the
analysis sets' definitions, the intercurrent events' and subgroups' names) stays as typed.

>>> from autoserum.analysis import EXAMPLE_SAP, parse_sap_text
>>> files = write_sap(parse_sap_text(EXAMPLE_SAP), tmp_path, generated=dt.date(2026, 1, 5))
>>> files.html.suffix, files.pdf.read_bytes()[:5], len(files.sha256)
('.html', b'%PDF-', 64)
>>> korean = write_sap(parse_sap_text(EXAMPLE_SAP), tmp_path / "ko", language="ko")
>>> "추정대상" in korean.html.read_text(encoding="utf-8")
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from autoserum import __version__
from autoserum.analysis import EndpointResult, Estimand, Sap
from autoserum.i18n import N_, format_date, using
from autoserum.report._document import Document, Section
from autoserum.report._i18n import column_word
from autoserum.report._i18n import gettext as _
from autoserum.report._tables import Table, ci_text, fmt, fmt_p, label

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
    "treatment_policy": N_("treatment policy"),
    "hypothetical": N_("hypothetical"),
    "composite": N_("composite"),
    "while_on_treatment": N_("while on treatment"),
}
_SUMMARY = {
    "mean_difference": N_("difference in mean change from baseline"),
    "responder_difference": N_("difference in responder proportions"),
    "hazard_ratio": N_("hazard ratio"),
}
_SENSITIVITY = {
    "mi_mar": N_("multiple imputation under MAR"),
    "mi_j2r": N_("reference-based multiple imputation, jump to reference"),
    "mi_cr": N_("reference-based multiple imputation, copy reference"),
    "mi_cir": N_("reference-based multiple imputation, copy increments in reference"),
    "tipping_point": N_("tipping point (delta-adjusted multiple imputation)"),
    "observed_cases": N_("observed cases"),
}
_MULTIPLICITY = {
    "holm": N_("Holm's step-down procedure"),
    "bh": N_("Benjamini–Hochberg false discovery rate"),
    "fixed_sequence": N_("fixed-sequence (hierarchical) testing"),
    "none": N_("no adjustment"),
}
_ROLE = {
    "primary": N_("primary"),
    "secondary": N_("secondary"),
    "supportive": N_("supportive"),
    "exploratory": N_("exploratory"),
}
_ALTERNATIVE = {"two-sided": N_("two-sided"), "less": N_("less"), "greater": N_("greater")}
_MISSING = {
    "mmrm_mar": N_("mmrm mar"),
    "observed_cases": N_("observed cases"),
    "non_responder": N_("non responder"),
}


@dataclass(frozen=True)
class SapFiles:
    """The files ``write_sap`` wrote."""

    html: Path
    pdf: Path
    sha256: str


def _events(e: Estimand) -> str:
    if not e.intercurrent_events:
        return _("none declared")
    return "; ".join(
        _(
            "%(event)s: %(strategy)s",
            event=ice.event.replace("_", " "),  # the plan's own code, as typed
            strategy=_(_STRATEGY[ice.strategy]),
        )
        for ice in e.intercurrent_events
    )


def _summary(e: Estimand) -> str:
    if e.summary == "responder_difference":
        how = (
            _("non-responder imputation")
            if e.responder_missing == "non_responder"
            else _("observed cases")
        )
        return _(
            "%(summary)s (Newcombe CI, Fisher's test; %(missing)s)",
            summary=_(_SUMMARY[e.summary]),
            missing=how,
        )
    return _("%(summary)s (%(method)s)", summary=_(_SUMMARY[e.summary]), method=e.method.upper())


def _set(code: str) -> str:
    return code.upper().replace("_", " ")


def _cuts(cuts: tuple[float, ...]) -> str:
    return ", ".join(f"{c:g}" for c in cuts) or _("levels")


def _variable(e: Estimand) -> str:
    if e.responder:
        return _(
            "%(responder)s response at week %(week)s", responder=e.responder, week=f"{e.week:g}"
        )
    return _(
        "%(variable)s change from baseline to week %(week)s",
        variable=label(e.variable),
        week=f"{e.week:g}",
    )


def estimand_table(sap: Sap, results: dict[str, EndpointResult] | None = None) -> Table:
    """The estimands of the plan (ICH E9(R1) attributes); with ``results``, the estimate of
    each mean-difference estimand by its method (treatment − control at its week)."""
    rows = []
    for e in sap.estimands:
        row = [
            f"{e.code} ({_(_ROLE[e.role])})",
            e.label,
            _set(e.population),
            _variable(e),
            _events(e),
            _summary(e),
        ]
        if results is not None:
            row.append(_result(e, results.get(e.code)))
        rows.append(tuple(row))
    columns = [_("Estimand"), _("Label"), _("Population"), _("Variable"),
               _("Intercurrent events: strategy"), _("Population-level summary")]  # fmt: skip
    if results is not None:
        columns.append(_("Result"))
    return Table(
        "estimands",
        _("Estimands of %(title)s (version %(version)s)", title=sap.title, version=sap.version),
        tuple(columns),
        tuple(rows),
        _(
            "Attributes per ICH E9(R1): treatment (each arm against the control), population, "
            "variable, intercurrent events with the strategy handling each, population-level "
            "summary."
        ),
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
                _(
                    "%(arm)s: %(difference)s %% (%(ci)s), p = %(p)s",
                    arm=r["arm"],
                    difference=fmt(100 * r["risk_difference"]),
                    ci=ci_text(100 * r["rd_ci_low"], 100 * r["rd_ci_high"]),
                    p=fmt_p(r["fisher_p_value"]),
                )
                for r in rows.iter_rows(named=True)
            )
            or "–"
        )
    rows = result.between.filter(
        (result.between["method"] == e.method) & (result.between["week"] == e.week)
    )
    return (
        "; ".join(
            _(
                "%(arm)s: %(estimate)s (%(ci)s), p = %(p)s",
                arm=r["arm"],
                estimate=fmt(r["estimate"], 2),
                ci=ci_text(r["ci_low"], r["ci_high"], 2),
                p=fmt_p(r["p_value"]),
            )
            for r in rows.iter_rows(named=True)
        )
        or "–"
    )


def _plan_sections(sap: Sap) -> list[Section]:
    md = sap.missing_data
    sensitivity = tuple(
        (
            s.label or _(_SENSITIVITY[s.method]),
            s.method,
            str(s.imputations) if s.method.startswith("mi_") else "–",
            ", ".join(f"{d:g}" for d in s.deltas) or "–",
            str(s.seed),
        )
        for s in md.sensitivity
    )
    m = sap.multiplicity
    return [
        Section("estimands", _("Estimands"), tables=(estimand_table(sap),)),
        Section(
            "endpoints",
            _("Endpoints and analysis sets"),
            tables=(
                Table(
                    "endpoints",
                    _("Endpoints"),
                    (_("Endpoint"), _("Role"), _("Week")),
                    tuple(
                        (label(variable), _(_ROLE[role]), f"{week:g}")
                        for variable, role, week in (
                            (sap.primary.variable, sap.primary.role, sap.primary.week),
                            *((x.variable, x.role, x.week) for x in sap.endpoints),
                        )
                    ),
                ),
                Table(
                    "analysis-sets",
                    _("Analysis sets"),
                    (_("Set"), _("Definition")),
                    tuple((_set(a.code), a.definition) for a in sap.analysis_sets),
                ),
            ),
        ),
        Section(
            "model",
            _("Models, covariates and missing data"),
            summary=(
                (_("Covariates"), ", ".join([_("baseline"), *map(column_word, sap.covariates)])),
                (_("Confidence level"), f"{100 * sap.conf_level:g} %"),
                (_("Alternative"), _(_ALTERNATIVE[sap.alternative])),
                (_("Missing data, primary"), _(_MISSING[md.primary])),
            ),
            tables=(
                (
                    Table(
                        "sensitivity",
                        _("Sensitivity analyses of the primary estimand"),
                        (_("Analysis"), _("Method"), _("Imputations"), _("Deltas"), _("Seed")),
                        sensitivity,
                    ),
                )
                if sensitivity
                else ()
            ),
        ),
        Section(
            "multiplicity",
            _("Multiplicity"),
            summary=(
                (_("Strategy"), _(_MULTIPLICITY[m.method])),
                (_("Family-wise alpha"), f"{m.alpha:g}"),
                *(((_("Order"), " → ".join(label(v) for v in m.order)),) if m.order else ()),
            ),
        ),
        Section(
            "subgroups",
            _("Subgroups"),
            tables=(
                Table(
                    "subgroups",
                    _("Subgroups (treatment effect by subgroup with the interaction test)"),
                    (_("Variable"), _("Label"), _("Cut points")),
                    tuple(
                        (g.variable, g.label or column_word(g.variable), _cuts(g.cuts))
                        for g in sap.subgroups
                    ),
                ),
            )
            if sap.subgroups
            else (),
            paragraphs=() if sap.subgroups else (_("No subgroup analysis is planned."),),
        ),
    ]


def sap_document(sap: Sap, *, source: str, generated: dt.date | None = None) -> Document:
    """The SAP as a document for the HTML and PDF renderers, in the current language."""
    overview = Section(
        "overview",
        _("Plan"),
        summary=(
            (_("Code"), sap.code),
            (_("Version"), sap.version),
            (_("Protocol"), sap.protocol or "–"),
            (_("Control arm"), sap.control or _("by the protocol")),
            ("SHA-256", sap.sha256()),
        ),
    )
    return Document(
        title=sap.title,
        source=source,
        generated=format_date(generated or dt.datetime.now(dt.UTC).date()),
        version=__version__,
        sections=(overview, *_plan_sections(sap)),
    )


def _decision(row: dict[str, object]) -> str:
    if not row["tested"]:
        return _("not tested")
    return _("rejected") if row["rejected"] else _("not rejected")


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
            _decision(r),
        )
        for r in family.iter_rows(named=True)
    )
    return Table(
        "multiplicity",
        _(
            "Multiplicity: %(strategy)s at α = %(alpha)s",
            strategy=_(_MULTIPLICITY[sap.multiplicity.method]),
            alpha=f"{sap.multiplicity.alpha:g}",
        ),
        (
            _("Endpoint"),
            _("Arm vs control"),
            _("Week"),
            _("Method"),
            "p",
            _("Adjusted p"),
            _("Decision"),
        ),
        rows,
        _(
            "Fixed sequence: endpoints tested in the plan's order at the full α, stopping at the "
            "first non-rejection (adjusted p = running maximum). Holm / BH: adjusted across the "
            "family as R p.adjust."
        ),
    )


def _analysis(code: str) -> str:
    """A sensitivity analysis' method in words; a label the plan gave it stays as typed."""
    return _(_SENSITIVITY[code]) if code in _SENSITIVITY else code


def sensitivity_display(table: pl.DataFrame, notes: Sequence[str] = ()) -> Table:
    """The sensitivity analyses of the primary estimand with their results."""
    rows = tuple(
        (
            _analysis(r["analysis"]),
            f"{r['arm']} − {r['control']}",
            f"{r['week']:g}",
            _("%(imputations)s (seed %(seed)s)", imputations=r["imputations"], seed=r["seed"]),
            fmt(r["estimate"], 2),
            ci_text(r["ci_low"], r["ci_high"], 2),
            fmt_p(r["p_value"]),
            fmt(r["tipping_delta"], 2),
        )
        for r in table.iter_rows(named=True)
    )
    return Table(
        "sensitivity",
        _("Sensitivity analyses of the primary estimand"),
        (
            _("Analysis"),
            _("Comparison"),
            _("Week"),
            _("Imputations"),
            _("Estimate"),
            _("CI"),
            "p",
            _("Tipping δ"),
        ),
        rows,
        _(
            "Multiple imputation from the MMRM (posterior draws), ANCOVA per completed data set, "
            "pooled by Rubin's rules (Barnard–Rubin df). Tipping point: the shift δ added to the "
            "imputed outcomes of the treated arm at which the effect loses significance "
            "(estimate and p shown at δ = 0)."
        ),
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
        _("Statistical analysis plan and estimands"),
        summary=(
            (
                _("Plan"),
                _(
                    "%(title)s (%(code)s, version %(version)s)",
                    title=sap.title,
                    code=sap.code,
                    version=sap.version,
                ),
            ),
            (_("SAP SHA-256"), sap.sha256()),
            (_("Multiplicity"), _(_MULTIPLICITY[sap.multiplicity.method])),
        ),
        tables=(
            estimand_table(sap, results),
            *((multiplicity_display(family, sap),) if family is not None and family.height else ()),
            *((sensitivity,) if sensitivity is not None else ()),
        ),
    )


def write_sap(
    sap: Sap,
    out_dir: str | Path,
    *,
    source: str = "",
    generated: dt.date | None = None,
    language: str = "en",
) -> SapFiles:
    """Write ``<code>.html`` and ``<code>.pdf`` of the plan into ``out_dir``, in ``language``
    (``en``, ``ko`` or ``zh-Hans``: fixed texts, dates and the PDF's fonts)."""
    from autoserum.report._html import render_html
    from autoserum.report._pdf import render_pdf

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = out / f"{sap.code}.html"
    with using(language):
        doc = sap_document(sap, source=source or sap.code, generated=generated)
        html.write_text(render_html(doc), encoding="utf-8")
        pdf = render_pdf(doc, out / f"{sap.code}.pdf")
    return SapFiles(html=html, pdf=pdf, sha256=sap.sha256())
