"""Power curves: power against the sample size per group, analytic and optionally simulated.

>>> rows = power_curve("two_sample", [10, 20], delta=9.6, sd=10)
>>> [r["n"] for r in rows], round(rows[1]["power"], 4)
([10, 20], 0.8409)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autoserum.design._analytic import power_prop_test, power_t_test
from autoserum.design._simulation import DESIGNS_SIMULATED, simulate_power
from autoserum.errors import Expected, ValidationError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CURVE_DESIGNS", "plot_power_curve", "power_curve"]

CURVE_DESIGNS = ("paired", "two_sample", "ancova", "proportions", "wilcoxon", "mann_whitney")


def power_curve(
    design: str,
    ns: Sequence[int],
    *,
    delta: float | None = None,
    sd: float | None = None,
    rho: float | None = None,
    p1: float | None = None,
    p2: float | None = None,
    sig_level: float = 0.05,
    reps: int = 0,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """One row per n: ``n``, ``power`` (analytic; None for rank tests) and, with ``reps`` > 0,
    ``power_simulated`` with ``mc_se`` (seeded by ``seed + n``)."""
    if design not in CURVE_DESIGNS:
        raise ValidationError(
            "design", design, Expected("one of %(values)s", values=", ".join(CURVE_DESIGNS))
        )
    if not ns:
        raise ValidationError("n", list(ns), Expected("at least one sample size"))
    rows: list[dict[str, Any]] = []
    for n in ns:
        row: dict[str, Any] = {"design": design, "n": int(n)}
        if design == "proportions":
            if p1 is None or p2 is None:
                raise ValidationError("p1", p1, Expected("p1 and p2 for a proportions design"))
            row["power"] = power_prop_test(p1=p1, p2=p2, n=n, sig_level=sig_level).power
        else:
            if delta is None or sd is None:
                raise ValidationError("delta", delta, Expected("delta and sd for this design"))
            if design in ("paired", "two_sample", "ancova"):
                row["power"] = power_t_test(
                    design, delta=delta, sd=sd, n=n, rho=rho, sig_level=sig_level
                ).power
            else:
                row["power"] = None
            if reps > 0 and design in DESIGNS_SIMULATED:
                sim = simulate_power(
                    design,
                    n=int(n),
                    delta=delta,
                    sd=sd,
                    reps=reps,
                    seed=seed + int(n),
                    sig_level=sig_level,
                )
                row["power_simulated"] = sim.power
                row["mc_se"] = sim.mc_se
        rows.append(row)
    return rows


def plot_power_curve(rows: Sequence[dict[str, Any]], *, title: str | None = None) -> Figure:
    """Power against n per group; simulated points with ±2 Monte-Carlo SE when present."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ns = [r["n"] for r in rows]
    if any(r.get("power") is not None for r in rows):
        ax.plot(ns, [r["power"] for r in rows], color="black", label="analytic")
    sim = [r for r in rows if "power_simulated" in r]
    if sim:
        ax.errorbar(
            [r["n"] for r in sim],
            [r["power_simulated"] for r in sim],
            yerr=[2 * r["mc_se"] for r in sim],
            fmt="o",
            color="grey",
            ms=3,
            label="simulated (±2 MC SE)",
        )
    ax.axhline(0.8, color="grey", lw=0.6, ls="--")
    ax.set_ylim(0, 1)
    ax.set_xlabel("n per group")
    ax.set_ylabel("power")
    ax.set_title(title or f"Power curve: {rows[0]['design']}", fontsize=9)
    ax.legend(fontsize=8)
    return fig
