"""Display tables of the report: analysis results formatted for reading (rounding happens here
and only here), each with its footnote naming the methods.

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> from autoserum.analysis import analyze_endpoint
>>> result = analyze_endpoint(study.visits, "easi", 8, control="placebo")
>>> table = within_display(result, "easi-within")
>>> table.columns[:4]
('Arm', 'Week', 'n', 'Mean change (SD)')
>>> table.rows[0][:4]
('placebo', '4', '14', '0.5 (12.1)')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from autoserum import stats
from autoserum.analysis import EndpointResult, attempt, responder_definitions
from autoserum.display import number as fmt
from autoserum.display import p_value as fmt_p
from autoserum.errors import Expected, Message
from autoserum.i18n import N_
from autoserum.report._i18n import arm_label, column_word, pgettext, word
from autoserum.report._i18n import gettext as _
from autoserum.study.history import COMORBIDITIES
from autoserum.study.tidy import INSTRUMENT_RANGES, LAB_UNITS

__all__ = [
    "Table",
    "baseline_display",
    "between_display",
    "ci_text",
    "fmt",
    "fmt_p",
    "history_display",
    "ls_means_display",
    "predictor_display",
    "responder_display",
    "secondary_display",
    "subgroup_display",
    "within_display",
]


@dataclass(frozen=True)
class Table:
    """A display table: an id (HTML anchor), a title, header, rows of text and a footnote."""

    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footnote: str = ""
    notes: tuple[str, ...] = field(default=())


def ci_text(low: Any, high: Any, digits: int = 1) -> str:
    """A confidence interval in the current language (``-9.0 to -1.0``, ``-9.0 ~ -1.0``)."""
    shown = fmt(low, digits), fmt(high, digits)
    if shown == (fmt(None), fmt(None)):  # no interval: one dash, not "– to –"
        return fmt(None)
    return _("%(low)s to %(high)s", low=shown[0], high=shown[1])


_LAB_NAMES = {
    "ige": N_("Total IgE"),
    "eosinophils": N_("Blood eosinophils"),
    "eosinophils_pct": N_("Blood eosinophils"),
    "il10": N_("Serum IL-10"),
    "ifng": N_("Serum IFN-γ"),
    "treg_il10": N_("CD4⁺IL-10⁺ T cells"),
    "age": N_("Age"),
    "sex": N_("Sex"),
}
_SPECIAL = {
    "viga_ad": "vIGA-AD",
    "oscorad": "oSCORAD",
    "po_scorad": "PO-SCORAD",
    "pp_nrs": "PP-NRS",
}


def label(parameter: str) -> str:
    """A display name for an instrument or lab with its unit."""
    if parameter in INSTRUMENT_RANGES:
        return _SPECIAL.get(parameter, parameter.upper().replace("_", "-"))
    unit = LAB_UNITS.get(parameter)
    name = _(_LAB_NAMES[parameter]) if parameter in _LAB_NAMES else parameter
    return f"{name} ({unit})" if unit else name


def digits_for(parameter: str) -> int:
    """Display decimals: two for blood eosinophil counts, one otherwise."""
    return 2 if parameter == "eosinophils" else 1


def baseline_display(adsl: pl.DataFrame, covariates: Sequence[str], population: str) -> Table:
    """Baseline characteristics by arm and overall: mean (SD), median [Q1, Q3], n."""
    pop = adsl.filter(pl.col(population))
    arms = sorted(pop["arm"].unique().to_list())
    groups = [(a, pop.filter(pl.col("arm") == a)) for a in arms]
    if len(arms) > 1:
        groups.append((pgettext("all arms", "Total"), pop))
    columns = (_("Characteristic"), *(f"{arm_label(a)} (N = {g.height})" for a, g in groups))
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    if "sex" in pop.columns:
        cells = []
        for _arm, g in groups:
            known = g["sex"].drop_nulls()
            k = int((known == "F").sum())
            cells.append(
                f"{k}/{known.len()} ({fmt(100 * k / known.len() if known.len() else None)} %)"
            )
        rows.append((_("Female, n/N (%%)"), *cells))
    for cov in covariates:
        col = cov if cov == "age" else f"{cov}_baseline"
        if col not in pop.columns:
            continue
        name = _("Age (years)") if cov == "age" else label(cov)
        means, medians = [], []
        for _arm, g in groups:
            x = g[col].drop_nulls().cast(pl.Float64).to_numpy()
            if len(x) == 0:
                means.append("–")
                medians.append("–")
                continue
            d = attempt(notes, Message("describe (%(what)s)", what=cov), stats.describe, x)
            if d is None:
                means.append("–")
                medians.append("–")
                continue
            k = digits_for(cov)
            means.append(f"{fmt(d.mean, k)} ({fmt(d.sd, k)}); n = {d.n}")
            medians.append(f"{fmt(d.median, k)} [{fmt(d.q1, k)}, {fmt(d.q3, k)}]")
        rows.append((_("%(name)s, mean (SD)", name=name), *means))
        rows.append((_("%(name)s, median [Q1, Q3]", name=name), *medians))
    return Table(
        "baseline",
        _(
            "Baseline characteristics (%(population)s population)",
            population=population.upper().replace("_", "-"),
        ),
        columns,
        tuple(rows),
        _(
            "Baseline = last non-missing value at or before week 0. SD: standard deviation; "
            "Q1, Q3: quartiles (R quantile type 7)."
        ),
        tuple(notes),
    )


def _count(g: pl.DataFrame, hit: pl.Expr) -> str:
    """``n/N (%)`` of the subjects of ``g`` for whom ``hit`` holds (N: every subject)."""
    n, total = int(g.select(hit.fill_null(False).sum()).item()), g.height
    return f"{n}/{total} ({fmt(100 * n / total if total else None)} %)"


def history_display(adsl: pl.DataFrame, history: pl.DataFrame, population: str) -> Table:
    """Demographics and history of atopic dermatitis by arm and overall (the subjects of the
    analysis ``population`` of ``adsl``, their arm as ``adsl`` has it, blinded as that is):
    n/N (%) of each sex, ethnicity, race and Fitzpatrick type recorded, of each atopic
    comorbidity and of a previous systemic treatment; the disease duration's mean (SD) and
    median [Q1, Q3]. N counts every subject of the arm (a value not recorded is not a hit).

    >>> adsl = pl.DataFrame({"subject_id": ["A", "B", "C"], "arm": ["x", "x", "y"],
    ...                      "fas": [True, True, True]})
    >>> history = pl.DataFrame({"subject_id": ["A", "B", "C"], "sex": ["F", "M", "F"],
    ...     "ethnicity": [None] * 3, "race": ["ASIAN", "ASIAN", "WHITE"],
    ...     "fitzpatrick": ["III", "IV", None], "ad_duration": [20.0, 10.0, 5.0],
    ...     "asthma": [True, False, False], "prior_systemic": [1, 0, 2]},
    ...     schema_overrides={"ethnicity": pl.String})
    >>> table = history_display(adsl, history, "fas")
    >>> table.columns
    ('Characteristic', 'x (N = 2)', 'y (N = 1)', 'Total (N = 3)')
    >>> for row in table.rows:
    ...     if row[0].startswith(("Race: ASIAN", "Asthma")):
    ...         print(row)
    ('Race: ASIAN, n/N (%)', '2/2 (100.0 %)', '0/1 (0.0 %)', '2/3 (66.7 %)')
    ('Asthma, n/N (%)', '1/2 (50.0 %)', '0/1 (0.0 %)', '1/3 (33.3 %)')
    """
    pop = (
        adsl.filter(pl.col(population))
        .select("subject_id", "arm")
        .join(history, on="subject_id", how="left")
    )
    arms = sorted(pop["arm"].unique().to_list())
    groups = [(a, pop.filter(pl.col("arm") == a)) for a in arms]
    if len(arms) > 1:
        groups.append((pgettext("all arms", "Total"), pop))
    columns = (_("Characteristic"), *(f"{arm_label(a)} (N = {g.height})" for a, g in groups))
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    names = (
        ("sex", N_("Sex")),
        ("ethnicity", N_("Ethnicity")),
        ("race", N_("Race")),
        ("fitzpatrick", N_("Fitzpatrick skin type")),
    )
    for column, name in names:
        if column not in pop.columns:
            continue
        for value in sorted(pop[column].drop_nulls().unique().to_list()):
            hit = pl.col(column) == value
            title = _("%(name)s: %(value)s, n/N (%%)", name=_(name), value=word(value))
            rows.append((title, *(_count(g, hit) for _arm, g in groups)))
    if "ad_duration" in pop.columns:
        means, medians = [], []
        for _arm, g in groups:
            x = g["ad_duration"].drop_nulls().cast(pl.Float64).to_numpy()
            what = Message("describe (AD duration)")
            d = attempt(notes, what, stats.describe, x) if len(x) else None
            means.append("–" if d is None else f"{fmt(d.mean)} ({fmt(d.sd)}); n = {d.n}")
            medians.append("–" if d is None else f"{fmt(d.median)} [{fmt(d.q1)}, {fmt(d.q3)}]")
        duration = _("Duration of atopic dermatitis (years)")
        rows.append((_("%(name)s, mean (SD)", name=duration), *means))
        rows.append((_("%(name)s, median [Q1, Q3]", name=duration), *medians))
    for condition in COMORBIDITIES:
        if condition in pop.columns and bool(pop[condition].fill_null(False).any()):
            title = _("%(name)s, n/N (%%)", name=word(condition).capitalize())
            hit = pl.col(condition)
            rows.append((title, *(_count(g, hit) for _arm, g in groups)))
    if "prior_systemic" in pop.columns:
        hit = pl.col("prior_systemic") > 0
        title = _("Previous systemic treatment, n/N (%%)")
        rows.append((title, *(_count(g, hit) for _arm, g in groups)))
    return Table(
        "baseline-history",
        _(
            "Demographics and history of atopic dermatitis (%(population)s population)",
            population=population.upper(),
        ),
        columns,
        tuple(rows),
        _(
            "N: subjects of the arm; a characteristic not recorded counts as not present. "
            "Duration of AD = age minus age at onset. SD: standard deviation; Q1, Q3: quartiles "
            "(R quantile type 7)."
        ),
        tuple(notes),
    )


def within_display(result: EndpointResult, table_id: str) -> Table:
    """Change from baseline within each arm at each visit."""
    rows = []
    for r in result.within.iter_rows(named=True):
        rows.append(
            (
                arm_label(r["arm"]),
                fmt(r["week"], 0),
                str(r["n"]),
                f"{fmt(r['mean_change'])} ({fmt(r['sd_change'])})",
                ci_text(r["ci_low"], r["ci_high"]),
                f"{fmt(r['median_change'])} [{fmt(r['q1_change'])}, {fmt(r['q3_change'])}]",
                fmt_p(r["t_p_value"]),
                f"{fmt(r['hl_estimate'])} ({ci_text(r['hl_ci_low'], r['hl_ci_high'])})",
                fmt_p(r["wilcoxon_p_value"]),
            )
        )
    return Table(
        table_id,
        _("%(endpoint)s: change from baseline within arms", endpoint=label(result.endpoint)),
        (
            _("Arm"),
            _("Week"),
            "n",
            _("Mean change (SD)"),
            _("95 %% CI"),
            _("Median [Q1, Q3]"),
            _("Paired t p"),
            _("HL estimate (95 %% CI)"),
            _("Wilcoxon p"),
        ),
        tuple(rows),
        _(
            "Observed cases with a baseline. 95 %% CI of the mean from the t distribution; "
            "paired t-test; Wilcoxon signed-rank test (exact when n < 50 without ties or zeros, "
            "else normal approximation with continuity correction, as R wilcox.test) with the "
            "Hodges–Lehmann estimate and its CI. Negative change = improvement."
        ),
        result.notes,
    )


_METHODS = {
    "ancova": N_("ANCOVA (change ~ arm + baseline)"),
    "mmrm": "MMRM",
    "mann_whitney": N_("Mann–Whitney (HL shift)"),
    "hedges_g": "Hedges' g",
}


def _df(value: float | None) -> str:
    """Degrees of freedom: whole numbers as such, Satterthwaite/Kenward–Roger to one decimal."""
    if value is None or not math.isfinite(value):
        return "–"
    return fmt(value, 0 if float(value).is_integer() else 1)


def between_display(result: EndpointResult, table_id: str) -> Table:
    """Treatment − control: ANCOVA, MMRM per visit, Mann–Whitney, Hedges' g."""
    rows = []
    frame = result.between.with_columns(
        pl.col("method").replace_strict({m: i for i, m in enumerate(_METHODS)}).alias("_o")
    ).sort("arm", "_o", "week")
    for r in frame.iter_rows(named=True):
        digits = 2 if r["method"] == "hedges_g" else 1
        rows.append(
            (
                f"{arm_label(r['arm'])} − {arm_label(r['control'])}",
                word(_METHODS[r["method"]]),
                fmt(r["week"], 0),
                f"{r['n_treatment']} / {r['n_control']}",
                fmt(r["estimate"], digits),
                fmt(r["se"], 2),
                ci_text(r["ci_low"], r["ci_high"], digits),
                f"{r['statistic_name']} = {fmt(r['statistic'], 2)}" if r["statistic_name"] else "–",
                _df(r["df"]),
                fmt_p(r["p_value"]),
            )
        )
    return Table(
        table_id,
        _("%(endpoint)s: comparison between arms", endpoint=label(result.endpoint)),
        (
            _("Comparison"),
            _("Method"),
            _("Week"),
            _("n (treatment / control)"),
            _("Estimate"),
            "SE",
            _("95 %% CI"),
            _("Statistic"),
            "df",
            "p",
        ),
        tuple(rows),
        _(
            "Estimates are treatment − control on change from baseline. ANCOVA: linear model of "
            "change on arm, baseline and the covariates at the week, all arms in one model. "
            "MMRM: change ~ arm × visit + baseline × visit, "
            "unstructured covariance, REML (as nlme::gls with corSymm and varIdent), all "
            "post-baseline visits. Mann–Whitney: Hodges–Lehmann shift with its CI. Hedges' g: "
            "standardised mean difference with small-sample correction."
        ),
    )


def ls_means_display(result: EndpointResult, table_id: str) -> Table:
    """The ANCOVA's least-squares means per arm and its overall F test of the arm."""
    rows = tuple(
        (
            arm_label(r["arm"]),
            fmt(r["estimate"], 2),
            fmt(r["se"], 2),
            ci_text(r["ci_low"], r["ci_high"], 2),
            _df(r["df"]),
        )
        for r in result.ls_means.iter_rows(named=True)
    )
    o = result.overall or {}
    overall = (
        " "
        + _(
            "Overall test of the arm: F = %(f)s on %(df1)s and %(df2)s df, p = %(p)s.",
            f=fmt(o.get("statistic"), 2), df1=_df(o.get("df1")), df2=_df(o.get("df2")),
            p=fmt_p(o.get("p_value")),
        )
        if o
        else ""
    )  # fmt: skip
    covs = ", ".join([_("baseline"), *map(column_word, result.covariates)])
    return Table(
        table_id,
        _(
            "%(endpoint)s: least-squares mean change at week %(week)s",
            endpoint=label(result.endpoint), week=f"{result.week:g}",
        ),
        (
            _("Arm"), _("LS mean"), "SE",
            _("%(level)s %% CI", level=f"{100 * result.conf_level:g}"), "df",
        ),
        rows,
        _(
            "ANCOVA of change on arm and %(covariates)s, all arms in one model; LS means as R's "
            "emmeans (numeric covariates at their mean, factor covariates averaged over their "
            "levels).",
            covariates=covs,
        )
        + overall,
    )  # fmt: skip


def _subgroup_name(variable: str) -> str:
    stem = variable.removesuffix("_baseline")
    if stem in INSTRUMENT_RANGES and stem != variable:
        return _("%(endpoint)s at baseline", endpoint=label(stem))
    return word(variable)


def subgroup_display(table: pl.DataFrame, notes: Sequence[str] = ()) -> Table:
    """Treatment effect by subgroup with the interaction test."""
    rows = tuple(
        (
            _subgroup_name(r["variable"]),
            r["level"],
            f"{arm_label(r['arm'])} − {arm_label(r['control'])}",
            str(r["n"]),
            fmt(r["estimate"], 2),
            ci_text(r["ci_low"], r["ci_high"], 2),
            fmt_p(r["p_value"]),
            f"F = {fmt(r['interaction_f'], 2)} ({_df(r['interaction_df1'])}, "
            f"{_df(r['interaction_df2'])}), p = {fmt_p(r['interaction_p_value'])}",
        )
        for r in table.iter_rows(named=True)
    )
    return Table(
        "subgroups",
        _("Treatment effect by subgroup"),
        (
            _("Subgroup"),
            _("Level"),
            _("Comparison"),
            "n",
            _("Estimate"),
            _("95 %% CI"),
            "p",
            _("Interaction"),
        ),
        rows,
        _(
            "ANCOVA of change on arm and baseline within each level; interaction: F test of "
            "change ~ arm × subgroup + baseline against change ~ arm + subgroup + baseline."
        ),
        notes=tuple(notes),
    )


def _rd(c: dict[str, Any] | None) -> str:
    if c is None:
        return ""
    ci = ci_text(100 * c["rd_ci_low"], 100 * c["rd_ci_high"])
    return f"{fmt(100 * c['risk_difference'])} ({ci})"


def _wording(wording: Expected | None, label: str) -> str:
    """A responder definition in the current language: the registry's label looked up (it
    holds ``%`` signs that are text), a composed one (the MCID rule) formatted with its
    values; a rule not known here as it was labelled."""
    if wording is None:
        return label
    if wording.params:
        return _(wording.message, **wording.params)
    return word(wording.message)


def responder_display(result: EndpointResult, table_id: str) -> Table:
    """Responders per rule and arm with Wilson CIs, Newcombe risk difference, Fisher p."""
    comp = {
        (r["responder"], r["arm"]): r for r in result.responder_comparison.iter_rows(named=True)
    }
    wordings = {rule.code: rule.wording for rule in responder_definitions(result.endpoint)}
    rows = []
    for r in result.responders.iter_rows(named=True):
        c = comp.get((r["responder"], r["arm"]))
        rows.append(
            (
                _wording(wordings.get(r["responder"]), r["label"]),
                arm_label(r["arm"]),
                f"{r['responders']}/{r['n']}",
                f"{fmt(100 * r['rate'] if r['n'] else None)} %",
                ci_text(100 * r["ci_low"], 100 * r["ci_high"]),
                _rd(c),
                fmt_p(c["fisher_p_value"]) if c else "",
            )
        )
    return Table(
        table_id,
        _(
            "%(endpoint)s responders at week %(week)s",
            endpoint=label(result.endpoint),
            week=f"{result.week:g}",
        ),
        (
            _("Responder definition"),
            _("Arm"),
            "n/N",
            _("Rate"),
            _("95 %% CI (%%)"),
            _("Risk difference, %% (95 %% CI)"),
            _("Fisher p"),
        ),
        tuple(rows),
        _(
            "Observed cases with a baseline and a value at the week. Wilson score intervals; "
            "risk difference (treatment − control) with Newcombe's hybrid score interval; "
            "two-sided Fisher's exact test."
        ),
    )


def predictor_display(result: EndpointResult, table_id: str) -> Table:
    """Baseline characteristics of responders vs non-responders."""
    rows = []
    for r in result.predictors.iter_rows(named=True):
        if r["test"] == "fisher":
            a = _("%(k)s/%(n)s female", k=r["responders_female"], n=r["n_responders"])
            b = _("%(k)s/%(n)s female", k=r["non_responders_female"], n=r["n_non_responders"])
        else:
            a = f"{fmt(r['responders_median'], 2)} (n = {r['n_responders']})"
            b = f"{fmt(r['non_responders_median'], 2)} (n = {r['n_non_responders']})"
        rows.append(
            (
                label(r["name"]),
                a,
                b,
                "Fisher" if r["test"] == "fisher" else "Mann–Whitney",
                fmt_p(r["p_value"]),
            )
        )
    return Table(
        table_id,
        _(
            "Baseline characteristics of %(rule)s responders and non-responders",
            rule=(result.predictor_rule or "").replace("_", "-").upper(),
        ),
        (
            _("Characteristic"),
            _("Responders, median"),
            _("Non-responders, median"),
            _("Test"),
            "p",
        ),
        tuple(rows),
        _(
            "As in the ASIM pilot: baseline values compared between responders and "
            "non-responders (treatment arm when there is a control). Mann–Whitney U test "
            "(medians shown); Fisher's exact test for sex."
        ),
    )


#: The secondary table's methods (``autoserum.analysis.secondary_table``'s codes) as shown.
_SECONDARY_METHODS = {"ancova": "ANCOVA", "paired_t": N_("paired t-test")}
#: The comparison of a single arm, as ``secondary_table`` writes it (``<arm>: change ...``).
_SINGLE_ARM = ": change from baseline"


def _comparison(text: str) -> str:
    """A comparison of the secondary table (``serum − placebo``, ``serum: change from
    baseline``) with its arms as shown and its words in the current language."""
    if text.endswith(_SINGLE_ARM):
        return _("%(arm)s: change from baseline", arm=arm_label(text.removesuffix(_SINGLE_ARM)))
    return " − ".join(arm_label(a) for a in text.split(" − "))


def secondary_display(secondary: pl.DataFrame, week: float) -> Table:
    """Secondary endpoints at the analysis week with Holm and BH adjusted p-values."""
    rows = [
        (
            label(r["endpoint"]),
            _comparison(r["comparison"]),
            word(_SECONDARY_METHODS.get(r["method"], r["method"])),
            str(r["n"]),
            fmt(r["estimate"]),
            ci_text(r["ci_low"], r["ci_high"]),
            fmt_p(r["p_value"]),
            fmt_p(r["p_holm"]),
            fmt_p(r["p_bh"]),
        )
        for r in secondary.iter_rows(named=True)
    ]
    return Table(
        "secondary",
        _("Secondary endpoints at week %(week)s, with multiplicity adjustment", week=f"{week:g}"),
        (
            _("Endpoint"),
            _("Comparison"),
            _("Method"),
            "n",
            _("Estimate"),
            _("95 %% CI"),
            "p",
            "p (Holm)",
            "p (BH)",
        ),
        tuple(rows),
        _(
            "Between arms: ANCOVA of change adjusted for baseline (treatment − control); single "
            "arm: mean change with the paired t-test. p-values adjusted across the secondary "
            "endpoints by Holm's step-down method and by Benjamini–Hochberg (false discovery "
            "rate), as R p.adjust."
        ),
    )
