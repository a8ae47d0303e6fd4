"""Forest and funnel plots (matplotlib, Agg backend; SVG or PNG by the file suffix).

Ratio measures are drawn on the ratio scale (exp of the log-scale values, log axis).

>>> from autoserum.meta import rma
>>> fig = forest_plot(rma([0.1, 0.3, 0.5], [0.01, 0.02, 0.04], method="DL"))
>>> len(fig.axes)
1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from scipy import stats

from autoserum.errors import Expected, ValidationError
from autoserum.meta._escalc import RATIO_MEASURES
from autoserum.meta._rma import MetaResult

__all__ = ["forest_plot", "forest_plot_trials", "funnel_plot", "save_figure"]

_SUFFIXES = (".svg", ".png", ".pdf")


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (``.svg``, ``.png`` or ``.pdf``) and close it."""
    target = Path(path)
    if target.suffix.lower() not in _SUFFIXES:
        raise ValidationError(
            "path",
            str(path),
            Expected("a file name ending in %(values)s", values=", ".join(_SUFFIXES)),
        )
    try:
        fig.savefig(
            target,
            bbox_inches="tight",
            metadata={"Date": None} if target.suffix == ".svg" else None,
        )
    except OSError as err:
        plt.close(fig)
        raise ValidationError(
            "path", str(path), Expected("a writable file (%(strerror)s)", strerror=err.strerror)
        ) from None
    plt.close(fig)
    return target


def forest_plot(
    result: MetaResult, *, title: str | None = None, xlabel: str | None = None
) -> Figure:
    """Forest plot: each study's estimate and CI, the pooled diamond and the prediction interval."""
    z = float(stats.norm.ppf(1 - (1 - result.level) / 2))
    tr = math.exp if result.is_ratio else (lambda v: v)
    k = result.k
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.35 * (k + 3)))
    for i, (y, v, w) in enumerate(zip(result.yi, result.vi, result.weights, strict=True)):
        row = k - i + 1
        lo, hi = y - z * math.sqrt(v), y + z * math.sqrt(v)
        ax.plot([tr(lo), tr(hi)], [row, row], color="black", lw=1)
        ax.plot([tr(y)], [row], marker="s", color="black", ms=3 + 6 * math.sqrt(w / 100))
        ax.text(
            1.02,
            row,
            f"{tr(y):.2f} [{tr(lo):.2f}, {tr(hi):.2f}]",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8,
        )
    est, lo, hi = (tr(a) for a in (result.estimate, result.ci_low, result.ci_high))
    ax.fill([lo, est, hi, est], [0.5, 0.8, 0.5, 0.2], color="black")
    ax.plot([tr(result.pi_low), tr(result.pi_high)], [0.5, 0.5], color="grey", lw=1, ls="--")
    ax.text(
        1.02,
        0.5,
        f"{est:.2f} [{lo:.2f}, {hi:.2f}]",
        transform=ax.get_yaxis_transform(),
        va="center",
        fontsize=8,
        weight="bold",
    )
    ax.axvline(tr(0.0), color="grey", lw=0.8)
    model = f"{result.method}{' + HKSJ' if result.hk else ''}"
    ax.set_yticks(
        [k - i + 1 for i in range(k)] + [0.5],
        [*result.labels, f"Pooled ({model}); I² = {result.i2:.0f}%"],
        fontsize=8,
    )
    if result.is_ratio:
        ax.set_xscale("log")
    ax.set_ylim(-0.2, k + 1.8)
    ax.set_xlabel(xlabel or (result.measure or "effect size"))
    ax.set_title(title or f"Forest plot (k = {k}; dashed: prediction interval)", fontsize=9)
    return fig


def forest_plot_trials(
    labels: Sequence[str],
    yi: Sequence[float],
    vi: Sequence[float],
    *,
    measure: str | None = None,
    title: str | None = None,
) -> Figure:
    """Forest plot of per-trial estimates and 95% CIs with no pooled row (when pooling is not
    justified); ratio measures (log scale inputs) are drawn exponentiated on a log axis."""
    if not (len(labels) == len(yi) == len(vi)) or not labels:
        raise ValidationError(
            "yi", len(yi), Expected("%(count)s estimates, one per label (>= 1)", count=len(labels))
        )
    ratio = measure in RATIO_MEASURES
    tr = math.exp if ratio else (lambda v: v)
    k = len(labels)
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.35 * (k + 1)))
    for i, (y, v) in enumerate(zip(yi, vi, strict=True)):
        row = k - i
        half = 1.959963984540054 * math.sqrt(v)
        ax.plot([tr(y - half), tr(y + half)], [row, row], color="black", lw=1)
        ax.plot([tr(y)], [row], marker="s", color="black", ms=6)
        ax.text(
            1.02,
            row,
            f"{tr(y):.2f} [{tr(y - half):.2f}, {tr(y + half):.2f}]",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8,
        )
    ax.axvline(tr(0.0), color="grey", lw=0.8)
    ax.set_yticks([k - i for i in range(k)], list(labels), fontsize=8)
    if ratio:
        ax.set_xscale("log")
    ax.set_ylim(0.3, k + 0.7)
    ax.set_xlabel(measure or "effect size")
    ax.set_title(title or f"Per-trial estimates (k = {k}; not pooled)", fontsize=9)
    return fig


def funnel_plot(result: MetaResult, *, title: str | None = None) -> Figure:
    """Funnel plot: effect sizes against their SE with the pseudo-95% region around the FE mean."""
    ses = [math.sqrt(v) for v in result.vi]
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.scatter(result.yi, ses, color="black", s=14, zorder=3)
    top = max(ses) * 1.1
    z = float(stats.norm.ppf(0.975))
    c = result.estimate
    ax.plot([c - z * top, c, c + z * top], [top, 0, top], color="grey", lw=0.8, ls="--")
    ax.axvline(c, color="grey", lw=0.8)
    ax.set_ylim(top, 0)
    ax.set_xlabel(f"{result.measure or 'effect size'}{' (log scale)' if result.is_ratio else ''}")
    ax.set_ylabel("standard error")
    ax.set_title(title or f"Funnel plot (k = {result.k})", fontsize=9)
    return fig
