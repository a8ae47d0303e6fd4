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
from dataclasses import dataclass

import polars as pl

from autoserum import __version__
from autoserum.analysis import (
    AnalysisPlan,
    EndpointResult,
    Sap,
    StudyData,
    TimeToEventPlan,
    ae_overview,
    ae_table,
    analyze_endpoint,
    analyze_plan,
    build_adsl,
    build_bds,
    estimand_visits,
    lab_shifts,
    multiplicity_table,
    parameters_in,
    plan_analysis,
    rescue_table,
    secondary_table,
    sensitivity_table,
    study_consort,
    subgroup_table,
    time_to_first_event,
)
from autoserum.errors import ValidationError
from autoserum.protocols import Protocol, resolve_protocol
from autoserum.report._conduct import photo_section, product_section
from autoserum.report._consort import consort_diagram, diagram_svg
from autoserum.report._document import Document, FigureBlock, Section
from autoserum.report._figures import (
    Drawing,
    forest_figure,
    km_figure,
    mean_change_figure,
    responder_figure,
    trajectory_figure,
    waterfall_figure,
)
from autoserum.report._safety_tables import (
    ae_display,
    lab_shift_display,
    rescue_display,
    sae_listing_display,
)
from autoserum.report._sap import sap_section, sensitivity_display
from autoserum.report._tables import (
    Table,
    baseline_display,
    between_display,
    fmt,
    fmt_p,
    label,
    ls_means_display,
    predictor_display,
    responder_display,
    secondary_display,
    subgroup_display,
    within_display,
)
from autoserum.study.consort import ConsortFlow
from autoserum.study.tidy import INSTRUMENT_RANGES

__all__ = [
    "Document",
    "FigureBlock",
    "ReportModel",
    "Section",
    "build_report",
    "consort_section",
    "consort_table",
    "safety_section",
]


@dataclass(frozen=True)
class ReportModel(Document):
    """A study report: the document and the primary analysis it shows."""

    primary: EndpointResult


def _block(fid: str, drawing: Drawing) -> FigureBlock:
    return FigureBlock(fid, drawing.title, drawing.caption, drawing.svg(), drawing.png())


def _study_section(
    study: StudyData,
    adsl: pl.DataFrame,
    protocol: Protocol | None,
    primary: EndpointResult,
    plan: AnalysisPlan,
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
            f"{label(primary.endpoint)}, change from baseline to week {primary.week:g} "
            f"({plan.reasons['endpoint']}; week: {plan.reasons['week']})",
        ),
        (
            "Control arm",
            f"{primary.control} ({plan.reasons['control']})"
            if primary.control
            else "none (single-arm analysis)",
        ),
        ("Analysis population", "full analysis set (FAS)"),
        (
            "Covariates",
            ", ".join(["baseline", *plan.covariates]) + f" ({plan.reasons['covariates']})",
        ),
        (
            "Inference",
            f"{100 * plan.conf_level:g} % confidence intervals; {plan.alternative} tests",
        ),
        ("Adverse events", f"{study.adverse_events.height} events recorded"),
    ]
    if study.eligibility_overrides:
        summary.append(("Eligibility overrides", "; ".join(study.eligibility_overrides)))
    if study.unscheduled_visits:
        summary.append(
            (
                f"Unscheduled visits ({len(study.unscheduled_visits)}, not in the planned weeks)",
                "; ".join(study.unscheduled_visits),
            )
        )
    if study.deviations:
        major = sum(" major " in f" {d} " for d in study.deviations)
        summary.append(
            (
                f"Protocol deviations ({len(study.deviations)}, {major} major)",
                "; ".join(study.deviations),
            )
        )
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
    sap: Sap | None = None,
    stratification: Sequence[str] = (),
) -> ReportModel:
    """Analyse a study and lay out the report: summary, CONSORT flow, baseline table, primary
    and secondary endpoints, responders, safety and methods.

    With a statistical analysis plan ``sap``, the report runs exactly the plan: its primary
    estimand, its secondary endpoints at their weeks, and a section with the plan's hash and
    the estimand table with results."""
    protocol = resolve_protocol(protocol) if isinstance(protocol, str) else protocol
    frame = study.visits
    adsl = build_adsl(frame)
    plan = plan_analysis(
        frame,
        protocol,
        endpoint=endpoint,
        week=week,
        control=control,
        sap=sap,
        stratification=stratification,
    )
    primary_name, analysis_week = plan.endpoint, plan.week
    instruments = [p for p in parameters_in(frame) if p in INSTRUMENT_RANGES]
    bds = build_bds(
        frame, instruments if primary_name in instruments else [primary_name, *instruments]
    )
    # the primary estimand's strategy for rescue medication (none declared: treatment policy)
    primary_frame = estimand_visits(study, sap.primary) if sap is not None else frame
    primary = analyze_plan(primary_frame, plan)
    secondary = (
        _planned_secondary(frame, plan, sap)
        if sap is not None
        else _secondary(frame, bds, instruments, plan)
    )
    sections = [
        _study_section(study, adsl, protocol, primary, plan),
        *(
            (
                sap_section(
                    sap,
                    _estimand_results(study, plan, primary, sap),
                    multiplicity_table(primary, secondary, sap),
                    _sensitivity(primary_frame, plan, sap),
                ),
            )
            if sap
            else ()
        ),
        consort_section(study),
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
                *(
                    (ls_means_display(primary, "primary-ls-means"),)
                    if primary.ls_means.height
                    else ()
                ),
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
        *((_subgroup_section(frame, plan, sap),) if sap is not None and sap.subgroups else ()),
        *(
            (_time_to_event_section(study, plan, sap.time_to_event),)
            if sap is not None and sap.time_to_event is not None
            else ()
        ),
        safety_section(study, adsl),
        *(s for s in (product_section(study), photo_section(study)) if s is not None),
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


def _secondary(
    frame: pl.DataFrame, bds: pl.DataFrame, instruments: Sequence[str], plan: AnalysisPlan
) -> list[EndpointResult]:
    """Without a SAP: every other instrument with values at the primary week."""
    out = []
    for name in instruments:
        if name == plan.endpoint:
            continue
        weeks = bds.filter((pl.col("parameter") == name) & pl.col("analysis_flag"))["week"]
        if plan.week in weeks.to_list():
            out.append(
                analyze_endpoint(
                    frame,
                    name,
                    plan.week,
                    control=plan.control,
                    conf_level=plan.conf_level,
                    covariates=plan.covariates,
                    alternative=plan.alternative,
                )
            )
    return out


def _planned_secondary(frame: pl.DataFrame, plan: AnalysisPlan, sap: Sap) -> list[EndpointResult]:
    """With a SAP: its secondary endpoints, each at its own week."""
    return [
        analyze_endpoint(
            frame,
            e.variable,
            e.week,
            control=plan.control,
            population=sap.primary.population,
            conf_level=plan.conf_level,
            covariates=plan.covariates,
            alternative=plan.alternative,
        )
        for e in sap.endpoints
    ]


def _estimand_results(
    study: StudyData, plan: AnalysisPlan, primary: EndpointResult, sap: Sap
) -> dict[str, EndpointResult]:
    """Each estimand analysed on the data as its strategy for rescue medication has them."""
    out = {}
    for e in sap.estimands:
        if e.role == "primary":
            out[e.code] = primary
        else:
            out[e.code] = analyze_endpoint(
                estimand_visits(study, e),
                e.variable,
                e.week,
                control=plan.control,
                population=e.population,
                conf_level=plan.conf_level,
                covariates=plan.covariates,
                alternative=plan.alternative,
                responder_missing=e.responder_missing,
            )
    return out


def _sensitivity(frame: pl.DataFrame, plan: AnalysisPlan, sap: Sap) -> Table | None:
    specs = sap.missing_data.sensitivity
    if not specs or plan.control is None:
        return None
    notes: list[str] = []
    return sensitivity_display(sensitivity_table(frame, plan, specs, notes), notes)


def _time_to_event_section(study: StudyData, plan: AnalysisPlan, spec: TimeToEventPlan) -> Section:
    """The SAP's time-to-first-event endpoint: KM per arm, log-rank, Cox with the PH check."""
    tte = time_to_first_event(
        study.visits,
        study.adverse_events,
        terms=spec.terms,
        control=plan.control,
        conf_level=plan.conf_level,
    )
    rows: list[tuple[str, ...]] = []
    if tte.km is not None:
        for c in tte.km.curves:
            rows.append(
                (str(c.group), str(c.n), str(c.events), fmt(c.median, 1),
                 f"{fmt(c.median_ci_low, 1)} to {fmt(c.median_ci_high, 1)}")
            )  # fmt: skip
    summary: list[tuple[str, str]] = [("Event", "first adverse event of: " + ", ".join(spec.terms))]
    if tte.log_rank is not None:
        summary.append(
            ("Log-rank", f"χ² = {fmt(tte.log_rank.statistic, 2)} on {tte.log_rank.df} df, "
             f"p = {fmt_p(tte.log_rank.p_value)}")
        )  # fmt: skip
    if tte.cox is not None:
        for t in tte.cox.terms:
            summary.append(
                (f"Hazard ratio {t.name}", f"{fmt(t.hazard_ratio, 2)} "
                 f"({fmt(t.ci_low, 2)} to {fmt(t.ci_high, 2)}), p = {fmt_p(t.p_value)}")
            )  # fmt: skip
        g = tte.cox.ph_tests[-1]
        summary.append(("Proportional hazards (cox.zph, global)", f"p = {fmt_p(g.p_value)}"))
    table = Table(
        "time-to-event",
        f"{spec.label.capitalize()}: Kaplan–Meier by arm",
        ("Arm", "n", "Events", "Median (weeks)", "95 % CI of the median"),
        tuple(rows),
        "Safety population; censored at the last visit. Cox model with Efron ties; "
        "proportional hazards checked by the scaled Schoenfeld residuals (R cox.zph).",
        notes=tte.notes,
    )
    return Section(
        "time-to-event",
        spec.label.capitalize(),
        summary=tuple(summary),
        tables=(table,),
        figures=(_block("kaplan-meier", km_figure(tte.km, spec.label)),) if tte.km else (),
    )


def _subgroup_section(frame: pl.DataFrame, plan: AnalysisPlan, sap: Sap) -> Section:
    """The SAP's subgroups of the primary endpoint: forest plot and table (ANCOVA within each
    level, interaction F test)."""
    notes: list[str] = []
    tables = []
    for g in sap.subgroups:
        if plan.control is None:
            break
        try:
            tables.append(
                subgroup_table(
                    frame,
                    plan.endpoint,
                    plan.week,
                    control=plan.control,
                    variable=g.variable,
                    cuts=g.cuts,
                    population=plan.population,
                    conf_level=plan.conf_level,
                    notes=notes,
                )
            )
        except ValidationError as err:
            notes.append(f"subgroup {g.variable}: {err}")
    combined = pl.concat(tables) if tables else None
    return Section(
        "subgroups",
        "Subgroup analyses",
        tables=(subgroup_display(combined, notes),) if combined is not None else (),
        figures=(
            (_block("forest", forest_figure(combined, plan.endpoint, plan.week)),)
            if combined is not None and combined.height
            else ()
        ),
        paragraphs=() if combined is not None else tuple(notes) or ("No subgroup analysis.",),
    )


def consort_section(study: StudyData) -> Section:
    """The participant flow: the CONSORT diagram with its reasons (SVG in HTML, vector in the
    PDF) and its counts as a table."""
    flow = study_consort(study)
    source = (
        "Every screened subject of the database, with the eligibility rules failed at "
        "screening and the recorded reasons for leaving; treatment, the last visit and the "
        "full analysis set from the data."
        if study.registry
        else "Enrolled subjects of the data file (screening is not in the file): allocation, "
        "treatment, the last planned visit and the full analysis set."
    )
    diagram = consort_diagram(flow)
    return Section(
        "consort",
        "Participant flow (CONSORT)",
        figures_before=(
            FigureBlock(
                "consort", "CONSORT flow diagram", source, diagram_svg(diagram), None, diagram
            ),
        ),
        tables=(consort_table(flow),),
    )


def consort_table(flow: ConsortFlow) -> Table:
    """The CONSORT counts as a table, one row per arm."""
    screening = (
        f"{flow.assessed} assessed for eligibility, {flow.excluded} excluded; "
        if flow.screening_recorded
        else ""
    )
    rows = tuple(
        (
            arm,
            str(f.allocated),
            str(f.received),
            str(f.lost),
            str(f.discontinued),
            str(f.analysed),
            str(f.not_analysed),
        )
        for arm, f in sorted(flow.arms.items())
    )
    return Table(
        "consort",
        f"Participant flow: {screening}{flow.enrolled} subjects enrolled",
        (
            "Arm",
            "Allocated",
            "Received intervention",
            "Lost to follow-up",
            "Discontinued",
            "Analysed (full analysis set)",
            "Excluded from analysis",
        ),
        rows,
        "Full analysis set: treated, with a baseline and at least one post-baseline "
        "assessment. Reasons are in the diagram.",
    )


def safety_section(study: StudyData, adsl: pl.DataFrame) -> Section:
    """Adverse events (overview, by term, severity, seriousness, relatedness) and lab shifts,
    by the arms of ``adsl`` (one pooled column when the data carry no arm)."""
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
        if "aesi" in ae.columns and ae["aesi"].is_not_null().any():
            tables.append(
                ae_display(
                    ae_table(adsl, ae, "aesi"),
                    "aesi",
                    "Adverse events of special interest",
                    "ae-aesi",
                )
            )
        if ae["serious"].fill_null(False).any():
            tables.append(sae_listing_display(ae))
    shifts = lab_shifts(study.visits, adsl)
    if shifts.height:
        tables.append(lab_shift_display(shifts))
    if study.con_meds.height:
        rescue = rescue_table(study.visits, study.con_meds)
        if rescue.height:
            tables.append(rescue_display(rescue))
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
