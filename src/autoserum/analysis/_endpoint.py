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
>>> round(result.to_json()["between"]["ancova"]["estimate"], 2)
-0.07
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from autoserum.analysis._datasets import build_adsl, build_bds
from autoserum.analysis._format import INSTRUMENT_RANGES, LAB_COLUMNS
from autoserum.analysis._predictors import predictor_table
from autoserum.analysis._responders import responder_definitions
from autoserum.analysis._tables import between_table, responder_tables, within_table
from autoserum.errors import ValidationError

__all__ = ["EndpointResult", "Population", "analyze_endpoint", "choose_arms"]

Population = Literal["fas", "per_protocol"]

_CONTROL_NAMES = ("placebo", "control", "saline", "vehicle", "standard_care")


@dataclass(frozen=True)
class EndpointResult:
    """The analysis of one endpoint; every table is a tidy Polars DataFrame.

    - ``within``: per arm and post-baseline week, change from baseline (``arm, week, n,
      mean_change, sd_change, se_change, ci_low, ci_high, median_change, q1_change,
      q3_change, t_statistic, t_df, t_p_value, wilcoxon_statistic, wilcoxon_p_value,
      wilcoxon_method, hl_estimate, hl_ci_low, hl_ci_high``);
    - ``between``: treatment − control per method and week (``method, arm, week, estimate,
      se, ci_low, ci_high, statistic, df, p_value``), methods ``ancova``, ``mmrm``,
      ``mann_whitney``, ``hedges_g``;
    - ``responders``: per rule and arm at the analysis week (``responder, label, arm, n,
      responders, rate, ci_low, ci_high`` with the rule's ``kind`` and ``threshold``);
      ``responder_comparison``: per rule and treatment
      arm (``risk_difference, rd_ci_low, rd_ci_high, fisher_p_value``);
    - ``predictors``: baseline covariates of responders vs non-responders.
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


_EST = ("estimate", "se", "ci_low", "ci_high", "p_value")


def _to_json(result: EndpointResult) -> dict[str, Any]:
    at_week = pl.col("week") == result.week
    out: dict[str, Any] = {
        "endpoint": result.endpoint,
        "week": result.week,
        "population": result.population,
        "arms": list(result.arms),
        "control": result.control,
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
                "t_p_value",
                "wilcoxon_p_value",
                "wilcoxon_method",
                "hl_estimate",
                "hl_ci_low",
                "hl_ci_high",
            ),
        ),
    }
    if len(result.treatments) == 1:
        out["treatment"] = result.treatments[0]
        between: dict[str, Any] = {}
        for method in ("ancova", "mmrm", "mann_whitney", "hedges_g"):
            rows = _rows(result.between.filter(at_week & (pl.col("method") == method)), _EST)
            between[method] = rows[0] if rows else None
        out["between"] = between
    comparison = {
        r["responder"]: r
        for r in _rows(
            result.responder_comparison,
            ("responder", "risk_difference", "rd_ci_low", "rd_ci_high", "fisher_p_value"),
        )
    }
    out["responders"] = [
        {
            **r,
            "fisher_p_value": comparison.get(r["responder"], {}).get("fisher_p_value"),
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
    out["responder_comparisons"] = list(comparison.values())
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


def choose_arms(arms: Sequence[str], control: str | None) -> str | None:
    """The control arm: ``control`` when given (it must exist), else the only arm called
    placebo/control/saline/vehicle/standard_care, else ``None`` for a single arm."""
    if control is not None:
        if control not in arms:
            raise ValidationError("control", control, "one of the arms: " + ", ".join(arms))
        return control
    if len(arms) < 2:
        return None
    named = [a for a in arms if a.lower() in _CONTROL_NAMES]
    if len(named) == 1:
        return named[0]
    raise ValidationError("control", None, "--control ARM naming one of: " + ", ".join(arms))


def _analysis_rows(
    frame: pl.DataFrame, endpoint: str, population: Population
) -> tuple[pl.DataFrame, pl.DataFrame]:
    if endpoint not in INSTRUMENT_RANGES and endpoint not in LAB_COLUMNS:
        raise ValidationError(
            "endpoint", endpoint, "an instrument total: " + ", ".join(INSTRUMENT_RANGES)
        )
    if endpoint not in frame.columns or frame[endpoint].null_count() == frame.height:
        raise ValidationError("endpoint", endpoint, "an instrument total with values in the data")
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
) -> EndpointResult:
    """Analyse an instrument total at ``week`` (and at every post-baseline visit).

    Within each arm: change from baseline (``stats.describe``, ``stats.paired_t``,
    ``stats.wilcoxon_signed_rank``). Between each treatment arm and ``control``:
    ``stats.ancova`` on change at ``week`` adjusted for baseline, ``stats.mmrm`` on change over
    all post-baseline visits, ``stats.mann_whitney`` and ``stats.hedges_g`` on change at
    ``week``. Responders at ``week`` by the rules of :func:`responder_definitions` (observed
    cases; ``stats.wilson_ci``, ``stats.newcombe_rd``, ``stats.fisher_exact``). With
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
        raise ValidationError("population", population, "fas or per_protocol")
    adsl, rows = _analysis_rows(frame, endpoint, population)
    arms = tuple(sorted(adsl.filter(pl.col(population))["arm"].unique().to_list()))
    if not arms:
        raise ValidationError("population", population, "at least one subject in the population")
    weeks = sorted(rows["week"].unique().to_list())
    if week not in weeks:
        raise ValidationError(
            "week", week, "a post-baseline week of the data: " + ", ".join(f"{w:g}" for w in weeks)
        )
    ctrl = choose_arms(arms, control)
    notes: list[str] = []
    within = within_table(rows, arms, conf_level, notes)
    between = between_table(rows, arms, ctrl, week, conf_level, notes)
    rules = responder_definitions(endpoint)
    at_week = rows.filter(pl.col("week") == week)
    flagged = at_week  # build_bds set one flag column per rule
    responders, comparison = responder_tables(flagged, rules, arms, ctrl, conf_level, notes)
    predictor_rule = rules[0].code if rules and predictors else None
    pred = predictor_table(flagged, adsl, predictor_rule, predictors, arms, ctrl, notes)
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
    )
