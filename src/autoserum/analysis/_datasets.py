"""Analysis datasets in the spirit of CDISC ADaM: a subject-level table (ADSL) and a basic data
structure (BDS) with one row per subject × parameter × visit, with plain column names.

Reference: CDISC Analysis Data Model (ADaM) v2.1 and ADaM Implementation Guide v1.3
(ADSL population flags SAFFL/FASFL/PPROTFL; BDS variables BASE, CHG, PCHG, ABLFL, ANL01FL).

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> adsl = build_adsl(study.visits)
>>> adsl.height, int(adsl["fas"].sum())
(30, 30)
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from autoserum.analysis._format import INSTRUMENT_RANGES, LAB_COLUMNS
from autoserum.analysis._responders import responder_definitions, responder_expr
from autoserum.errors import Expected, ValidationError
from autoserum.i18n import N_

__all__ = ["ARM_BLINDED", "build_adsl", "build_bds", "parameters_in"]

#: The arm label used when the data are blinded (no ``arm`` column): all subjects pooled. The
#: value the data carry (exports, JSON) is this English text; a document shows it in its
#: language (``autoserum.report._i18n.arm``: the catalog message).
ARM_BLINDED = N_("pooled (blinded)")


def parameters_in(frame: pl.DataFrame) -> list[str]:
    """The instrument totals and labs present in a visit table with at least one value."""
    return [
        c
        for c in (*INSTRUMENT_RANGES, *LAB_COLUMNS)
        if c in frame.columns and frame[c].null_count() < frame.height
    ]


def _with_arm(frame: pl.DataFrame) -> pl.DataFrame:
    """The arm (pooled when blinded) and the subject flags that default to true."""
    for flag in ("treated", "per_protocol"):
        if flag not in frame.columns:
            frame = frame.with_columns(pl.lit(True).alias(flag))
    if "arm" in frame.columns:
        return frame
    return frame.with_columns(pl.lit(ARM_BLINDED).alias("arm"))


def _baselines(frame: pl.DataFrame, parameters: Sequence[str]) -> pl.DataFrame:
    """Per subject: the last non-missing value at or before week 0 of each parameter."""
    pre = frame.filter(pl.col("week") <= 0).sort("subject_id", "week")
    return pre.group_by("subject_id", maintain_order=True).agg(
        pl.col(p).drop_nulls().last().alias(f"{p}_baseline") for p in parameters
    )


def build_adsl(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per subject: arm, populations and baseline covariates.

    Populations (booleans):

    - ``enrolled``: every subject of the file;
    - ``randomised``: has an arm (all subjects when the data are blinded);
    - ``safety``: randomised and ``treated`` (received at least one injection);
    - ``fas`` (full analysis set, modified ITT): safety, a baseline value and at least one
      post-baseline value of an instrument total;
    - ``per_protocol``: ``fas`` and the subject's ``per_protocol`` flag.

    Also ``baseline_assessed`` and ``post_baseline_assessed`` (an instrument total at or
    before week 0, and after it: what ``fas`` needs besides ``safety``),
    ``last_week`` (last week with any value), ``completed`` (reached the last planned week,
    i.e. the largest week of the study) and ``<parameter>_baseline`` for every instrument total
    and laboratory value in the file (the last non-missing value at or before week 0).

    >>> from autoserum.analysis import study_from_frames
    >>> from autoserum.simulate import simulate_study
    >>> sim = simulate_study("ast-nahm2023", 30, seed=1)
    >>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
    >>> adsl = build_adsl(study.visits)
    >>> adsl.select("subject_id", "arm", "fas", "easi_baseline").row(0)
    ('AST-01', 'placebo', True, 7.3)
    """
    frame = _with_arm(frame)
    params = parameters_in(frame)
    instruments = [p for p in params if p in INSTRUMENT_RANGES]
    keep = [
        c for c in ("arm", "site", "age", "sex", "treated", "per_protocol") if c in frame.columns
    ]
    any_value = (
        pl.any_horizontal(pl.col(p).is_not_null() for p in params) if params else pl.lit(False)
    )
    any_instrument = (
        pl.any_horizontal(pl.col(p).is_not_null() for p in instruments)
        if instruments
        else pl.lit(False)
    )
    subjects = (
        frame.sort("subject_id", "week")
        .group_by("subject_id", maintain_order=True)
        .agg(
            *(pl.col(c).first() for c in keep),
            pl.col("week").filter(any_value).max().alias("last_week"),
            (any_instrument & (pl.col("week") > 0)).any().alias("_post"),
            (any_instrument & (pl.col("week") <= 0)).any().alias("_pre"),
        )
    )
    final_week = frame["week"].max()
    adsl = subjects.join(_baselines(frame, params), on="subject_id", how="left")
    adsl = adsl.with_columns(
        pl.lit(True).alias("enrolled"),
        pl.col("arm").is_not_null().alias("randomised"),
    ).with_columns(
        (pl.col("randomised") & pl.col("treated")).alias("safety"),
        (pl.col("last_week") >= final_week).fill_null(False).alias("completed"),
    )
    adsl = adsl.with_columns(
        (pl.col("safety") & pl.col("_pre") & pl.col("_post")).alias("fas"),
        pl.col("_pre").alias("baseline_assessed"),
        pl.col("_post").alias("post_baseline_assessed"),
    ).with_columns((pl.col("fas") & pl.col("per_protocol")).alias("pp"))
    front = ["subject_id", *keep, "enrolled", "randomised", "safety", "fas", "pp"]
    rest = [c for c in adsl.columns if c not in front and not c.startswith("_")]
    return adsl.select(*front, *rest).drop("per_protocol").rename({"pp": "per_protocol"})


def build_bds(frame: pl.DataFrame, parameters: Sequence[str]) -> pl.DataFrame:
    """One row per subject × parameter × visit with a value: baseline, change and flags.

    Columns: ``subject_id, arm, parameter, week, visit, value, baseline, change, percent_change,
    baseline_flag, post_baseline, analysis_flag, safety, fas, per_protocol`` and one Boolean
    column per responder rule of the parameters (``easi_50``, ``easi_mcid``, …; see
    :func:`responder_definitions`), set on analysis records of its parameter, where ``change`` =
    value − baseline, ``percent_change`` = (value − baseline) / baseline × 100 (null when the
    baseline is 0; negative = improvement, as ADaM PCHG), ``baseline_flag`` marks the record used
    as baseline and ``analysis_flag`` marks post-baseline records with a value and a baseline.

    >>> from autoserum.analysis import study_from_frames
    >>> from autoserum.simulate import simulate_study
    >>> sim = simulate_study("ast-nahm2023", 30, seed=1)
    >>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
    >>> bds = build_bds(study.visits, ["easi", "dlqi"])
    >>> sorted(bds["parameter"].unique())
    ['dlqi', 'easi']
    >>> bds.columns[:8]
    ['subject_id', 'arm', 'parameter', 'week', 'visit', 'value', 'baseline', 'change']
    """
    for p in parameters:
        if p not in frame.columns:
            raise ValidationError(
                "parameter", p, Expected("an instrument total or lab column present in the data")
            )
    frame = _with_arm(frame)
    adsl = build_adsl(frame).select("subject_id", "safety", "fas", "per_protocol")
    visit = pl.col("visit") if "visit" in frame.columns else pl.lit(None, pl.String)
    parts = []
    for p in parameters:
        rows = frame.filter(pl.col(p).is_not_null()).select(
            "subject_id",
            "arm",
            pl.lit(p).alias("parameter"),
            "week",
            visit.alias("visit"),
            pl.col(p).cast(pl.Float64).alias("value"),
        )
        base_week = (
            rows.filter(pl.col("week") <= 0)
            .group_by("subject_id")
            .agg(pl.col("week").max().alias("_base_week"))
        )
        base = rows.join(base_week, on="subject_id").filter(pl.col("week") == pl.col("_base_week"))
        rows = rows.join(
            base.select("subject_id", pl.col("value").alias("baseline"), "_base_week"),
            on="subject_id",
            how="left",
        )
        parts.append(rows)
    if not parts:
        raise ValidationError("parameters", list(parameters), Expected("at least one parameter"))
    bds = pl.concat(parts)
    bds = bds.with_columns(
        (pl.col("value") - pl.col("baseline")).alias("change"),
        pl.when(pl.col("baseline") != 0)
        .then((pl.col("value") - pl.col("baseline")) / pl.col("baseline") * 100)
        .otherwise(None)
        .alias("percent_change"),
        (pl.col("week") == pl.col("_base_week")).fill_null(False).alias("baseline_flag"),
        (pl.col("week") > 0).alias("post_baseline"),
    ).with_columns(
        (pl.col("post_baseline") & pl.col("baseline").is_not_null()).alias("analysis_flag")
    )
    bds = bds.drop("_base_week").join(adsl, on="subject_id", how="left")
    flags = [
        pl.when((pl.col("parameter") == p) & pl.col("analysis_flag"))
        .then(responder_expr(rule))
        .otherwise(pl.lit(None, pl.Boolean))
        .alias(rule.code)
        for p in dict.fromkeys(parameters)
        for rule in responder_definitions(p)
    ]
    return bds.with_columns(flags).sort("parameter", "subject_id", "week")
