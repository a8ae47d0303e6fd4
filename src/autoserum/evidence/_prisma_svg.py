"""The PRISMA 2020 flow diagram as SVG, drawn from a :class:`PrismaFlow` (no plotting library).

Layout of the PRISMA 2020 template (Page MJ et al. BMJ 2021;372:n71) with one stream for
databases, registers and other methods (websites, citation searching, the issue 17 review),
each source's count shown in the identification box: main boxes on the left, exclusions on the
right, the stage labels (Identification, Screening, Included) in the margin.

>>> from autoserum.evidence import prisma_flow
>>> svg = prisma_svg(prisma_flow())
>>> svg.startswith("<svg") and "Records screened" in svg
True
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from autoserum.evidence._prisma import PrismaFlow, SearchRecord, load_search

__all__ = ["prisma_svg"]

_W, _LEFT_X, _RIGHT_X, _BOX_W, _LINE = 1000, 70, 500, 380, 15


def _box(x: float, y: float, lines: list[str], *, fill: str = "#ffffff") -> tuple[str, float]:
    h = 12 + _LINE * len(lines)
    parts = [f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{h}" fill="{fill}" stroke="#333"/>']
    for i, text in enumerate(lines):
        weight = ' font-weight="bold"' if i == 0 else ""
        ty = y + 18 + i * _LINE
        parts.append(f'<text x="{x + 8}" y="{ty}" font-size="12"{weight}>{escape(text)}</text>')
    return "\n".join(parts), h


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" marker-end="url(#arrow)"/>'


def _stage(y: float, h: float, label: str) -> str:
    cx, cy = 30, y + h / 2
    return (
        f'<rect x="15" y="{y}" width="30" height="{h}" fill="#cfe2f3" stroke="#333"/>'
        f'<text x="{cx}" y="{cy}" font-size="12" font-weight="bold" text-anchor="middle" '
        f'transform="rotate(-90 {cx} {cy})">{escape(label)}</text>'
    )


def prisma_svg(flow: PrismaFlow, search: SearchRecord | None = None) -> str:
    """The flow diagram of ``flow`` as an SVG document (text)."""
    search = search if search is not None else load_search()
    names = {s.id: s for s in search.sources}
    body: list[str] = []
    y = 75.0
    ident = [f"Records identified (n = {flow.identified_total})"]
    for kind, label in (
        ("database", "Databases"),
        ("register", "Registers"),
        ("website", "Websites"),
        ("citation", "Citation searching"),
        ("other", "Other (issue 17 review)"),
    ):
        ident.append(f"{label} (n = {flow.identified[kind]}):")
        for sid, n in flow.identified_by_source.items():
            if names[sid].kind == kind:
                ident.append(f"  - {names[sid].id}: {n}")
    left, h_ident = _box(_LEFT_X, y, ident)
    right, _ = _box(
        _RIGHT_X,
        y,
        ["Records removed before screening", f"Duplicate records (n = {flow.duplicates})"],
    )
    body += [_stage(y, h_ident, "Identification"), left, right]
    body.append(_arrow(_LEFT_X + _BOX_W, y + 20, _RIGHT_X, y + 20))
    y_screen = y + h_ident + 30
    body.append(_arrow(_LEFT_X + _BOX_W / 2, y + h_ident, _LEFT_X + _BOX_W / 2, y_screen))
    rows = [
        (
            [f"Records screened (n = {flow.screened})"],
            [f"Records excluded (n = {flow.excluded_title_abstract})"],
        ),
        (
            [f"Reports sought for retrieval (n = {flow.sought})"],
            [
                f"Reports not retrieved (n = {flow.not_retrieved})",
                "(full text or record not reachable)",
            ],
        ),
        (
            [f"Reports assessed for eligibility (n = {flow.assessed})"],
            ["Reports excluded:"]
            + [f"  {reason} (n = {n})" for reason, n in flow.excluded_by_reason.items()]
            + [
                f"Ongoing / unpublished (n = {flow.ongoing})",
                f"Awaiting classification (n = {flow.awaiting_classification})",
            ],
        ),
    ]
    y = y_screen
    top_screen = y
    for i, (main_lines, side_lines) in enumerate(rows):
        left, h_left = _box(_LEFT_X, y, main_lines)
        right, h_right = _box(_RIGHT_X, y, side_lines)
        body += [left, right, _arrow(_LEFT_X + _BOX_W, y + 14, _RIGHT_X, y + 14)]
        step = max(h_left, h_right) + 25
        if i < len(rows) - 1:
            body.append(_arrow(_LEFT_X + _BOX_W / 2, y + h_left, _LEFT_X + _BOX_W / 2, y + step))
        last_h = h_left
        y += step
    body.append(_stage(top_screen, y - top_screen - 25, "Screening"))
    body.append(
        _arrow(_LEFT_X + _BOX_W / 2, y - 25 - (step - 25) + last_h, _LEFT_X + _BOX_W / 2, y)
    )
    inc, h_inc = _box(
        _LEFT_X,
        y,
        [
            f"Studies included in review (n = {flow.studies_included}; {flow.included_rcts} RCTs)",
            f"Reports of included studies (n = {flow.reports_included})",
        ],
    )
    other, h_side = _box(
        _RIGHT_X,
        y,
        [
            "Studies not yet classified",
            f"Ongoing / completed unpublished (n = {flow.studies_ongoing})",
            f"Awaiting classification (n = {flow.studies_awaiting})",
        ],
        fill="#f3f3f3",
    )
    body += [_stage(y, max(h_inc, h_side, 70), "Included"), inc, other]
    height = y + max(h_inc, h_side, 70) + 40
    title = escape("PRISMA 2020 flow diagram")
    review = escape(search.review)
    note = escape(
        f"Search compiled {search.compiled}, updated {search.updated}; dates and queries of the"
        " original search NR (search.yaml)"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height:.0f}" '
        f'viewBox="0 0 {_W} {height:.0f}" font-family="Helvetica, Arial, sans-serif">\n'
        '<defs><marker id="arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" '
        'orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#333"/></marker></defs>\n'
        f'<rect width="{_W}" height="{height:.0f}" fill="#ffffff"/>\n'
        f'<text x="15" y="25" font-size="14" font-weight="bold">{title}</text>\n'
        f'<text x="15" y="44" font-size="11">{review}</text>\n'
        f'<text x="15" y="60" font-size="11">{note}</text>\n' + "\n".join(body) + "\n</svg>\n"
    )
