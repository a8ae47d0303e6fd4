"""Safety tables: adverse events by arm and term/severity/seriousness/relatedness, and laboratory
shifts against reference ranges.

Counts are of subjects (a subject with two events of a term counts once) over the safety
population of the arm, with the number of events beside them, as ICH E3 section 12.2 and the
CONSORT harms extension (Ioannidis et al., Ann Intern Med 2004;141:781-8) recommend.

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> from autoserum.analysis import build_adsl
>>> table = ae_table(build_adsl(study.visits), study.adverse_events, "term")
>>> table.columns
['arm', 'term', 'n_subjects', 'n_events', 'n_population', 'percent']
>>> table.select("arm", "term", "n_subjects", "n_events", "n_population").row(0)
('placebo', 'appendicitis', 1, 1, 14)
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from autoserum.analysis._format import LAB_REFERENCE_RANGES
from autoserum.errors import Expected, ValidationError

__all__ = ["RELATED_CODES", "ae_overview", "ae_table", "lab_shifts"]

#: Relatedness codes counted as "related" (possibly or more).
RELATED_CODES: tuple[str, ...] = ("possible", "probable", "definite")

AeBy = Literal["term", "severity", "serious", "related", "aesi"]


def _population(adsl: pl.DataFrame) -> pl.DataFrame:
    return (
        adsl.filter(pl.col("safety"))
        .group_by("arm")
        .agg(pl.len().cast(pl.Int64).alias("n_population"))
    )


def _events(adsl: pl.DataFrame, ae: pl.DataFrame) -> pl.DataFrame:
    """Adverse events of the safety population, with the arm taken from the ADSL."""
    safety = adsl.filter(pl.col("safety")).select("subject_id", "arm")
    return ae.drop("arm", strict=False).join(safety, on="subject_id", how="inner")


def _percent(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        (pl.col("n_subjects") / pl.col("n_population") * 100).alias("percent")
    )


def ae_overview(adsl: pl.DataFrame, ae: pl.DataFrame) -> pl.DataFrame:
    """Subjects with any, serious, severe and related adverse events, per arm.

    Columns: ``arm, category, n_subjects, n_events, n_population, percent``.
    """
    events = _events(adsl, ae)
    categories = {
        "any adverse event": pl.lit(True),
        "serious": pl.col("serious").fill_null(False),
        "severe": pl.col("severity") == "severe",
        "related (possible, probable, definite)": pl.col("related").is_in(RELATED_CODES),
        "leading to death": pl.col("outcome") == "fatal",
    }
    pop = _population(adsl)
    parts = []
    for label, mask in categories.items():
        counted = (
            events.filter(mask.fill_null(False))
            .group_by("arm")
            .agg(
                pl.col("subject_id").n_unique().cast(pl.Int64).alias("n_subjects"),
                pl.len().cast(pl.Int64).alias("n_events"),
            )
        )
        part = pop.join(counted, on="arm", how="left").with_columns(
            pl.lit(label).alias("category"),
            pl.col("n_subjects").fill_null(0),
            pl.col("n_events").fill_null(0),
        )
        parts.append(part.select("arm", "category", "n_subjects", "n_events", "n_population"))
    return _percent(pl.concat(parts)).sort("category", "arm", maintain_order=True)


def ae_table(adsl: pl.DataFrame, ae: pl.DataFrame, by: AeBy) -> pl.DataFrame:
    """Subjects with an adverse event by arm and ``by`` (term, severity, serious, related, or
    ``aesi``: the protocol's adverse events of special interest, an event counted under each
    interest it belongs to).

    Columns: ``arm, <by>, n_subjects, n_events, n_population, percent``; sorted by ``by`` then
    arm. A subject counts once per level (for severity: every level they had).
    """
    if by not in ("term", "severity", "serious", "related", "aesi"):
        raise ValidationError("by", by, Expected("one of term, severity, serious, related, aesi"))
    if by == "aesi":
        ae = (
            ae.filter(pl.col("aesi").is_not_null())
            .with_columns(pl.col("aesi").str.split(", "))
            .explode("aesi")
        )
    events = _events(adsl, ae)
    pop = _population(adsl)
    counted = events.group_by("arm", by).agg(
        pl.col("subject_id").n_unique().cast(pl.Int64).alias("n_subjects"),
        pl.len().cast(pl.Int64).alias("n_events"),
    )
    levels = events.select(by).unique()
    grid = pop.join(levels, how="cross")
    table = grid.join(counted, on=["arm", by], how="left", nulls_equal=True).with_columns(
        pl.col("n_subjects").fill_null(0), pl.col("n_events").fill_null(0)
    )
    table = table.select("arm", by, "n_subjects", "n_events", "n_population")
    return _percent(table).sort(by, "arm")


def _category(col: str, low: float | None, high: float | None) -> pl.Expr:
    value = pl.col(col)
    expr: Any = pl.when(value.is_null()).then(pl.lit(None, pl.String))
    if low is not None:
        expr = expr.when(value < low).then(pl.lit("low"))
    if high is not None:
        expr = expr.when(value > high).then(pl.lit("high"))
    out: pl.Expr = expr.otherwise(pl.lit("normal"))
    return out


def lab_shifts(frame: pl.DataFrame, adsl: pl.DataFrame) -> pl.DataFrame:
    """Shift tables: baseline category × last post-baseline category per arm and lab.

    Categories are ``low``/``normal``/``high`` against :data:`LAB_REFERENCE_RANGES`; labs
    without a reference range are not shifted. Columns: ``lab, arm, baseline_category,
    post_category, n_subjects``.
    """
    labs = [lab for lab in LAB_REFERENCE_RANGES if lab in frame.columns]
    safety = adsl.filter(pl.col("safety")).select("subject_id", "arm")
    parts = []
    for lab in labs:
        rng = LAB_REFERENCE_RANGES[lab]
        rows = frame.filter(pl.col(lab).is_not_null()).sort("subject_id", "week")
        base = (
            rows.filter(pl.col("week") <= 0)
            .group_by("subject_id")
            .agg(pl.col(lab).last().alias("_base"))
        )
        post = (
            rows.filter(pl.col("week") > 0)
            .group_by("subject_id")
            .agg(pl.col(lab).last().alias("_post"))
        )
        both = safety.join(base, on="subject_id").join(post, on="subject_id")
        counted = (
            both.with_columns(
                _category("_base", rng.low, rng.high).alias("baseline_category"),
                _category("_post", rng.low, rng.high).alias("post_category"),
            )
            .group_by("arm", "baseline_category", "post_category")
            .agg(pl.len().cast(pl.Int64).alias("n_subjects"))
            .with_columns(pl.lit(lab).alias("lab"))
        )
        parts.append(
            counted.select("lab", "arm", "baseline_category", "post_category", "n_subjects")
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "lab": pl.String,
                "arm": pl.String,
                "baseline_category": pl.String,
                "post_category": pl.String,
                "n_subjects": pl.Int64,
            }
        )
    return pl.concat(parts).sort("lab", "arm", "baseline_category", "post_category")
