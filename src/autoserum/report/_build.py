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
from autoserum.i18n import current_language, error_text, format_date
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
from autoserum.report._i18n import arm_label, column_word, model_term, note_text, word
from autoserum.report._i18n import gettext as _
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
    history_display,
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


def _why(plan: AnalysisPlan, choice: str) -> str:
    """Why the plan made ``choice``, in the current language (its values as they are)."""
    reason = plan.reasons[choice]
    return _(reason.message, **reason.params)


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
            (_("Protocol"), f"{protocol.title} ({protocol.code})"),
            (_("Reference"), protocol.citation),
            (_("Design"), f"{word(protocol.design)}, {word(protocol.blinding)}"),
            (_("Population"), str(protocol.population.value)),
            (
                _("Arms (protocol)"),
                "; ".join(
                    _("%(code)s: %(label)s (control)", code=a.code, label=a.label)
                    if a.is_control
                    else f"{a.code}: {a.label}"
                    for a in protocol.arms
                ),
            ),
            (_("Phases"), "; ".join(p.label for p in protocol.phases)),
        ]
    summary += [
        (_("Source data"), note_text(study.source)),
        *(
            ((_("Audit trail chain"), note_text(study.audit_chain)),)
            if study.audit_chain is not None
            else ()
        ),
        (
            _("Subjects"),
            _(
                "%(n)s enrolled; arms: %(arms)s",
                n=adsl.height,
                arms=", ".join(arm_label(a) for a in primary.arms),
            ),
        ),
        (_("Visits (weeks)"), ", ".join(f"{w:g}" for w in weeks)),
        (
            _("Primary endpoint"),
            _(
                "%(endpoint)s, change from baseline to week %(week)s (%(reason)s; week: "
                "%(week_reason)s)",
                endpoint=label(primary.endpoint), week=f"{primary.week:g}",
                reason=_why(plan, "endpoint"), week_reason=_why(plan, "week"),
            ),
        ),
        (
            _("Control arm"),
            f"{primary.control} ({_why(plan, 'control')})"
            if primary.control
            else _("none (single-arm analysis)"),
        ),
        (_("Analysis population"), _("full analysis set (FAS)")),
        (
            _("Covariates"),
            ", ".join([_("baseline"), *map(column_word, plan.covariates)])
            + f" ({_why(plan, 'covariates')})",
        ),
        (
            _("Inference"),
            _(
                "%(level)s %% confidence intervals; %(alternative)s tests",
                level=f"{100 * plan.conf_level:g}", alternative=word(plan.alternative),
            ),
        ),
        (_("Adverse events"), _("%(n)s events recorded", n=study.adverse_events.height)),
    ]  # fmt: skip
    if study.eligibility_overrides:
        summary.append(
            (_("Eligibility overrides"), "; ".join(map(note_text, study.eligibility_overrides)))
        )
    if study.unscheduled_visits:
        summary.append(
            (
                _(
                    "Unscheduled visits (%(n)s, not in the planned weeks)",
                    n=len(study.unscheduled_visits),
                ),
                "; ".join(map(note_text, study.unscheduled_visits)),
            )
        )
    if study.deviations:
        major = sum(" major " in f" {d} " for d in study.deviations)
        summary.append(
            (
                _(
                    "Protocol deviations (%(n)s, %(major)s major)",
                    n=len(study.deviations), major=major,
                ),
                "; ".join(map(note_text, study.deviations)),
            )
        )  # fmt: skip
    return Section("study", _("Study and protocol summary"), summary=tuple(summary))


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
            _("Baseline characteristics"),
            tables=(
                baseline_display(adsl, ["age", *instruments, "eosinophils", "ige"], "fas"),
                *(
                    (history_display(adsl, study.history, "fas"),)
                    if study.history is not None and study.history.height
                    else ()
                ),
            ),
        ),
        Section(
            "primary",
            _("Primary endpoint: %(endpoint)s", endpoint=label(primary.endpoint)),
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
            _("Secondary endpoints"),
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
            else (_("No secondary endpoint has values at the analysis week."),),
        ),
        Section(
            "responders",
            _("Responders"),
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
        title=title
        or (protocol.title if protocol else _("Study report: %(source)s", source=study.source)),
        source=study.source,
        generated=format_date(generated or dt.datetime.now(dt.UTC).date()),
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


def _time_to_event_label(spec: TimeToEventPlan) -> str:
    """The label of the SAP's time-to-event endpoint: the plan's default (``time to first
    flare``) in the current language, a label the statistician wrote as written."""
    default = TimeToEventPlan.model_fields["label"].default
    return _(default) if spec.label == default else spec.label


def _time_to_event_section(study: StudyData, plan: AnalysisPlan, spec: TimeToEventPlan) -> Section:
    """The SAP's time-to-first-event endpoint: KM per arm, log-rank, Cox with the PH check."""
    tte = time_to_first_event(
        study.visits,
        study.adverse_events,
        terms=spec.terms,
        control=plan.control,
        conf_level=plan.conf_level,
    )
    name = _time_to_event_label(spec)
    rows: list[tuple[str, ...]] = []
    if tte.km is not None:
        for c in tte.km.curves:
            rows.append(
                (arm_label(c.group), str(c.n), str(c.events), fmt(c.median, 1),
                 _("%(low)s to %(high)s", low=fmt(c.median_ci_low, 1),
                   high=fmt(c.median_ci_high, 1)))
            )  # fmt: skip
    summary: list[tuple[str, str]] = [
        (_("Event"), _("first adverse event of: %(terms)s", terms=", ".join(spec.terms)))
    ]
    if tte.log_rank is not None:
        summary.append(
            (_("Log-rank"), _("χ² = %(chi2)s on %(df)s df, p = %(p)s",
             chi2=fmt(tte.log_rank.statistic, 2), df=tte.log_rank.df,
             p=fmt_p(tte.log_rank.p_value)))
        )  # fmt: skip
    if tte.cox is not None:
        for t in tte.cox.terms:
            summary.append(
                (_("Hazard ratio (%(term)s)", term=model_term(t.name)),
                 _("%(hr)s (%(low)s to %(high)s), p = %(p)s", hr=fmt(t.hazard_ratio, 2),
                   low=fmt(t.ci_low, 2), high=fmt(t.ci_high, 2), p=fmt_p(t.p_value)))
            )  # fmt: skip
        g = tte.cox.ph_tests[-1]
        summary.append((_("Proportional hazards (cox.zph, global)"), f"p = {fmt_p(g.p_value)}"))
    table = Table(
        "time-to-event",
        _("%(endpoint)s: Kaplan–Meier by arm", endpoint=name.capitalize()),
        (_("Arm"), "n", _("Events"), _("Median (weeks)"), _("95 %% CI of the median")),
        tuple(rows),
        _(
            "Safety population; censored at the last visit. Cox model with Efron ties; "
            "proportional hazards checked by the scaled Schoenfeld residuals (R cox.zph)."
        ),
        notes=tte.notes,
    )
    return Section(
        "time-to-event",
        name.capitalize(),
        summary=tuple(summary),
        tables=(table,),
        figures=(_block("kaplan-meier", km_figure(tte.km, name)),) if tte.km else (),
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
            notes.append(
                _(
                    "subgroup %(variable)s: %(error)s",
                    variable=g.variable,
                    error=error_text(err, current_language()),
                )
            )
    combined = pl.concat(tables) if tables else None
    return Section(
        "subgroups",
        _("Subgroup analyses"),
        tables=(subgroup_display(combined, notes),) if combined is not None else (),
        figures=(
            (_block("forest", forest_figure(combined, plan.endpoint, plan.week)),)
            if combined is not None and combined.height
            else ()
        ),
        paragraphs=() if combined is not None else tuple(notes) or (_("No subgroup analysis."),),
    )


def consort_section(study: StudyData) -> Section:
    """The participant flow: the CONSORT diagram with its reasons (SVG in HTML, vector in the
    PDF) and its counts as a table."""
    flow = study_consort(study)
    source = (
        _(
            "Every screened subject of the database, with the eligibility rules failed at "
            "screening and the recorded reasons for leaving; treatment, the last visit and the "
            "full analysis set from the data."
        )
        if study.registry
        else _(
            "Enrolled subjects of the data file (screening is not in the file): allocation, "
            "treatment, the last planned visit and the full analysis set."
        )
    )
    diagram = consort_diagram(flow, title=_("CONSORT flow diagram"))
    return Section(
        "consort",
        _("Participant flow (CONSORT)"),
        figures_before=(
            FigureBlock(
                "consort", _("CONSORT flow diagram"), source, diagram_svg(diagram), None, diagram
            ),
        ),
        tables=(consort_table(flow),),
    )


def consort_table(flow: ConsortFlow) -> Table:
    """The CONSORT counts as a table, one row per arm."""
    if flow.screening_recorded:
        title = _(
            "Participant flow: %(assessed)s assessed for eligibility, %(excluded)s excluded; "
            "%(enrolled)s subjects enrolled",
            assessed=flow.assessed, excluded=flow.excluded, enrolled=flow.enrolled,
        )  # fmt: skip
    else:
        title = _("Participant flow: %(enrolled)s subjects enrolled", enrolled=flow.enrolled)
    rows = tuple(
        (
            arm_label(arm),
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
        title,
        (
            _("Arm"),
            _("Allocated"),
            _("Received intervention"),
            _("Lost to follow-up"),
            _("Discontinued"),
            _("Analysed (full analysis set)"),
            _("Excluded from analysis"),
        ),
        rows,
        _(
            "Full analysis set: treated, with a baseline and at least one post-baseline "
            "assessment. Reasons are in the diagram."
        ),
    )


def safety_section(study: StudyData, adsl: pl.DataFrame) -> Section:
    """Adverse events (overview, by term, severity, seriousness, relatedness) and lab shifts,
    by the arms of ``adsl`` (one pooled column when the data carry no arm)."""
    ae = study.adverse_events
    tables = [
        ae_display(
            ae_overview(adsl, ae), "category", _("Overview of adverse events"), "ae-overview"
        ),
    ]
    if ae.height:
        tables += [
            ae_display(ae_table(adsl, ae, "term"), "term", _("Adverse events by term"), "ae-term"),
            ae_display(
                ae_table(adsl, ae, "severity"),
                "severity",
                _("Adverse events by severity"),
                "ae-severity",
            ),
            ae_display(
                ae_table(adsl, ae, "serious"),
                "serious",
                _("Adverse events by seriousness"),
                "ae-serious",
            ),
            ae_display(
                ae_table(adsl, ae, "related"),
                "related",
                _("Adverse events by relatedness"),
                "ae-related",
            ),
        ]
        if "aesi" in ae.columns and ae["aesi"].is_not_null().any():
            tables.append(
                ae_display(
                    ae_table(adsl, ae, "aesi"),
                    "aesi",
                    _("Adverse events of special interest"),
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
    return Section("safety", _("Safety"), tables=tuple(tables))


def _methods_section() -> Section:
    return Section(
        "methods",
        _("Statistical methods"),
        paragraphs=(
            _(
                "Analysis datasets follow the CDISC ADaM ideas: one row per subject with the "
                "populations (enrolled, randomised, safety: treated; full analysis set: treated "
                "with a baseline and at least one post-baseline assessment; per protocol) and one "
                "row per subject, parameter and visit with baseline (last non-missing value at or "
                "before week 0), change and percent change."
            ),
            _(
                "Within arms, change from baseline is summarised with the mean, SD and t-based 95 "
                "%% CI, the median and quartiles, and tested with the paired t-test and the "
                "Wilcoxon signed-rank test (exact distribution when n < 50 without ties or zeros, "
                "otherwise the normal approximation with continuity correction), with the "
                "Hodges–Lehmann estimate and its CI."
            ),
            _(
                "Between arms, the change at the analysis week is compared by ANCOVA adjusted for "
                "baseline, and over all post-baseline visits by a mixed model for repeated "
                "measures (fixed effects arm, visit, arm × visit, baseline and baseline × visit; "
                "unstructured covariance; REML), which uses every observed visit of subjects who "
                "drop out. The Mann–Whitney test with the Hodges–Lehmann shift and Hedges' g "
                "complete the comparison. Responder rates carry Wilson CIs; differences in rates "
                "carry Newcombe CIs and Fisher's exact test. Secondary endpoints are adjusted for "
                "multiplicity by Holm's and Benjamini–Hochberg's methods."
            ),
            _(
                "All methods reproduce R's defaults (t.test, wilcox.test, lm, nlme::gls, "
                "fisher.test, p.adjust) and are checked against R reference values in autoserum's "
                "test suite."
            ),
        ),
    )
