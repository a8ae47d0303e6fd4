"""Render the report model as a PDF with reportlab (pure Python; no system packages).

Tables become reportlab tables; the CONSORT flow diagram is drawn as vector graphics (reportlab
shapes, its words as PDF text); the other figures are embedded as PNG (matplotlib). The text is
set in the fonts of the current language (:func:`autoserum.report._i18n.pdf_fonts`: a CID font
for Korean and Chinese).

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> from autoserum.report import build_report
>>> model = build_report(study, protocol="ast-nahm2023")
>>> pdf = render_pdf(model, tmp_path / "report.pdf")
>>> pdf.name, pdf.read_bytes()[:5]
('report.pdf', b'%PDF-')
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RLTable

from autoserum.i18n import current_language
from autoserum.report._diagram import Diagram, diagram_drawing
from autoserum.report._document import Document, FigureBlock
from autoserum.report._i18n import gettext as _
from autoserum.report._i18n import markup, note_text, pdf_fonts, pdf_word_wrap, text_width
from autoserum.report._tables import Table

__all__ = ["render_pdf"]

_STYLES = getSampleStyleSheet()
#: Height available to a figure with its caption on an A4 page with 15 mm margins.
_FRAME_HEIGHT = A4[1] - 30 * mm - 40


@dataclass(frozen=True)
class _Styles:
    """The paragraph styles of one document, in the fonts of its language."""

    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    cell: ParagraphStyle
    head: ParagraphStyle
    note: ParagraphStyle
    caption: ParagraphStyle


def _styles(language: str) -> _Styles:
    regular, bold = pdf_fonts(language)
    wrap = pdf_word_wrap(language)
    body = ParagraphStyle("body", parent=_STYLES["BodyText"], fontName=regular, wordWrap=wrap)
    cell = ParagraphStyle("cell", parent=body, fontSize=7, leading=8.5)
    return _Styles(
        title=ParagraphStyle("title", parent=_STYLES["Title"], fontName=bold, wordWrap=wrap),
        heading=ParagraphStyle(  # a section's heading stays on the page of what follows it
            "heading", parent=_STYLES["Heading2"], fontName=bold, wordWrap=wrap, keepWithNext=1
        ),
        body=body,
        cell=cell,
        head=ParagraphStyle("head", parent=cell, fontName=bold),
        note=ParagraphStyle("note", parent=body, fontSize=7, leading=9, textColor=colors.grey),
        # a table's caption stays on the page of its table
        caption=ParagraphStyle(
            "caption",
            parent=body,
            fontSize=9,
            leading=11,
            fontName=bold,
            spaceAfter=2 * mm,
            keepWithNext=1,
        ),
    )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of ``text`` (its Greek letters, arrows and signs drawn as written:
    :func:`autoserum.report._i18n.markup`)."""
    return Paragraph(markup(text, style.fontName), style)


#: A character a line may break after in Chinese (CJK ideographs, kana, full-width forms).
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_TOKEN = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")
#: A cell's left plus right padding (reportlab's default, 6 points each side), and a point
#: more so that a text measured to fit is not wrapped by a rounding.
_PADDING = 13.0


def _widths(table: Table, width: float, styles: _Styles) -> list[float]:
    """Column widths from the cells' text, as a browser lays out an automatic table: a column
    whose widest cell fits its fair share of the line gets that width; the wider columns share
    what is left in proportion to their widest cells, each at least as wide as its longest
    unbreakable piece (a word; in Chinese a Latin word or one character) when the line allows;
    a line wider than every cell spreads the rest alike."""
    cjk = styles.cell.wordWrap == "CJK"
    need = [0.0] * len(table.columns)
    want = [0.0] * len(table.columns)
    for style, row in ((styles.head, table.columns), *((styles.cell, r) for r in table.rows)):
        size = partial(text_width, font=style.fontName, size=style.fontSize)
        for i, text in enumerate(row):
            pieces = _TOKEN.findall(text) if cjk else text.split()
            need[i] = max(need[i], max((size(p) for p in pieces), default=0.0) + _PADDING)
            want[i] = max(want[i], size(text) + _PADDING)
    widths = list(want)
    wide = set(range(len(want)))
    room = width
    while wide:
        small = [i for i in wide if want[i] <= room / len(wide)]
        if not small:
            break
        for i in small:
            wide.discard(i)
            room -= want[i]
    if not wide:
        return [w + room / len(widths) for w in widths]
    cols = sorted(wide)
    shared = {i: room * want[i] / sum(want[j] for j in cols) for i in cols}
    if any(shared[i] < need[i] for i in cols):
        needed = sum(need[i] for i in cols)
        extra = {i: want[i] - need[i] for i in cols}
        if needed <= room and sum(extra.values()) > 0:
            shared = {i: need[i] + (room - needed) * extra[i] / sum(extra.values()) for i in cols}
    for i in cols:
        widths[i] = shared[i]
    total = sum(widths)
    return widths if total <= width else [w * width / total for w in widths]


def _table(table: Table, width: float, styles: _Styles) -> list[Flowable]:
    data = [[_p(c, styles.head) for c in table.columns]]
    data += [[_p(cell, styles.cell) for cell in row] for row in table.rows]
    widths = _widths(table, width, styles)
    rl = RLTable(data, colWidths=widths, repeatRows=1)
    rl.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, 0), (-1, 0), 1, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, -1), (-1, -1), 1, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f6f8")]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    out: list[Flowable] = [_p(table.title, styles.caption), rl]
    if table.footnote:
        out += [Spacer(1, 1 * mm), _p(table.footnote, styles.note)]
    out += [_p(note_text(n), styles.note) for n in table.notes]
    out.append(Spacer(1, 5 * mm))
    return out


def _image(png: bytes, width: float) -> Image:
    img = Image(io.BytesIO(png))
    ratio = img.imageHeight / img.imageWidth
    img.drawWidth = width
    img.drawHeight = width * ratio
    return img


def _vector(diagram: Diagram, width: float, height: float, fonts: tuple[str, str]) -> Flowable:
    """A vector diagram scaled to fit the frame (never enlarged)."""
    drawing = diagram_drawing(diagram, fonts=fonts)
    scale = min(1.0, width / drawing.width, height / drawing.height)
    drawing.scale(scale, scale)
    drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
    return drawing


def _figures(
    figures: tuple[FigureBlock, ...], width: float, styles: _Styles, fonts: tuple[str, str]
) -> list[Flowable]:
    out: list[Flowable] = []
    for fig in figures:
        caption = _p(_("%(title)s. %(caption)s", title=fig.title, caption=fig.caption), styles.note)
        if fig.vector is not None:
            picture = _vector(fig.vector, width, _FRAME_HEIGHT, fonts)
        elif fig.png is not None:
            picture = _image(fig.png, width * 0.85)
        else:
            continue
        out += [KeepTogether([picture, caption]), Spacer(1, 4 * mm)]
    return out


def render_pdf(model: Document, path: Path) -> Path:
    """Write the report as a PDF (A4) to ``path``, in the current language's fonts (the
    document's texts are already in its language: build and render it in one ``using``)."""
    language = current_language()
    styles = _styles(language)
    fonts = pdf_fonts(language)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=model.title,
        author=f"autoserum {model.version}",
    )
    width = A4[0] - 30 * mm
    story: list[Flowable] = [
        _p(model.title, styles.title),
        _p(
            _(
                "Generated by autoserum %(version)s on %(date)s from %(source)s",
                version=model.version, date=model.generated, source=note_text(model.source),
            ),
            styles.note,
        ),
    ]  # fmt: skip
    for number, section in enumerate(model.sections, start=1):
        story.append(_p(f"{number}. {section.title}", styles.heading))
        if section.summary:
            summary = Table("summary", _("Summary"), (_("Item"), _("Value")), section.summary)
            story += _table(summary, width, styles)[1:]
        story += [_p(text, styles.body) for text in section.paragraphs]
        story += _figures(section.figures_before, width, styles, fonts)
        for table in section.tables:
            story += _table(table, width, styles)
        story += _figures(section.figures, width, styles, fonts)
    doc.build(story)
    return path
