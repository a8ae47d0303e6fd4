"""Endpoint analysis of one instrument total: within-arm change, between-arm comparisons
(ANCOVA, MMRM, Mann–Whitney, Hedges' g), responders and responder characteristics.

Every statistic comes from :mod:`autoserum.stats` (validated against R there); this module
selects the data, calls the methods and gathers their results in tidy tables.

Reference: ICH E9 (statistical principles for clinical trials); EMA guideline on adjustment for
baseline covariates (EMA/CHMP/295050/2013); Mallinckrodt et al., Drug Inf J 2008;42:303-19
(MMRM as primary analysis of longitudinal trials).

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> result = analyze_endpoint(study.visits, "easi", 8, control="placebo")
>>> round(result.to_json()["between"][0]["ancova"]["estimate"], 2)
-0.07
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from autoserum.analysis._datasets import build_adsl, build_bds
from autoserum.analysis._format import INSTRUMENT_RANGES, LAB_COLUMNS
from autoserum.analysis._plan import AnalysisPlan, Population, choose_arms
from autoserum.analysis._predictors import predictor_table
from autoserum.analysis._responders import responder_definitions
from autoserum.analysis._tables import (
    LS_MEANS_SCHEMA,
    between_table,
    responder_tables,
    within_table,
)
from autoserum.errors import Expected, ValidationError

__all__ = ["EndpointResult", "analyze_endpoint", "analyze_plan"]


@dataclass(frozen=True)
class EndpointResult:
    """The analysis of one endpoint; every table is a tidy Polars DataFrame.

    - ``within``: per arm and post-baseline week, change from baseline (``arm, week, n,
      mean_change, sd_change, se_change, ci_low, ci_high, median_change, q1_change,
      q3_change, t_statistic, t_df, t_p_value, wilcoxon_statistic, wilcoxon_p_value,
      wilcoxon_method, hl_estimate, hl_ci_low, hl_ci_high``; the paired t and signed-rank
      tests and the Hodges–Lehmann CI follow the plan's ``alternative``, ``less`` meaning a
      score that falls from baseline);
    - ``between``: treatment − control per treatment arm, method and week (``method, arm,
      control, week, n_treatment, n_control, estimate, se, ci_low, ci_high, statistic_name,
      statistic, df, p_value``), methods ``ancova`` (t), ``mmrm`` (t), ``mann_whitney`` (W)
      and ``hedges_g``;
    - ``responders``: per rule and arm at the analysis week (``responder, label, arm, n,
      responders, rate, ci_low, ci_high`` with the rule's ``kind`` and ``threshold``);
      ``responder_comparison``: per rule and treatment arm against the control
      (``responder, arm, control, responders_treatment, n_treatment, responders_control,
      n_control, risk_difference, rd_ci_low, rd_ci_high, fisher_p_value``);
    - ``predictors``: baseline covariates of responders vs non-responders;
    - ``ls_means``: the ANCOVA's least-squares mean per arm at ``week`` (``arm, estimate, se,
      ci_low, ci_high, df``, as R ``emmeans``) and ``overall`` its F test of the arm
      (``statistic, df1, df2, p_value``); ``covariates`` those adjusted for besides baseline.
    """

    endpoint: str
    week: float
    population: str
    arms: tuple[str, ...]
    control: str | None
    within: pl.DataFrame
    between: pl.DataFrame
    responders: pl.DataFrame
    responder_comparison: pl.DataFrame
    predictors: pl.DataFrame
    predictor_rule: str | None
    notes: tuple[str, ...] = field(default=())
    ls_means: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=LS_MEANS_SCHEMA))
    overall: dict[str, float] | None = None
    covariates: tuple[str, ...] = ()
    conf_level: float = 0.95
    alternative: str = "two-sided"
    responder_missing: str = "observed"
    mmrm_covariance: str = "unstructured"
    mmrm_df: str = "residual"

    @property
    def treatments(self) -> tuple[str, ...]:
        """The arms compared with the control (empty without a control)."""
        return tuple(a for a in self.arms if a != self.control) if self.control else ()

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``autoserum analyze --json`` (see docs/analysis.md)."""
        return _to_json(self)


def _rows(frame: pl.DataFrame, cols: Sequence[str]) -> list[dict[str, Any]]:
    present = [c for c in cols if c in frame.columns]
    return [
        {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
        for r in frame.select(present).iter_rows(named=True)
    ]


_EST = (
    "n_treatment",
    "n_control",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "statistic_name",
    "statistic",
    "df",
    "p_value",
)
_METHODS = ("ancova", "mmrm", "mann_whitney", "hedges_g")


def _between_json(result: EndpointResult) -> list[dict[str, Any]]:
    """One entry per treatment arm against the control, each method with its full statistics."""
    at_week = result.between.filter(pl.col("week") == result.week)
    out = []
    for arm in result.treatments:
        entry: dict[str, Any] = {"arm": arm, "control": result.control, "week": result.week}
        for method in _METHODS:
            rows = _rows(
                at_week.filter((pl.col("arm") == arm) & (pl.col("method") == method)), _EST
            )
            entry[method] = rows[0] if rows else None
        out.append(entry)
    return out


def _to_json(result: EndpointResult) -> dict[str, Any]:
    at_week = pl.col("week") == result.week
    out: dict[str, Any] = {
        "endpoint": result.endpoint,
        "week": result.week,
        "population": result.population,
        "arms": list(result.arms),
        "control": result.control,
        "treatments": list(result.treatments),
        "within": _rows(
            result.within.filter(at_week),
            (
                "arm",
                "n",
                "mean_change",
                "sd_change",
                "ci_low",
                "ci_high",
                "median_change",
                "q1_change",
                "q3_change",
                "t_statistic",
                "t_df",
                "t_p_value",
                "wilcoxon_statistic",
                "wilcoxon_p_value",
                "wilcoxon_method",
                "hl_estimate",
                "hl_ci_low",
                "hl_ci_high",
            ),
        ),
        "between": _between_json(result),
        "covariates": list(result.covariates),
        "conf_level": result.conf_level,
        "alternative": result.alternative,
        "responder_missing": result.responder_missing,
        "mmrm_covariance": result.mmrm_covariance,
        "mmrm_df": result.mmrm_df,
        "ls_means": _rows(result.ls_means, tuple(LS_MEANS_SCHEMA)),
        "overall_test": result.overall,
    }
    comparisons = _rows(
        result.responder_comparison,
        (
            "responder",
            "arm",
            "control",
            "responders_treatment",
            "n_treatment",
            "responders_control",
            "n_control",
            "risk_difference",
            "rd_ci_low",
            "rd_ci_high",
            "fisher_p_value",
        ),
    )
    by_rule_arm = {(r["responder"], r["arm"]): r for r in comparisons}
    out["responders"] = [
        {
            **r,
            "fisher_p_value": by_rule_arm.get((r["responder"], r["arm"]), {}).get("fisher_p_value"),
        }
        for r in _rows(
            result.responders,
            (
                "responder",
                "label",
                "kind",
                "threshold",
                "arm",
                "n",
                "responders",
                "rate",
                "ci_low",
                "ci_high",
            ),
        )
    ]
    out["responder_comparisons"] = comparisons
    if result.predictors.height:
        out["predictor_responder"] = result.predictor_rule
        out["predictors"] = _rows(
            result.predictors,
            (
                "name",
                "test",
                "n_responders",
                "n_non_responders",
                "responders_median",
                "non_responders_median",
                "p_value",
            ),
        )
    out["notes"] = list(result.notes)
    return out


def _analysis_rows(
    frame: pl.DataFrame, endpoint: str, population: Population
) -> tuple[pl.DataFrame, pl.DataFrame]:
    if endpoint not in INSTRUMENT_RANGES and endpoint not in LAB_COLUMNS:
        raise ValidationError(
            "endpoint",
            endpoint,
            Expected("an instrument total: %(values)s", values=", ".join(INSTRUMENT_RANGES)),
        )
    if endpoint not in frame.columns or frame[endpoint].null_count() == frame.height:
        raise ValidationError(
            "endpoint", endpoint, Expected("an instrument total with values in the data")
        )
    adsl = build_adsl(frame)
    bds = build_bds(frame, [endpoint])
    rows = bds.filter(pl.col("analysis_flag") & pl.col(population))
    return adsl, rows


def analyze_endpoint(
    frame: pl.DataFrame,
    endpoint: str,
    week: float,
    *,
    control: str | None = None,
    predictors: Sequence[str] = (),
    population: Population = "fas",
    conf_level: float = 0.95,
    covariates: Sequence[str] = (),
    alternative: str = "two-sided",
    responder_missing: str = "observed",
    mmrm_covariance: str = "unstructured",
    mmrm_df: str = "residual",
) -> EndpointResult:
    """Analyse an instrument total at ``week`` (and at every post-baseline visit).

    Within each arm: change from baseline (``stats.describe``, ``stats.paired_t``,
    ``stats.wilcoxon_signed_rank``). Between each treatment arm and ``control``:
    ``stats.linear_model`` on change at ``week`` adjusted for baseline and ``covariates`` (all
    arms in one model; LS means per arm and the overall F test), ``stats.mmrm`` on change over
    all post-baseline visits, ``stats.mann_whitney`` and ``stats.hedges_g`` on change at
    ``week``. Responders at ``week`` by the rules of :func:`responder_definitions` (observed
    cases, or with ``responder_missing="non_responder"`` every subject of the population
    without a response at the week counted as a non-responder; ``stats.wilson_ci``,
    ``stats.newcombe_rd``, ``stats.fisher_exact``). With
    ``predictors``, their baseline values compared between responders and non-responders of the
    first rule (treatment arm when there is a control, else all subjects): numeric by
    ``stats.mann_whitney``, ``sex`` by ``stats.fisher_exact``.

    >>> from autoserum.analysis import study_from_frames
    >>> from autoserum.simulate import simulate_study
    >>> sim = simulate_study("ast-nahm2023", 30, seed=1)
    >>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
    >>> r = analyze_endpoint(study.visits, "easi", 8, control="placebo")
    >>> r.arms, sorted(set(r.between["method"]))
    (('placebo', 'serum'), ['ancova', 'hedges_g', 'mann_whitney', 'mmrm'])
    """
    if population not in ("fas", "per_protocol"):
        raise ValidationError("population", population, Expected("fas or per_protocol"))
    adsl, rows = _analysis_rows(frame, endpoint, population)
    arms = tuple(sorted(adsl.filter(pl.col(population))["arm"].unique().to_list()))
    if not arms:
        raise ValidationError(
            "population", population, Expected("at least one subject in the population")
        )
    weeks = sorted(rows["week"].unique().to_list())
    if week not in weeks:
        raise ValidationError(
            "week",
            week,
            Expected(
                "a post-baseline week of the data: %(values)s",
                values=", ".join(f"{w:g}" for w in weeks),
            ),
        )
    ctrl = choose_arms(arms, control)
    if alternative not in ("two-sided", "less", "greater"):
        raise ValidationError("alternative", alternative, Expected("two-sided, less or greater"))
    rows = _with_covariates(rows, adsl, covariates)
    notes: list[str] = []
    within = within_table(rows, arms, conf_level, notes, alternative=alternative)
    between, fit = between_table(
        rows,
        arms,
        ctrl,
        week,
        conf_level,
        notes,
        covariates=covariates,
        alternative=alternative,
        mmrm_options={"covariance": mmrm_covariance, "df": mmrm_df},
    )
    rules = responder_definitions(endpoint)
    at_week = rows.filter(pl.col("week") == week)
    flagged = at_week  # build_bds set one flag column per rule
    if responder_missing not in ("observed", "non_responder"):
        raise ValidationError(
            "responder_missing", responder_missing, Expected("observed or non_responder")
        )
    sizes = (
        {a: int(n) for a, n in adsl.filter(pl.col(population)).group_by("arm").len().iter_rows()}
        if responder_missing == "non_responder"
        else None
    )
    responders, comparison = responder_tables(
        flagged,
        rules,
        arms,
        ctrl,
        conf_level,
        notes,
        population_sizes=sizes,
        alternative=alternative,
    )
    predictor_rule = rules[0].code if rules and predictors else None
    pred = predictor_table(flagged, adsl, predictor_rule, predictors, arms, ctrl=ctrl, notes=notes)
    return EndpointResult(
        endpoint=endpoint,
        week=float(week),
        population=population,
        arms=arms,
        control=ctrl,
        within=within,
        between=between,
        responders=responders,
        responder_comparison=comparison,
        predictors=pred,
        predictor_rule=predictor_rule,
        notes=tuple(notes),
        ls_means=pl.DataFrame(
            [m.to_dict() for m in fit.ls_means] if fit is not None else [], schema=LS_MEANS_SCHEMA
        ),
        overall=fit.overall.to_dict() if fit is not None else None,
        covariates=tuple(covariates),
        conf_level=conf_level,
        alternative=alternative,
        responder_missing=responder_missing,
        mmrm_covariance=mmrm_covariance,
        mmrm_df=mmrm_df,
    )


_SUBJECT = ("site", "age", "sex")


def _with_covariates(
    rows: pl.DataFrame, adsl: pl.DataFrame, covariates: Sequence[str]
) -> pl.DataFrame:
    """The analysis rows with each covariate (a subject-level column of the ADSL, or a
    baseline value ``<name>_baseline``) joined on as a column named ``name``."""
    if not covariates:
        return rows
    picks = []
    for name in covariates:
        if name in ("baseline", "arm") or name in rows.columns:
            raise ValidationError(
                "covariates", name, Expected("a baseline characteristic, e.g. age, site")
            )
        if name in adsl.columns:
            picks.append(pl.col(name))
        elif f"{name}_baseline" in adsl.columns:
            picks.append(pl.col(f"{name}_baseline").alias(name))
        else:
            known = [
                c for c in adsl.columns if c in ("site", "age", "sex") or c.endswith("_baseline")
            ]
            raise ValidationError(
                "covariates",
                name,
                Expected("a column of the data: %(values)s", values=", ".join(known)),
            )
    return rows.join(adsl.select("subject_id", *picks), on="subject_id", how="left")


def analyze_plan(frame: pl.DataFrame, plan: AnalysisPlan) -> EndpointResult:
    """Run the analysis ``plan`` (from :func:`autoserum.analysis.plan_analysis`) on ``frame``.

    >>> from autoserum.analysis import plan_analysis, read_long
    >>> from autoserum.protocols import load_protocol
    >>> from autoserum.simulate import simulate_study, write_study
    >>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "a.csv")
    >>> frame = read_long(csv)
    >>> result = analyze_plan(frame, plan_analysis(frame, load_protocol("ast-nahm2023")))
    >>> result.endpoint, round(result.to_json()["between"][0]["ancova"]["estimate"], 2)
    ('scorad', -2.93)
    """
    return analyze_endpoint(
        frame,
        plan.endpoint,
        plan.week,
        control=plan.control,
        predictors=plan.predictors,
        population=plan.population,
        conf_level=plan.conf_level,
        covariates=plan.covariates,
        alternative=plan.alternative,
        mmrm_covariance=plan.mmrm_covariance,
        mmrm_df=plan.mmrm_df,
    )
