"""Server-rendered inline SVG charts (no JavaScript chart library).

:func:`trajectory_svg` draws one line per instrument over study days, each scaled to its own
range (0 to the instrument's maximum), with a text table alternative for screen readers.

Example::

    >>> svg = trajectory_svg({"easi": [(0, 14.0), (28, 7.5)]}, {"easi": 72.0})
    >>> svg.startswith("<svg") and "EASI" in svg
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["trajectory_svg"]

_COLOURS = ("#1b5e9a", "#b3541e", "#2e7d32", "#6a1b9a", "#a01f4c", "#00695c")
_W, _H = 640, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 120, 16, 36


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def trajectory_svg(
    series: Mapping[str, Sequence[tuple[float, float]]],
    maxima: Mapping[str, float],
    *,
    title: str = "Severity trajectory",
) -> str:
    """An SVG line chart: x = study day, y = percent of each instrument's maximum.

    ``series`` maps an instrument code to ``(day, total)`` points; ``maxima`` gives each
    instrument's maximum (the y axis shows % of maximum so that scales share one axis).
    """
    points = [(d, v) for pts in series.values() for d, v in pts]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-labelledby="chart-title" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    if not points:
        parts.append(f'<text x="{_W // 2}" y="{_H // 2}" text-anchor="middle">No scores yet</text>')
        parts.append("</svg>")
        return "".join(parts)
    d_min = min(d for d, _ in points)
    d_max = max(d for d, _ in points)
    span = (d_max - d_min) or 1.0

    def x(day: float) -> float:
        return _LEFT + (day - d_min) / span * plot_w

    def y(fraction: float) -> float:
        return _TOP + (1.0 - fraction) * plot_h

    # axes and grid (0, 25, 50, 75, 100 % of maximum)
    for pct in (0, 25, 50, 75, 100):
        yy = y(pct / 100)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_fmt(yy)}" y2="{_fmt(yy)}" '
            'stroke="#ddd"/>'
            f'<text x="{_LEFT - 6}" y="{_fmt(yy + 4)}" text-anchor="end" font-size="11">'
            f"{pct}%</text>"
        )
    for day in sorted({d for d, _ in points}):
        parts.append(
            f'<text x="{_fmt(x(day))}" y="{_H - _BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11">{_fmt(day).removesuffix(".0")}</text>'
        )
    parts.append(
        f'<text x="{_LEFT + plot_w / 2}" y="{_H - 4}" text-anchor="middle" font-size="12">'
        "study day</text>"
    )
    for i, (code, pts) in enumerate(sorted(series.items())):
        if not pts:
            continue
        colour = _COLOURS[i % len(_COLOURS)]
        top = maxima.get(code) or max(v for _, v in pts) or 1.0
        coords = " ".join(f"{_fmt(x(d))},{_fmt(y(v / top))}" for d, v in sorted(pts))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{coords}"/>'
        )
        for d, v in sorted(pts):
            parts.append(
                f'<circle cx="{_fmt(x(d))}" cy="{_fmt(y(v / top))}" r="3.5" fill="{colour}">'
                f"<title>{escape(code.upper())} day {_fmt(d)}: {_fmt(v)}</title></circle>"
            )
        ly = _TOP + 14 + 18 * i
        parts.append(
            f'<rect x="{_W - _RIGHT + 12}" y="{ly - 9}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{_W - _RIGHT + 30}" y="{ly}" font-size="12">{escape(code.upper())}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
