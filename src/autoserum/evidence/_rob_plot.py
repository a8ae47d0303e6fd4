"""Risk-of-bias figures as robvis draws them (McGuinness LA, Higgins JPT. Res Synth Methods
2021;12:55-61): a traffic-light plot (one row per trial and outcome, one dot per domain plus the
overall judgement) and a summary plot (share of assessments at each judgement per domain).

>>> from autoserum.evidence import load_rob2
>>> fig = rob_traffic_light(load_rob2())
>>> len(fig.axes)
1
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from autoserum.errors import Expected, ValidationError
from autoserum.evidence._rob import ROB2_DOMAINS, Rob2Assessment

__all__ = ["rob_summary", "rob_traffic_light"]

_COLOURS = {"Low": "#02C100", "Some concerns": "#E2DF07", "High": "#BF0000"}
_SYMBOLS = {"Low": "+", "Some concerns": "-", "High": "x"}


def rob_traffic_light(assessments: Sequence[Rob2Assessment]) -> Figure:
    """Traffic-light plot of RoB 2 judgements (rows: trial, outcome; columns: D1-D5, overall)."""
    if not assessments:
        raise ValidationError("assessments", 0, Expected("at least one RoB 2 assessment"))
    cols = [*ROB2_DOMAINS, "Overall"]
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(assessments) + 1.6))
    for row, a in enumerate(assessments):
        y = len(assessments) - 1 - row
        for col, d in enumerate(cols):
            level = a.overall if d == "Overall" else a.domains[d]
            ax.scatter(col, y, s=260, color=_COLOURS[level], edgecolors="#333")
            ax.text(col, y, _SYMBOLS[level], ha="center", va="center", fontsize=10, weight="bold")
    ax.set_xticks(range(len(cols)), cols)
    ax.xaxis.tick_top()
    ax.set_yticks(
        range(len(assessments)), [f"{a.study}: {a.outcome}" for a in reversed(assessments)]
    )
    ax.set_xlim(-0.6, len(cols) - 0.4)
    ax.set_ylim(-0.8, len(assessments) - 0.2)
    for side in ("right", "bottom", "left", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    items = [f"{k} {v}" for k, v in ROB2_DOMAINS.items()]
    legend = "; ".join(items[:3]) + ";\n" + "; ".join(items[3:])
    ax.set_xlabel(f"{legend}\n+ Low   - Some concerns   x High (RoB 2)", fontsize=7)
    fig.tight_layout()
    return fig


def rob_summary(assessments: Sequence[Rob2Assessment]) -> Figure:
    """Summary plot: per domain, the share of assessments judged Low / Some concerns / High."""
    if not assessments:
        raise ValidationError("assessments", 0, Expected("at least one RoB 2 assessment"))
    rows = [*ROB2_DOMAINS, "Overall"]
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    n = len(assessments)
    for i, d in enumerate(reversed(rows)):
        left = 0.0
        for level in _COLOURS:
            count = sum(
                (a.overall if d == "Overall" else a.domains[d]) == level for a in assessments
            )
            share = 100 * count / n
            ax.barh(
                i,
                share,
                left=left,
                color=_COLOURS[level],
                edgecolor="#333",
                label=level if i == 0 else None,
            )
            left += share
    labels = [f"{d} {ROB2_DOMAINS[d]}" if d in ROB2_DOMAINS else "Overall" for d in reversed(rows)]
    ax.set_yticks(range(len(rows)), labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"% of {n} trial-outcome assessments (unweighted)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    return fig
