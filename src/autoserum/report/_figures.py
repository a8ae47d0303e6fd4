"""The report's figures, drawn with matplotlib (object API, Agg) as inline SVG or PNG bytes.

Text stays text in the SVG (``svg.fonttype = "none"``), ids are salted with a fixed string so
that the same data give the same file.

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> from autoserum.analysis import analyze_endpoint
>>> result = analyze_endpoint(study.visits, "easi", 8, control="placebo")
>>> svg = mean_change_figure(result).svg()
>>> svg.startswith("<svg"), svg == mean_change_figure(result).svg()
(True, True)
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import matplotlib as mpl
import numpy as np
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from autoserum.analysis import EndpointResult
from autoserum.i18n import DEFAULT_LANGUAGE, N_, current_language
from autoserum.report._i18n import arm_label
from autoserum.report._i18n import gettext as _

__all__ = [
    "PALETTE",
    "Drawing",
    "figure_font",
    "forest_figure",
    "km_figure",
    "mean_change_figure",
    "responder_figure",
    "trajectory_figure",
    "waterfall_figure",
]

#: Colour-blind-safe palette (Okabe & Ito, 2008).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

_RC: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "autoserum",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


#: Families of fonts with Korean and Chinese glyphs that matplotlib may find on a machine, in
#: the order they are preferred (Debian: fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei,
#: fonts-droid-fallback; NanumGothic, fonts-nanum, has Korean glyphs only).
_CJK_FAMILIES: Final = (
    "Noto Sans CJK",
    "Source Han Sans",
    "WenQuanYi",
    "Droid Sans Fallback",
    "NanumGothic",
)
#: Characters a figure font must have to be chosen for a language (the figures' own words).
_SCRIPT_SAMPLES: Final[dict[str, str]] = {"ko": "주차기저치대비변화", "zh-Hans": "周较基线变化"}


@functools.cache
def _font_names() -> tuple[str, ...]:
    """The names of the fonts matplotlib knows, after adding any installed since its font
    cache was written (matplotlib reads new system fonts only when it rebuilds the cache)."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {f.fname for f in manager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                manager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # not a font FreeType can read
                continue
    return tuple(sorted({f.name for f in manager.ttflist}))


@functools.cache
def _glyphs(name: str) -> frozenset[int]:
    """The code points the font ``name`` has glyphs for (the face matplotlib would use)."""
    from matplotlib import font_manager

    if name not in _font_names():
        return frozenset()
    path = font_manager.findfont(font_manager.FontProperties(family=name))
    return frozenset(font_manager.get_font(path).get_charmap())


def figure_font(language: str | None = None) -> str | None:
    """The installed font that draws the figures' words in ``language`` (the current one by
    default), after DejaVu Sans as a glyph fallback: the first of the known CJK families with
    every character of the language's sample; ``None`` for English or when there is none."""
    return _figure_font(language or current_language())


@functools.cache
def _figure_font(language: str) -> str | None:
    sample = _SCRIPT_SAMPLES.get(language)
    if sample is None:
        return None
    names = _font_names()
    for family in _CJK_FAMILIES:
        for name in names:
            if name.startswith(family) and {ord(c) for c in sample} <= _glyphs(name):
                return name
    return None


def _rc() -> Any:  # matplotlib types the keys as literals
    """The figures' settings: the language's font after DejaVu Sans (glyph fallback)."""
    font = figure_font()
    return _RC if font is None else {**_RC, "font.family": ["DejaVu Sans", font]}


def _drawable(text: str, font: str | None) -> bool:
    """Whether every character of ``text`` has a glyph in DejaVu Sans or ``font``."""
    have = _glyphs("DejaVu Sans") | (_glyphs(font) if font is not None else frozenset())
    return all(ord(c) in have for c in text if not c.isspace())


def _axis(message: str, /, **variables: Any) -> str:
    """A text drawn inside a figure (an axis label, a legend entry): in the report's language
    when the figure's font has every glyph of the translation, else in English, so the image
    never shows empty boxes (the figure's title and caption, outside the image, are always
    translated)."""
    translated = _(message, **variables)
    if current_language() == DEFAULT_LANGUAGE or _drawable(translated, figure_font()):
        return translated
    return message % variables


def _arm(value: object) -> str:
    """An arm drawn inside a figure (a legend entry, a panel's title): the code as recorded,
    the pooled arm of blinded data in the report's language when the font can draw it."""
    shown = arm_label(value)
    return shown if _drawable(shown, figure_font()) else str(value)


@dataclass(frozen=True)
class Drawing:
    """A finished figure: SVG text for the HTML report, PNG bytes for the PDF."""

    figure: Figure
    title: str
    caption: str

    def svg(self) -> str:
        buf = io.StringIO()
        with mpl.rc_context(_rc()):
            self.figure.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
        text = buf.getvalue()
        return text[text.index("<svg") :]

    def png(self, dpi: int = 200) -> bytes:
        buf = io.BytesIO()
        with mpl.rc_context(_rc()):
            FigureCanvasAgg(self.figure)
            self.figure.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()


def _figure(width: float = 6.0, height: float = 3.4) -> Figure:
    with mpl.rc_context(_rc()):
        return Figure(figsize=(width, height), layout="constrained")


def _colours(arms: Sequence[str]) -> dict[str, str]:
    return {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(arms)}


def _label(endpoint: str) -> str:
    return endpoint.upper().replace("_", "-")


def mean_change_figure(result: EndpointResult) -> Drawing:
    """Mean change from baseline with 95 % CI over the visits, one line per arm."""
    with mpl.rc_context(_rc()):
        fig = _figure()
        ax = fig.add_subplot()
        colours = _colours(result.arms)
        n_arms = len(result.arms)
        for i, arm in enumerate(result.arms):
            rows = result.within.filter(pl.col("arm") == arm).sort("week")
            weeks = np.concatenate([[0.0], rows["week"].to_numpy()])
            offset = (i - (n_arms - 1) / 2) * 0.15
            mean = np.concatenate([[0.0], rows["mean_change"].to_numpy()])
            low = np.concatenate([[0.0], rows["ci_low"].to_numpy()])
            high = np.concatenate([[0.0], rows["ci_high"].to_numpy()])
            ax.errorbar(
                weeks + offset,
                mean,
                yerr=np.vstack([mean - low, high - mean]),
                color=colours[arm],
                marker="o",
                markersize=4,
                capsize=3,
                linewidth=1.5,
                label=_arm(arm),
            )
        ax.axhline(0, color="#777777", linewidth=0.8, linestyle=":")
        ax.set_xlabel(_axis(N_("Week")))
        ax.set_ylabel(
            _axis(N_("Change from baseline in %(endpoint)s"), endpoint=_label(result.endpoint))
        )
        ax.legend(frameon=False, loc="lower left")
    return Drawing(
        fig,
        _("Mean change from baseline in %(endpoint)s", endpoint=_label(result.endpoint)),
        _(
            "Mean change from baseline with 95 %% confidence intervals (t distribution), "
            "observed cases, %(population)s population; arms slightly offset for legibility.",
            population=result.population.upper(),
        ),
    )


def trajectory_figure(
    bds: pl.DataFrame, endpoint: str, arms: Sequence[str], max_per_arm: int = 200
) -> Drawing:
    """Individual trajectories of the endpoint per arm (thin lines) with the arm mean."""
    rows = bds.filter(pl.col("parameter") == endpoint).sort("subject_id", "week")
    with mpl.rc_context(_rc()):
        fig = _figure(6.0, 2.8)
        axes = fig.subplots(1, len(arms), sharey=True, squeeze=False)[0]
        colours = _colours(arms)
        shown_note = ""
        for ax, arm in zip(axes, arms, strict=True):
            arm_rows = rows.filter(pl.col("arm") == arm)
            subjects = arm_rows["subject_id"].unique(maintain_order=True)
            if subjects.len() > max_per_arm:
                shown_note = " " + _(
                    "The first %(n)s subjects of each arm are drawn.", n=max_per_arm
                )
                arm_rows = arm_rows.filter(
                    pl.col("subject_id").is_in(subjects[:max_per_arm].implode())
                )
            for _subject, one in arm_rows.group_by("subject_id", maintain_order=True):
                ax.plot(one["week"], one["value"], color=colours[arm], alpha=0.35, linewidth=0.7)
            mean = (
                rows.filter(pl.col("arm") == arm)
                .group_by("week")
                .agg(pl.col("value").mean())
                .sort("week")
            )
            ax.plot(
                mean["week"], mean["value"], color="black", linewidth=2, label=_axis(N_("mean"))
            )
            ax.set_title(_arm(arm))
            ax.set_xlabel(_axis(N_("Week")))
        axes[0].set_ylabel(_label(endpoint))
        axes[0].legend(frameon=False, loc="upper right")
    return Drawing(
        fig,
        _("Individual %(endpoint)s trajectories", endpoint=_label(endpoint)),
        _(
            "Each thin line is one subject (all recorded visits, including screening); the "
            "thick line is the observed mean at each week."
        )
        + shown_note,
    )


def waterfall_figure(bds: pl.DataFrame, endpoint: str, week: float, arms: Sequence[str]) -> Drawing:
    """Percent change from baseline at ``week`` per subject, sorted, coloured by arm."""
    rows = bds.filter(
        (pl.col("parameter") == endpoint)
        & (pl.col("week") == week)
        & pl.col("percent_change").is_not_null()
    ).sort("percent_change", descending=True)
    colours = _colours(arms)
    with mpl.rc_context(_rc()):
        fig = _figure()
        ax = fig.add_subplot()
        x = np.arange(rows.height)
        ax.bar(
            x,
            rows["percent_change"].to_numpy(),
            width=1.0 if rows.height > 60 else 0.8,
            color=[colours[a] for a in rows["arm"].to_list()],
            # thousands of bars: embed them as one image inside the SVG to keep the file small
            rasterized=rows.height > 500,
        )
        values = rows["percent_change"].to_numpy()
        top = 100.0
        above = np.flatnonzero(values > top)
        cut_note = ""
        if above.size:
            cut_note = " " + _("Bars above +100 %% are cut at the top of the axis and labelled.")
            ax.set_ylim(top=top * 1.15)
            for i in above:
                ax.annotate(
                    f"+{values[i]:.0f} %",
                    (x[i], top * 1.1),
                    fontsize=6,
                    ha="center",
                    rotation=90,
                    va="top",
                    color="white",
                )
        for level in (-50, -75):
            ax.axhline(level, color="#555555", linewidth=0.8, linestyle="--")
            ax.annotate(f"{level} %", (x[-1] if rows.height else 0, level), fontsize=7, va="bottom")
        ax.set_xticks([])
        ax.set_xlabel(_axis(N_("Subjects, sorted")))
        ax.set_ylabel(
            _axis(
                N_("%% change in %(endpoint)s at week %(week)s"),
                endpoint=_label(endpoint), week=f"{week:g}",
            )
        )  # fmt: skip
        handles = [mpl.patches.Patch(color=colours[a], label=_arm(a)) for a in arms]
        ax.legend(handles=handles, frameon=False, loc="upper right")
    return Drawing(
        fig,
        _(
            "Waterfall of percent change in %(endpoint)s at week %(week)s",
            endpoint=_label(endpoint),
            week=f"{week:g}",
        ),
        _(
            "One bar per subject with a baseline and a week %(week)s value (n = %(n)s); "
            "negative = improvement; dashed lines at −50 %% and −75 %%.",
            week=f"{week:g}",
            n=rows.height,
        )
        + cut_note,
    )


def responder_figure(result: EndpointResult) -> Drawing:
    """Responder rates with Wilson 95 % CIs per rule and arm (grouped bars)."""
    rules = result.responders["responder"].unique(maintain_order=True).to_list()
    colours = _colours(result.arms)
    with mpl.rc_context(_rc()):
        fig = _figure()
        ax = fig.add_subplot()
        width = 0.8 / max(len(result.arms), 1)
        for i, arm in enumerate(result.arms):
            rows = result.responders.filter(pl.col("arm") == arm)
            rate = rows["rate"].to_numpy() * 100
            low = rows["ci_low"].to_numpy() * 100
            high = rows["ci_high"].to_numpy() * 100
            pos = np.arange(len(rules)) + (i - (len(result.arms) - 1) / 2) * width
            ax.bar(
                pos,
                rate,
                width=width,
                color=colours[arm],
                label=_arm(arm),
                yerr=np.vstack([rate - low, high - rate]),
                capsize=3,
            )
        ax.set_xticks(np.arange(len(rules)), [r.replace("_", "-").upper() for r in rules])
        ax.set_ylabel(_axis(N_("Responders at week %(week)s (%%)"), week=f"{result.week:g}"))
        ax.set_ylim(0, 100)
        ax.legend(frameon=False, loc="upper right")
    return Drawing(
        fig,
        _(
            "%(endpoint)s responders at week %(week)s",
            endpoint=_label(result.endpoint),
            week=f"{result.week:g}",
        ),
        _("Proportion of responders with Wilson 95 %% confidence intervals; observed cases."),
    )


def forest_figure(table: pl.DataFrame, endpoint: str, week: float) -> Drawing:
    """Forest plot: the ANCOVA difference (treatment − control) with its CI in each subgroup
    level, one colour per arm, and each variable's interaction p-value in its label."""
    rows = table.filter(pl.col("estimate").is_not_nan())
    arms = sorted(set(rows["arm"].to_list()))
    colours = _colours(arms)
    labels: list[str] = []
    with mpl.rc_context(_rc()):
        fig = _figure(6.0, 0.45 * max(rows.height, 2) + 1.2)
        ax = fig.add_subplot()
        y = 0
        for variable in rows["variable"].unique(maintain_order=True).to_list():
            part = rows.filter(pl.col("variable") == variable)
            p = part["interaction_p_value"][0]
            p_text = "–" if p is None or p != p else (f"{p:.3f}" if p >= 0.001 else "< 0.001")
            for r in part.iter_rows(named=True):
                ax.errorbar(
                    r["estimate"],
                    -y,
                    xerr=[[r["estimate"] - r["ci_low"]], [r["ci_high"] - r["estimate"]]],
                    fmt="s",
                    color=colours[r["arm"]],
                    capsize=3,
                )
                labels.append(
                    _axis(
                        N_("%(variable)s %(level)s: %(arm)s (n = %(n)s); interaction p = %(p)s"),
                        variable=variable.replace("_", " "), level=r["level"], arm=r["arm"],
                        n=r["n"], p=p_text,
                    )
                )  # fmt: skip
                y += 1
        ax.axvline(0, color="grey", linewidth=0.8, linestyle="--")
        ax.set_yticks([-i for i in range(len(labels))], labels)
        ax.set_xlabel(
            _axis(
                N_("Difference in %(endpoint)s change at week %(week)s (treatment − control)"),
                endpoint=_label(endpoint), week=f"{week:g}",
            )
        )  # fmt: skip
    return Drawing(
        fig,
        _("Subgroups: %(endpoint)s at week %(week)s", endpoint=_label(endpoint), week=f"{week:g}"),
        _(
            "ANCOVA difference (change on arm and baseline) with its 95 %% CI within each "
            "subgroup level; the interaction p-value tests whether the effect differs between "
            "the levels (F test of arm × subgroup)."
        ),
    )


def km_figure(km: Any, label: str) -> Drawing:
    """Kaplan–Meier curves (step functions with censoring marks) per arm."""
    curves = list(km.curves)
    colours = _colours([str(c.group) for c in curves])
    with mpl.rc_context(_rc()):
        fig = _figure()
        ax = fig.add_subplot()
        for c in curves:
            times = [0.0] + [r.time for r in c.rows]
            surv = [1.0] + [r.survival for r in c.rows]
            ax.step(times, surv, where="post", color=colours[str(c.group)],
                    label=_axis(N_("%(group)s (n = %(n)s, events = %(events)s)"),
                                group=_arm(c.group), n=c.n, events=c.events))  # fmt: skip
            cens = [(r.time, r.survival) for r in c.rows if r.n_censor > 0]
            if cens:
                ax.plot(*zip(*cens, strict=True), "+", color=colours[str(c.group)])
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(_axis(N_("Week")))
        ax.set_ylabel(_axis(N_("Probability without the event")))
        ax.legend(frameon=False, loc="lower left")
    return Drawing(
        fig,
        _("Kaplan–Meier: %(endpoint)s", endpoint=label),
        _(
            "Proportion of subjects free of the event by week (Kaplan–Meier); + marks censoring "
            "at the last visit."
        ),
    )
