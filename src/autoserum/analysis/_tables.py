"""The tables of an endpoint analysis, each built by calling :mod:`autoserum.stats`.

Reference: R ``t.test``, ``wilcox.test(conf.int = TRUE)``, ``lm``, ``nlme::gls``,
``fisher.test`` (the stats package reproduces them and is tested against them).

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> import polars as pl
>>> from autoserum.analysis import build_bds
>>> rows = build_bds(study.visits, ["easi"]).filter(pl.col("analysis_flag") & pl.col("fas"))
>>> table = within_table(rows, ("placebo", "serum"), 0.95, [])
>>> table.select("arm", "week", "n").rows()
[('placebo', 4.0, 14), ('placebo', 8.0, 13), ('serum', 4.0, 16), ('serum', 8.0, 14)]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import polars as pl

from autoserum import stats
from autoserum.analysis._datasets import ARM_BLINDED
from autoserum.analysis._responders import ResponderRule
from autoserum.errors import AutoserumWarning, Message, Note, StatisticsError

__all__ = [
    "BETWEEN_SCHEMA",
    "LS_MEANS_SCHEMA",
    "arm_text",
    "attempt",
    "between_table",
    "note",
    "responder_alternative",
    "responder_tables",
    "within_table",
]

T = TypeVar("T")
NAN = float("nan")

WITHIN_SCHEMA: dict[str, Any] = {
    "arm": pl.String,
    "week": pl.Float64,
    "n": pl.Int64,
    "mean_change": pl.Float64,
    "sd_change": pl.Float64,
    "se_change": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "median_change": pl.Float64,
    "q1_change": pl.Float64,
    "q3_change": pl.Float64,
    "t_statistic": pl.Float64,
    "t_df": pl.Float64,
    "t_p_value": pl.Float64,
    "wilcoxon_statistic": pl.Float64,
    "wilcoxon_p_value": pl.Float64,
    "wilcoxon_method": pl.String,
    "hl_estimate": pl.Float64,
    "hl_ci_low": pl.Float64,
    "hl_ci_high": pl.Float64,
}

BETWEEN_SCHEMA: dict[str, Any] = {
    "method": pl.String,
    "arm": pl.String,
    "control": pl.String,
    "week": pl.Float64,
    "n_treatment": pl.Int64,
    "n_control": pl.Int64,
    "estimate": pl.Float64,
    "se": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "statistic_name": pl.String,
    "statistic": pl.Float64,
    "df": pl.Float64,
    "p_value": pl.Float64,
}

LS_MEANS_SCHEMA: dict[str, Any] = {
    "arm": pl.String,
    "estimate": pl.Float64,
    "se": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "df": pl.Float64,
}

#: The test statistic each between-arm method reports (``None``: an effect size, no test).
STATISTIC_NAMES = {"ancova": "t", "mmrm": "t", "mann_whitney": "W", "hedges_g": None}


def arm_text(arm: str) -> str | Message:
    """An arm inside a note: the arm code as recorded, the pooled arm of blinded data as its
    catalog message (translated where the note is shown)."""
    return Message(ARM_BLINDED) if arm == ARM_BLINDED else arm


def note(what: str | Message, detail: object) -> Note:
    """The note ``what: detail``; an :class:`~autoserum.errors.AutoserumError` raised with a
    :class:`~autoserum.errors.Message` (or a warning whose first argument is one) keeps it, so
    the note is shown in a document's language."""
    args = getattr(detail, "args", ())
    text = getattr(detail, "text", None) or (args[0] if args else None)
    shown = text if isinstance(text, Message) else str(detail)
    return Note(Message("%(what)s: %(detail)s", what=what, detail=shown))


def attempt(
    notes: list[str], what: str | Message, fn: Callable[..., T], *args: Any, **kw: Any
) -> T | None:
    """Call a statistical method; a :class:`StatisticsError` becomes a note and ``None``, a
    :class:`~autoserum.errors.AutoserumWarning` (small sample, ties, approximation) a note.
    ``what`` names the call (a :class:`~autoserum.errors.Message` when it has words); each note
    is a :class:`~autoserum.errors.Note` (its English text, and its message for a document)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: T | None = fn(*args, **kw)
        except StatisticsError as err:
            notes.append(note(what, err))
            result = None
    for w in caught:
        if issubclass(w.category, AutoserumWarning):
            notes.append(note(what, w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def _f(value: Any) -> float:
    return NAN if value is None else float(value)


def _describe_cells(d: Any) -> dict[str, float]:
    keys = {
        "mean_change": "mean",
        "sd_change": "sd",
        "se_change": "se",
        "ci_low": "ci_low",
        "ci_high": "ci_high",
        "median_change": "median",
        "q1_change": "q1",
        "q3_change": "q3",
    }
    return {k: _f(getattr(d, v)) if d is not None else NAN for k, v in keys.items()}


def within_table(
    rows: pl.DataFrame,
    arms: Sequence[str],
    conf_level: float,
    notes: list[str],
    *,
    alternative: str = "two-sided",
) -> pl.DataFrame:
    """Change from baseline per arm and post-baseline week (rows: the BDS analysis records).

    The paired t and Wilcoxon signed-rank tests take the plan's ``alternative`` for the
    change itself: ``less`` tests a score that falls from baseline (with one-sided CIs)."""
    side = stats.check_alternative(alternative)
    out: list[dict[str, Any]] = []
    for (arm, week), group in rows.sort("arm", "week").group_by("arm", "week", maintain_order=True):
        diff = group["change"].to_numpy()
        where = Message("%(arm)s, week %(week)s", arm=arm_text(arm), week=f"{week:g}")
        d = attempt(notes, Message("describe (%(what)s)", what=where), stats.describe, diff)
        t = attempt(
            notes,
            Message("paired t (%(what)s)", what=where),
            stats.paired_t,
            diff,
            conf_level=conf_level,
            alternative=side,
        )
        w = attempt(
            notes,
            Message("Wilcoxon signed-rank (%(what)s)", what=where),
            stats.wilcoxon_signed_rank,
            diff,
            conf_level=conf_level,
            alternative=side,
        )
        out.append(
            {
                "arm": arm,
                "week": week,
                "n": len(diff),
                **_describe_cells(d),
                "t_statistic": _f(t.statistic) if t else NAN,
                "t_df": _f(t.df) if t else NAN,
                "t_p_value": _f(t.p_value) if t else NAN,
                "wilcoxon_statistic": _f(w.statistic) if w else NAN,
                "wilcoxon_p_value": _f(w.p_value) if w else NAN,
                "wilcoxon_method": w.method if w else None,
                "hl_estimate": _f(w.estimate) if w else NAN,
                "hl_ci_low": _f(w.ci_low) if w else NAN,
                "hl_ci_high": _f(w.ci_high) if w else NAN,
            }
        )
    frame = pl.DataFrame(out, schema=WITHIN_SCHEMA)
    order = {a: i for i, a in enumerate(arms)}
    return frame.sort(pl.col("arm").replace_strict(order, return_dtype=pl.Int64), "week")


def _row(
    method: str, arm: str, ctrl: str, week: float, n1: int, n0: int, *, res: Any
) -> dict[str, Any]:

    def get(key: str) -> float:
        return _f(getattr(res, key, None)) if res is not None else NAN

    return {
        "method": method,
        "arm": arm,
        "control": ctrl,
        "week": week,
        "n_treatment": n1,
        "n_control": n0,
        **{k: get(k) for k in ("estimate", "se", "ci_low", "ci_high")},
        "statistic_name": STATISTIC_NAMES[method],
        **{k: get(k) for k in ("statistic", "df", "p_value")},
    }


def _mmrm_rows(
    rows: pl.DataFrame,
    arm: str,
    ctrl: str,
    conf_level: float,
    notes: list[str],
    *,
    alternative: str = "two-sided",
    options: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    pair = rows.filter(pl.col("arm").is_in([arm, ctrl]))
    subject = pair["subject_id"].cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
    opts = dict(options or {})
    names = opts.pop("covariates", ()) or ()
    kw = {**opts, **({"covariates": {c: pair[c].to_numpy() for c in names}} if names else {})}
    result = attempt(
        notes,
        Message("MMRM (%(arm)s vs %(control)s)", arm=arm_text(arm), control=arm_text(ctrl)),
        stats.mmrm,
        subject,
        pair["week"].to_numpy(),
        (pair["arm"] == arm).cast(pl.Int64).to_numpy(),
        pair["baseline"].to_numpy(),
        pair["change"].to_numpy(),
        conf_level=conf_level,
        **kw,
    )
    if result is None:
        return []
    if not result.converged:
        notes.append(
            Note(
                Message(
                    "MMRM (%(arm)s vs %(control)s): the optimiser did not report convergence",
                    arm=arm_text(arm),
                    control=arm_text(ctrl),
                )
            )
        )
    counts = pair.group_by("week", "arm").len()
    out = []
    for v in result.per_visit:
        wk = float(v.visit)
        n = {
            a: int(counts.filter((pl.col("week") == wk) & (pl.col("arm") == a))["len"].sum())
            for a in (arm, ctrl)
        }
        out.append(
            _row("mmrm", arm, ctrl, wk, n[arm], n[ctrl], res=_one_sided(v, conf_level, alternative))
        )
    return out


def _covariate_values(pair: pl.DataFrame, covariates: Sequence[str]) -> dict[str, list[Any]]:
    return {name: pair[name].to_list() for name in covariates}


def _one_sided(res: Any, conf_level: float, alternative: str) -> Any:
    """An MMRM visit estimate with its CI and p-value for a one-sided ``alternative``."""
    if res is None or alternative == "two-sided":
        return res
    side: stats.Alternative = "less" if alternative == "less" else "greater"
    return stats.t_inference(res.estimate, res.se, res.df, conf_level=conf_level, alternative=side)


def between_table(
    rows: pl.DataFrame,
    arms: Sequence[str],
    ctrl: str | None,
    week: float,
    conf_level: float,
    notes: list[str],
    *,
    covariates: Sequence[str] = (),
    alternative: str = "two-sided",
    mmrm_options: Mapping[str, str] | None = None,
) -> tuple[pl.DataFrame, Any]:
    """Treatment − control at ``week`` (ANCOVA of all arms in one model with the
    ``covariates``, Mann–Whitney, Hedges' g) and at every visit (MMRM), for every arm against
    the control; returns the table and the ANCOVA fit (LS means, overall test) or ``None``.

    ``rows`` carry the ``covariates`` as columns (one value per subject); ``mmrm_options``
    are the MMRM's ``covariance`` structure and ``df`` method (``stats.mmrm``)."""
    out: list[dict[str, Any]] = []
    if ctrl is None:
        return pl.DataFrame(out, schema=BETWEEN_SCHEMA), None
    at = rows.filter(pl.col("week") == week)
    constant = [c for c in covariates if at[c].drop_nulls().n_unique() < 2]
    for name in constant:
        notes.append(
            Note(
                Message(
                    "ANCOVA (week %(week)s): covariate %(name)s has one value only; left out",
                    week=f"{week:g}",
                    name=Message(name),  # a column code (site, sex): the catalog's word if any
                )
            )
        )
    covariates = [c for c in covariates if c not in constant]
    mmrm_kw: dict[str, Any] = {**(mmrm_options or {}), "covariates": covariates}
    fit = attempt(
        notes,
        Message("ANCOVA (week %(week)s)", week=f"{week:g}"),
        stats.linear_model,
        at["change"].to_numpy(),
        at["arm"].to_list(),
        control=ctrl,
        baseline=at["baseline"].to_numpy(),
        covariates=_covariate_values(at, covariates),
        conf_level=conf_level,
        alternative=alternative,
    )
    by_arm = {c.arm: c for c in fit.contrasts} if fit is not None else {}
    for arm in (a for a in arms if a != ctrl):
        pair = at.filter(pl.col("arm").is_in([arm, ctrl]))
        x = pair.filter(pl.col("arm") == arm)["change"].to_numpy()
        y = pair.filter(pl.col("arm") == ctrl)["change"].to_numpy()
        tag = Message(
            "%(arm)s vs %(control)s, week %(week)s",
            arm=arm_text(arm),
            control=arm_text(ctrl),
            week=f"{week:g}",
        )
        if len(x) == 0 or len(y) == 0:
            notes.append(
                Note(
                    Message(
                        "%(what)s: no comparison, an arm has no subject with a value at the week",
                        what=tag,
                    )
                )
            )
            out.extend(
                _mmrm_rows(
                    rows, arm, ctrl, conf_level, notes, alternative=alternative, options=mmrm_kw
                )
            )
            continue
        mw = attempt(
            notes,
            Message("Mann–Whitney (%(what)s)", what=tag),
            stats.mann_whitney,
            x,
            y,
            conf_level=conf_level,
            alternative=stats.check_alternative(alternative),
        )
        g = attempt(
            notes,
            Message("Hedges' g (%(what)s)", what=tag),
            stats.hedges_g,
            x,
            y,
            conf_level=conf_level,
        )
        for method, res in (("ancova", by_arm.get(arm)), ("mann_whitney", mw), ("hedges_g", g)):
            out.append(_row(method, arm, ctrl, week, len(x), len(y), res=res))
        out.extend(
            _mmrm_rows(rows, arm, ctrl, conf_level, notes, alternative=alternative, options=mmrm_kw)
        )
    return pl.DataFrame(out, schema=BETWEEN_SCHEMA), fit


def responder_alternative(alternative: str) -> stats.Alternative:
    """The alternative of a responder test for the plan's ``alternative`` on the change of a
    score where lower is better: one-sided plans flip (benefit is a higher responder rate).

    >>> responder_alternative("less"), responder_alternative("two-sided")
    ('greater', 'two-sided')
    """
    side = stats.check_alternative(alternative)
    flipped: dict[str, stats.Alternative] = {"less": "greater", "greater": "less"}
    return flipped.get(side, "two-sided")


def responder_tables(
    flagged: pl.DataFrame,
    rules: Sequence[ResponderRule],
    arms: Sequence[str],
    ctrl: str | None,
    conf_level: float,
    notes: list[str],
    *,
    population_sizes: Mapping[str, int] | None = None,
    alternative: str = "two-sided",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Responder counts, rates with Wilson CIs per rule and arm; risk difference (Newcombe)
    and Fisher's exact test of each treatment arm against the control.

    ``alternative`` is the plan's, stated for the change of the score (treatment − control;
    ``less``: the treatment lowers the score more, i.e. benefit for the severity scores of AD).
    A responder is an improvement, so a one-sided plan tests the responder rates in the
    direction of benefit: ``less`` becomes Fisher's ``greater`` (more responders on treatment)
    and ``greater`` becomes ``less`` (see :func:`responder_alternative`). Newcombe's interval
    stays two-sided at ``conf_level``.

    Observed cases by default. With ``population_sizes`` (subjects of the analysis set per
    arm) a subject without a value at the week, or whose rule is undefined, is a
    non-responder (non-responder imputation; the composite strategy for discontinuation)."""
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    rates = []
    for rule in rules:
        for arm in arms:
            flags = flagged.filter(pl.col("arm") == arm)[rule.code]
            k = int(flags.drop_nulls().sum())
            n = population_sizes.get(arm, 0) if population_sizes else flags.drop_nulls().len()
            counts[(rule.code, arm)] = (k, n)
            ci = (
                attempt(
                    notes,
                    Message("Wilson CI (%(rule)s, %(arm)s)", rule=rule.code, arm=arm_text(arm)),
                    stats.wilson_ci,
                    k,
                    n,
                    conf_level,
                )
                if n
                else None
            )
            low, high = ci if ci is not None else (NAN, NAN)
            rates.append(
                {
                    "responder": rule.code,
                    "label": rule.label,
                    "kind": rule.kind,
                    "threshold": rule.threshold,
                    "arm": arm,
                    "n": n,
                    "responders": k,
                    "rate": k / n if n else NAN,
                    "ci_low": _f(low),
                    "ci_high": _f(high),
                }
            )
    comparisons = []
    if ctrl is not None:
        for rule in rules:
            k0, n0 = counts[(rule.code, ctrl)]
            for arm in (a for a in arms if a != ctrl):
                k1, n1 = counts[(rule.code, arm)]
                tag = Message(
                    "%(rule)s, %(arm)s vs %(control)s",
                    rule=rule.code,
                    arm=arm_text(arm),
                    control=arm_text(ctrl),
                )
                if n0 == 0 or n1 == 0:
                    notes.append(
                        Note(
                            Message(
                                "%(what)s: no comparison, an arm has no subject at the week",
                                what=tag,
                            )
                        )
                    )
                    continue
                rd = attempt(
                    notes,
                    Message("Newcombe RD (%(what)s)", what=tag),
                    stats.newcombe_rd,
                    k1,
                    n1,
                    k0,
                    n0,
                )
                p = attempt(
                    notes,
                    Message("Fisher (%(what)s)", what=tag),
                    stats.fisher_exact,
                    k1,
                    n1,
                    k0,
                    n0,
                    alternative=responder_alternative(alternative),
                )
                comparisons.append(
                    {
                        "responder": rule.code,
                        "arm": arm,
                        "control": ctrl,
                        "responders_treatment": k1,
                        "n_treatment": n1,
                        "responders_control": k0,
                        "n_control": n0,
                        "risk_difference": _f(rd.estimate) if rd else NAN,
                        "rd_ci_low": _f(rd.ci_low) if rd else NAN,
                        "rd_ci_high": _f(rd.ci_high) if rd else NAN,
                        "fisher_p_value": _f(p),
                    }
                )
    rate_schema = {
        "responder": pl.String,
        "label": pl.String,
        "kind": pl.String,
        "threshold": pl.Float64,
        "arm": pl.String,
        "n": pl.Int64,
        "responders": pl.Int64,
        "rate": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
    }
    comp_schema = {
        "responder": pl.String,
        "arm": pl.String,
        "control": pl.String,
        "responders_treatment": pl.Int64,
        "n_treatment": pl.Int64,
        "responders_control": pl.Int64,
        "n_control": pl.Int64,
        "risk_difference": pl.Float64,
        "rd_ci_low": pl.Float64,
        "rd_ci_high": pl.Float64,
        "fisher_p_value": pl.Float64,
    }
    return pl.DataFrame(rates, schema=rate_schema), pl.DataFrame(comparisons, schema=comp_schema)
