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

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from autoserum.analysis import EndpointResult

__all__ = [
    "PALETTE",
    "Drawing",
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


@dataclass(frozen=True)
class Drawing:
    """A finished figure: SVG text for the HTML report, PNG bytes for the PDF."""

    figure: Figure
    title: str
    caption: str

    def svg(self) -> str:
        buf = io.StringIO()
        with mpl.rc_context(_RC):
            self.figure.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
        text = buf.getvalue()
        return text[text.index("<svg") :]

    def png(self, dpi: int = 200) -> bytes:
        buf = io.BytesIO()
        with mpl.rc_context(_RC):
            FigureCanvasAgg(self.figure)
            self.figure.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()


def _figure(width: float = 6.0, height: float = 3.4) -> Figure:
    with mpl.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _colours(arms: Sequence[str]) -> dict[str, str]:
    return {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(arms)}


def _label(endpoint: str) -> str:
    return endpoint.upper().replace("_", "-")


def mean_change_figure(result: EndpointResult) -> Drawing:
    """Mean change from baseline with 95 % CI over the visits, one line per arm."""
    with mpl.rc_context(_RC):
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
                label=arm,
            )
        ax.axhline(0, color="#777777", linewidth=0.8, linestyle=":")
        ax.set_xlabel("Week")
        ax.set_ylabel(f"Change from baseline in {_label(result.endpoint)}")
        ax.legend(frameon=False, loc="lower left")
    return Drawing(
        fig,
        f"Mean change from baseline in {_label(result.endpoint)}",
        "Mean change from baseline with 95 % confidence intervals (t distribution), observed "
        f"cases, {result.population.upper()} population; arms slightly offset for legibility.",
    )


def trajectory_figure(
    bds: pl.DataFrame, endpoint: str, arms: Sequence[str], max_per_arm: int = 200
) -> Drawing:
    """Individual trajectories of the endpoint per arm (thin lines) with the arm mean."""
    rows = bds.filter(pl.col("parameter") == endpoint).sort("subject_id", "week")
    with mpl.rc_context(_RC):
        fig = _figure(6.0, 2.8)
        axes = fig.subplots(1, len(arms), sharey=True, squeeze=False)[0]
        colours = _colours(arms)
        shown_note = ""
        for ax, arm in zip(axes, arms, strict=True):
            arm_rows = rows.filter(pl.col("arm") == arm)
            subjects = arm_rows["subject_id"].unique(maintain_order=True)
            if subjects.len() > max_per_arm:
                shown_note = f" The first {max_per_arm} subjects of each arm are drawn."
                arm_rows = arm_rows.filter(
                    pl.col("subject_id").is_in(subjects[:max_per_arm].implode())
                )
            for _, one in arm_rows.group_by("subject_id", maintain_order=True):
                ax.plot(one["week"], one["value"], color=colours[arm], alpha=0.35, linewidth=0.7)
            mean = (
                rows.filter(pl.col("arm") == arm)
                .group_by("week")
                .agg(pl.col("value").mean())
                .sort("week")
            )
            ax.plot(mean["week"], mean["value"], color="black", linewidth=2, label="mean")
            ax.set_title(arm)
            ax.set_xlabel("Week")
        axes[0].set_ylabel(_label(endpoint))
        axes[0].legend(frameon=False, loc="upper right")
    return Drawing(
        fig,
        f"Individual {_label(endpoint)} trajectories",
        "Each thin line is one subject (all recorded visits, including screening); the thick "
        "line is the observed mean at each week." + shown_note,
    )


def waterfall_figure(bds: pl.DataFrame, endpoint: str, week: float, arms: Sequence[str]) -> Drawing:
    """Percent change from baseline at ``week`` per subject, sorted, coloured by arm."""
    rows = bds.filter(
        (pl.col("parameter") == endpoint)
        & (pl.col("week") == week)
        & pl.col("percent_change").is_not_null()
    ).sort("percent_change", descending=True)
    colours = _colours(arms)
    with mpl.rc_context(_RC):
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
            cut_note = " Bars above +100 % are cut at the top of the axis and labelled."
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
        ax.set_xlabel("Subjects, sorted")
        ax.set_ylabel(f"% change in {_label(endpoint)} at week {week:g}")
        handles = [mpl.patches.Patch(color=colours[a], label=a) for a in arms]
        ax.legend(handles=handles, frameon=False, loc="upper right")
    return Drawing(
        fig,
        f"Waterfall of percent change in {_label(endpoint)} at week {week:g}",
        "One bar per subject with a baseline and a week "
        f"{week:g} value (n = {rows.height}); negative = improvement; dashed lines at −50 % and "
        "−75 %." + cut_note,
    )


def responder_figure(result: EndpointResult) -> Drawing:
    """Responder rates with Wilson 95 % CIs per rule and arm (grouped bars)."""
    rules = result.responders["responder"].unique(maintain_order=True).to_list()
    colours = _colours(result.arms)
    with mpl.rc_context(_RC):
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
                label=arm,
                yerr=np.vstack([rate - low, high - rate]),
                capsize=3,
            )
        ax.set_xticks(np.arange(len(rules)), [r.replace("_", "-").upper() for r in rules])
        ax.set_ylabel(f"Responders at week {result.week:g} (%)")
        ax.set_ylim(0, 100)
        ax.legend(frameon=False, loc="upper right")
    return Drawing(
        fig,
        f"{_label(result.endpoint)} responders at week {result.week:g}",
        "Proportion of responders with Wilson 95 % confidence intervals; observed cases.",
    )
