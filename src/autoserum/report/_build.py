"""Assemble the report model (sections of tables and figures) from a study's data.

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> model = build_report(study, protocol="ast-nahm2023")
>>> model.primary.endpoint, model.primary.week
('scorad', 8.0)
>>> [section.title for section in model.sections][:3]
['Study and protocol summary', 'Participant flow (CONSORT)', 'Baseline characteristics']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from autoserum import __version__
from autoserum.analysis import (
    EndpointResult,
    StudyData,
    ae_overview,
    ae_table,
    analyze_endpoint,
    build_adsl,
    build_bds,
    lab_shifts,
    parameters_in,
    secondary_table,
)
from autoserum.errors import ValidationError
from autoserum.protocols import Protocol, resolve_protocol
from autoserum.report._consort import consort_counts, consort_svg
from autoserum.report._figures import (
    Drawing,
    mean_change_figure,
    responder_figure,
    trajectory_figure,
    waterfall_figure,
)
from autoserum.report._safety_tables import ae_display, lab_shift_display
from autoserum.report._tables import (
    Table,
    baseline_display,
    between_display,
    label,
    predictor_display,
    responder_display,
    secondary_display,
    within_display,
)
from autoserum.study.tidy import INSTRUMENT_RANGES

__all__ = ["FigureBlock", "ReportModel", "Section", "build_report"]

DEFAULT_PREDICTORS = ("age", "sex", "eosinophils", "ige")


@dataclass(frozen=True)
class FigureBlock:
    """A figure of the report: SVG for HTML, PNG for PDF (``None`` when drawn natively)."""

    id: str
    title: str
    caption: str
    svg: str
    png: bytes | None


@dataclass(frozen=True)
class Section:
    """One numbered section of the report."""

    id: str
    title: str
    summary: tuple[tuple[str, str], ...] = ()
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[FigureBlock, ...] = ()
    figures_before: tuple[FigureBlock, ...] = field(default=())


@dataclass(frozen=True)
class ReportModel:
    """Everything the HTML and PDF renderers need."""

    title: str
    source: str
    generated: str
    version: str
    sections: tuple[Section, ...]
    primary: EndpointResult


def _block(fid: str, drawing: Drawing) -> FigureBlock:
    return FigureBlock(fid, drawing.title, drawing.caption, drawing.svg(), drawing.png())


def _choose_endpoint(frame: pl.DataFrame, protocol: Protocol | None, endpoint: str | None) -> str:
    present = [p for p in parameters_in(frame) if p in INSTRUMENT_RANGES]
    if endpoint is not None:
        return endpoint
    if protocol is not None and protocol.primary_endpoint.value in present:
        return str(protocol.primary_endpoint.value)
    if not present:
        raise ValidationError("endpoint", None, "an instrument total with values in the data")
    return present[0]


def _control(protocol: Protocol | None, arms: Sequence[str], control: str | None) -> str | None:
    if control is not None or protocol is None:
        return control
    ctrl = [a.code for a in protocol.arms if a.is_control and a.code in arms]
    return ctrl[0] if len(ctrl) == 1 else None


def _last_week(bds: pl.DataFrame) -> float:
    weeks = bds.filter(pl.col("analysis_flag"))["week"]
    if weeks.len() == 0:
        raise ValidationError("week", None, "post-baseline values of the endpoint")
    return float(weeks.max())  # type: ignore[arg-type]


def _study_section(
    study: StudyData, adsl: pl.DataFrame, protocol: Protocol | None, primary: EndpointResult
) -> Section:
    weeks = sorted(study.visits["week"].unique().to_list())
    summary: list[tuple[str, str]] = []
    if protocol is not None:
        summary += [
            ("Protocol", f"{protocol.title} ({protocol.code})"),
            ("Reference", protocol.citation),
            (
                "Design",
                f"{protocol.design.replace('_', ' ')}, {protocol.blinding.replace('_', ' ')}",
            ),
            ("Population", str(protocol.population.value)),
            (
                "Arms (protocol)",
                "; ".join(
                    f"{a.code}: {a.label}" + (" (control)" if a.is_control else "")
                    for a in protocol.arms
                ),
            ),
            ("Phases", "; ".join(p.label for p in protocol.phases)),
        ]
    summary += [
        ("Source data", study.source),
        *((("Audit trail chain", study.audit_chain),) if study.audit_chain is not None else ()),
        ("Subjects", f"{adsl.height} enrolled; arms: " + ", ".join(primary.arms)),
        ("Visits (weeks)", ", ".join(f"{w:g}" for w in weeks)),
        (
            "Primary endpoint",
            f"{label(primary.endpoint)}, change from baseline to week {primary.week:g}",
        ),
        ("Control arm", primary.control or "none (single-arm analysis)"),
        ("Analysis population", "full analysis set (FAS)"),
        ("Adverse events", f"{study.adverse_events.height} events recorded"),
    ]
    if study.eligibility_overrides:
        summary.append(("Eligibility overrides", "; ".join(study.eligibility_overrides)))
    return Section("study", "Study and protocol summary", summary=tuple(summary))


def build_report(
    study: StudyData,
    *,
    endpoint: str | None = None,
    week: float | None = None,
    control: str | None = None,
    protocol: Protocol | str | None = None,
    title: str | None = None,
    generated: dt.date | None = None,
) -> ReportModel:
    """Analyse a study and lay out the report: summary, CONSORT flow, baseline table, primary
    and secondary endpoints, responders, safety and methods."""
    protocol = resolve_protocol(protocol) if isinstance(protocol, str) else protocol
    frame = study.visits
    adsl = build_adsl(frame)
    primary_name = _choose_endpoint(frame, protocol, endpoint)
    instruments = [p for p in parameters_in(frame) if p in INSTRUMENT_RANGES]
    bds = build_bds(
        frame, instruments if primary_name in instruments else [primary_name, *instruments]
    )
    analysis_week = (
        week if week is not None else _last_week(bds.filter(pl.col("parameter") == primary_name))
    )
    arms = sorted(adsl["arm"].unique().to_list())
    ctrl = _control(protocol, arms, control)
    predictors = [
        p for p in DEFAULT_PREDICTORS if p in adsl.columns or f"{p}_baseline" in adsl.columns
    ]
    primary = analyze_endpoint(
        frame, primary_name, analysis_week, control=ctrl, predictors=predictors
    )
    secondary = []
    for name in instruments:
        if name == primary_name:
            continue
        weeks = bds.filter((pl.col("parameter") == name) & pl.col("analysis_flag"))["week"]
        if analysis_week in weeks.to_list():
            secondary.append(analyze_endpoint(frame, name, analysis_week, control=primary.control))
    sections = [
        _study_section(study, adsl, protocol, primary),
        Section(
            "consort",
            "Participant flow (CONSORT)",
            figures_before=(
                FigureBlock(
                    "consort",
                    "CONSORT flow diagram",
                    "Enrolled subjects of the data file, their allocation, completion of the last "
                    "planned visit and the analysis populations.",
                    consort_svg(
                        consort_counts(adsl, assessed=study.assessed, excluded=study.excluded)
                    ),
                    None,
                ),
            ),
            tables=(consort_table(adsl, study.assessed, study.excluded),),
        ),
        Section(
            "baseline",
            "Baseline characteristics",
            tables=(baseline_display(adsl, ["age", *instruments, "eosinophils", "ige"], "fas"),),
        ),
        Section(
            "primary",
            f"Primary endpoint: {label(primary.endpoint)}",
            tables=(
                within_display(primary, "primary-within"),
                *((between_display(primary, "primary-between"),) if primary.control else ()),
            ),
            figures=(
                _block("mean-change", mean_change_figure(primary)),
                _block("trajectories", trajectory_figure(bds, primary.endpoint, primary.arms)),
                _block(
                    "waterfall", waterfall_figure(bds, primary.endpoint, primary.week, primary.arms)
                ),
            ),
        ),
        Section(
            "secondary",
            "Secondary endpoints",
            tables=(
                *(
                    (secondary_display(secondary_table(secondary), analysis_week),)
                    if secondary
                    else ()
                ),
                *(within_display(r, f"secondary-within-{r.endpoint}") for r in secondary),
            ),
            paragraphs=()
            if secondary
            else ("No secondary endpoint has values at the analysis week.",),
        ),
        Section(
            "responders",
            "Responders",
            tables=(
                *(
                    responder_display(r, f"responders-{r.endpoint}")
                    for r in (primary, *secondary)
                    if r.responders.height
                ),
                *((predictor_display(primary, "predictors"),) if primary.predictors.height else ()),
            ),
            figures=(_block("responders", responder_figure(primary)),)
            if primary.responders.height
            else (),
        ),
        _safety_section(study, adsl),
        _methods_section(),
    ]
    return ReportModel(
        title=title or (protocol.title if protocol else f"Study report: {study.source}"),
        source=study.source,
        generated=(generated or dt.datetime.now(dt.UTC).date()).isoformat(),
        version=__version__,
        sections=tuple(sections),
        primary=primary,
    )


def consort_table(adsl: pl.DataFrame, assessed: int | None, excluded: int | None) -> Table:
    """The CONSORT counts as a table (the PDF shows it in place of the drawing)."""
    counts = consort_counts(adsl, assessed=assessed, excluded=excluded)
    screening = (
        f"{assessed} assessed for eligibility, {excluded or 0} excluded; " if assessed else ""
    )
    rows = tuple(
        (
            f.arm,
            str(f.allocated),
            str(f.treated),
            str(f.completed),
            str(f.discontinued),
            str(f.analysed),
            str(f.per_protocol),
        )
        for f in counts.arms
    )
    return Table(
        "consort",
        f"Participant flow: {screening}{counts.enrolled} subjects enrolled",
        (
            "Arm",
            "Allocated",
            "Treated",
            "Completed",
            "Discontinued",
            "Full analysis set",
            "Per protocol",
        ),
        rows,
        "Completed: reached the last planned visit of the study. Full analysis set: treated, with "
        "a baseline and at least one post-baseline assessment.",
    )


def _safety_section(study: StudyData, adsl: pl.DataFrame) -> Section:
    ae = study.adverse_events
    tables = [
        ae_display(ae_overview(adsl, ae), "category", "Overview of adverse events", "ae-overview"),
    ]
    if ae.height:
        tables += [
            ae_display(ae_table(adsl, ae, "term"), "term", "Adverse events by term", "ae-term"),
            ae_display(
                ae_table(adsl, ae, "severity"),
                "severity",
                "Adverse events by severity",
                "ae-severity",
            ),
            ae_display(
                ae_table(adsl, ae, "serious"),
                "serious",
                "Adverse events by seriousness",
                "ae-serious",
            ),
            ae_display(
                ae_table(adsl, ae, "related"),
                "related",
                "Adverse events by relatedness",
                "ae-related",
            ),
        ]
    shifts = lab_shifts(study.visits, adsl)
    if shifts.height:
        tables.append(lab_shift_display(shifts))
    return Section("safety", "Safety", tables=tuple(tables))


def _methods_section() -> Section:
    return Section(
        "methods",
        "Statistical methods",
        paragraphs=(
            "Analysis datasets follow the CDISC ADaM ideas: one row per subject with the "
            "populations (enrolled, randomised, safety: treated; full analysis set: treated with "
            "a baseline and at least one post-baseline assessment; per protocol) and one row per "
            "subject, parameter and visit with baseline (last non-missing value at or before "
            "week 0), change and percent change.",
            "Within arms, change from baseline is summarised with the mean, SD and t-based 95 % "
            "CI, the median and quartiles, and tested with the paired t-test and the Wilcoxon "
            "signed-rank test (exact distribution when n < 50 without ties or zeros, otherwise "
            "the normal approximation with continuity correction), with the Hodges–Lehmann "
            "estimate and its CI.",
            "Between arms, the change at the analysis week is compared by ANCOVA adjusted for "
            "baseline, and over all post-baseline visits by a mixed model for repeated measures "
            "(fixed effects arm, visit, arm × visit, baseline and baseline × visit; unstructured "
            "covariance; REML), which uses every observed visit of subjects who drop out. The "
            "Mann–Whitney test with the Hodges–Lehmann shift and Hedges' g complete the "
            "comparison. Responder rates carry Wilson CIs; differences in rates carry Newcombe "
            "CIs and Fisher's exact test. Secondary endpoints are adjusted for multiplicity by "
            "Holm's and Benjamini–Hochberg's methods.",
            "All methods reproduce R's defaults (t.test, wilcox.test, lm, nlme::gls, fisher.test, "
            "p.adjust) and are checked against R reference values in autoserum's test suite.",
        ),
    )
