"""Box-and-arrow diagrams (the CONSORT flow) laid out once and drawn twice: as SVG text for the
HTML report and as a reportlab drawing for the PDF, so that both are vector graphics whose
words stay text (a reader can search and copy them; a test extracts them from the PDF).

Coordinates are SVG's (origin top left, y down); the reportlab drawing flips them.

>>> d = Diagram(200, 60, boxes=(Box(10, 10, 180, 40, ("Assessed (n = 3)",)),))
>>> diagram_svg(d).count("<text")
1
>>> diagram_drawing(d).width
200
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, Rect, String
from reportlab.lib import colors

__all__ = ["LINE_HEIGHT", "Arrow", "Box", "Diagram", "diagram_drawing", "diagram_svg"]

#: Height of one line of text in a box, and the font size (points = SVG px here).
LINE_HEIGHT = 13.0
FONT_SIZE = 9.5
_PAD = 6.0
_INK = "#333333"
_BANNER = "#cfe2f3"


@dataclass(frozen=True)
class Box:
    """A box at (x, y) of size w × h with lines of text; the first line bold when ``bold``;
    ``banner``: a stage label (filled, centred)."""

    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, ...]
    bold: bool = False
    banner: bool = False

    @staticmethod
    def height_for(n_lines: int) -> float:
        """The height a box needs for ``n_lines`` of text."""
        return 2 * _PAD + LINE_HEIGHT * n_lines


@dataclass(frozen=True)
class Arrow:
    """A polyline through ``points`` with an arrow head at the last point (``head=False``:
    a plain connector)."""

    points: tuple[tuple[float, float], ...]
    head: bool = True


@dataclass(frozen=True)
class Diagram:
    """A finished layout: its size, boxes and arrows, and a title for screen readers."""

    width: float
    height: float
    boxes: tuple[Box, ...] = ()
    arrows: tuple[Arrow, ...] = ()
    title: str = "diagram"


def _text_x(box: Box) -> tuple[float, str]:
    if box.banner:
        return box.x + box.w / 2, "middle"
    return box.x + _PAD, "start"


def _baseline(box: Box, i: int) -> float:
    return box.y + _PAD + LINE_HEIGHT * i + FONT_SIZE


def diagram_svg(diagram: Diagram, *, css_class: str = "diagram") -> str:
    """The diagram as one ``<svg>`` element (text as ``<text>``, no external resources)."""
    w, h = diagram.width, diagram.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="{escape(css_class)}" '
        f'aria-label="{escape(diagram.title)}" viewBox="0 0 {w:g} {h:g}" width="{w:g}" '
        f'height="{h:g}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" '
        f'font-size="{FONT_SIZE:g}">',
        f"<title>{escape(diagram.title)}</title>",
        '<defs><marker id="consort-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{_INK}"/></marker></defs>',
    ]
    for a in diagram.arrows:
        pts = " ".join(f"{x:g},{y:g}" for x, y in a.points)
        head = ' marker-end="url(#consort-arrow)"' if a.head else ""
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{_INK}"{head}/>')
    for b in diagram.boxes:
        fill = _BANNER if b.banner else "#ffffff"
        parts.append(
            f'<rect x="{b.x:g}" y="{b.y:g}" width="{b.w:g}" height="{b.h:g}" '
            f'fill="{fill}" stroke="{_INK}"/>'
        )
        tx, anchor = _text_x(b)
        for i, line in enumerate(b.lines):
            weight = ' font-weight="bold"' if (b.bold and i == 0) or b.banner else ""
            parts.append(
                f'<text x="{tx:g}" y="{_baseline(b, i):g}" text-anchor="{anchor}"{weight}>'
                f"{escape(line)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _head(x1: float, y1: float, x2: float, y2: float, flip: float) -> Polygon:
    """A filled triangle at (x2, y2) pointing along (x1, y1) → (x2, y2) (reportlab y up)."""
    ang = math.atan2((flip - y2) - (flip - y1), x2 - x1)
    size = 6.0
    pts = [x2, flip - y2]
    for da in (2.7, -2.7):
        pts += [x2 + size * math.cos(ang + da), flip - y2 + size * math.sin(ang + da)]
    ink = colors.HexColor(_INK)
    return Polygon(pts, fillColor=ink, strokeColor=ink, strokeWidth=0.5)


def diagram_drawing(
    diagram: Diagram, *, fonts: tuple[str, str] = ("Helvetica", "Helvetica-Bold")
) -> Drawing:
    """The diagram as a reportlab :class:`Drawing` (a flowable: vector paths, text as text),
    its words in ``fonts`` (regular, bold: a CID font for Korean or Chinese)."""
    h = diagram.height
    ink = colors.HexColor(_INK)
    group = Group()
    for a in diagram.arrows:
        for (x1, y1), (x2, y2) in zip(a.points, a.points[1:], strict=False):
            group.add(Line(x1, h - y1, x2, h - y2, strokeColor=ink, strokeWidth=0.8))
        if a.head and len(a.points) > 1:
            (x1, y1), (x2, y2) = a.points[-2], a.points[-1]
            group.add(_head(x1, y1, x2, y2, h))
    for b in diagram.boxes:
        fill = colors.HexColor(_BANNER) if b.banner else colors.white
        group.add(
            Rect(b.x, h - b.y - b.h, b.w, b.h, fillColor=fill, strokeColor=ink, strokeWidth=0.8)
        )
        tx, anchor = _text_x(b)
        for i, line in enumerate(b.lines):
            bold = (b.bold and i == 0) or b.banner
            group.add(
                String(
                    tx,
                    h - _baseline(b, i),
                    line,
                    fontName=fonts[1] if bold else fonts[0],
                    fontSize=FONT_SIZE,
                    textAnchor=anchor,
                    fillColor=colors.black,
                )
            )
    drawing = Drawing(diagram.width, diagram.height)
    drawing.add(group)
    return drawing
