"""The CONSORT flow diagram as an SVG drawn from the subject-level dataset.

Reference: Schulz, Altman, Moher for the CONSORT Group. CONSORT 2010 Statement. BMJ
2010;340:c332 (flow diagram: enrolment, allocation, follow-up, analysis).

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> from autoserum.analysis import build_adsl
>>> counts = consort_counts(build_adsl(study.visits))
>>> counts.enrolled, [(flow.arm, flow.allocated, flow.analysed) for flow in counts.arms]
(30, [('placebo', 14, 14), ('serum', 16, 16)])
>>> svg = consort_svg(counts)
>>> svg.startswith("<svg"), "Enrol" in svg
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import polars as pl

__all__ = ["ArmFlow", "ConsortCounts", "consort_counts", "consort_svg"]


@dataclass(frozen=True)
class ArmFlow:
    """The flow of one arm."""

    arm: str
    allocated: int
    treated: int
    completed: int
    discontinued: int
    analysed: int
    per_protocol: int


@dataclass(frozen=True)
class ConsortCounts:
    """Enrolled subjects and the flow of each arm."""

    enrolled: int
    arms: tuple[ArmFlow, ...]
    assessed: int | None = None
    excluded: int | None = None


def consort_counts(
    adsl: pl.DataFrame, *, assessed: int | None = None, excluded: int | None = None
) -> ConsortCounts:
    """Count the CONSORT boxes from :func:`autoserum.analysis.build_adsl` (and, when the source
    knows them, the subjects assessed for eligibility and excluded)."""
    arms = []
    for arm in sorted(adsl["arm"].unique().to_list()):
        rows = adsl.filter(pl.col("arm") == arm)
        arms.append(
            ArmFlow(
                arm=arm,
                allocated=int(rows["randomised"].sum()),
                treated=int(rows["safety"].sum()),
                completed=int(rows["completed"].sum()),
                discontinued=int((~rows["completed"]).sum()),
                analysed=int(rows["fas"].sum()),
                per_protocol=int(rows["per_protocol"].sum()),
            )
        )
    return ConsortCounts(
        enrolled=adsl.height, arms=tuple(arms), assessed=assessed, excluded=excluded
    )


_BOX_W, _BOX_H, _GAP = 210, 58, 26


def _box(x: float, y: float, lines: list[str], *, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    text = "".join(
        f'<text x="{x + _BOX_W / 2}" y="{y + 18 + 15 * i}" text-anchor="middle"{weight}>'
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    return (
        f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="4" '
        f'fill="#ffffff" stroke="#333333"/>{text}'
    )


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333333" marker-end="url(#arrow)"/>'
    )


def consort_svg(counts: ConsortCounts) -> str:
    """An SVG flow diagram: enrolment → allocation → follow-up → analysis, one column per arm."""
    n = max(len(counts.arms), 1)
    width = n * (_BOX_W + _GAP) + _GAP
    stages = ("Allocation", "Follow-up", "Analysis")
    top = 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="CONSORT flow diagram" '
        f'class="consort" viewBox="0 0 {width} {top + 4 * (_BOX_H + 40)}" '
        f'width="{width}" height="{top + 4 * (_BOX_H + 40)}" font-family="DejaVu Sans, Arial, '
        f'sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333333"/></marker>'
        "</defs>",
        "<title>CONSORT flow diagram</title>",
    ]
    cx = width / 2 - _BOX_W / 2
    enrolment = ["Enrolment", f"Enrolled (n = {counts.enrolled})"]
    if counts.assessed is not None:
        enrolment = [
            f"Assessed for eligibility (n = {counts.assessed})",
            f"Excluded (n = {counts.excluded or 0})",
            f"Enrolled (n = {counts.enrolled})",
        ]
    parts.append(_box(cx, top, enrolment, bold=False))
    for i, flow in enumerate(counts.arms):
        x = _GAP + i * (_BOX_W + _GAP)
        ys = [top + (k + 1) * (_BOX_H + 40) for k in range(3)]
        parts.append(_arrow(width / 2, top + _BOX_H, x + _BOX_W / 2, ys[0]))
        parts.append(
            _box(
                x,
                ys[0],
                [
                    f"{stages[0]}: {flow.arm}",
                    f"Allocated (n = {flow.allocated})",
                    f"Received treatment (n = {flow.treated})",
                ],
            )
        )
        parts.append(_arrow(x + _BOX_W / 2, ys[0] + _BOX_H, x + _BOX_W / 2, ys[1]))
        parts.append(
            _box(
                x,
                ys[1],
                [
                    stages[1],
                    f"Completed (n = {flow.completed})",
                    f"Discontinued (n = {flow.discontinued})",
                ],
            )
        )
        parts.append(_arrow(x + _BOX_W / 2, ys[1] + _BOX_H, x + _BOX_W / 2, ys[2]))
        parts.append(
            _box(
                x,
                ys[2],
                [
                    stages[2],
                    f"Full analysis set (n = {flow.analysed})",
                    f"Per protocol (n = {flow.per_protocol})",
                ],
            )
        )
    parts.append("</svg>")
    return "".join(parts)
