"""Printable product labels and the preparation worksheet (PDF, reportlab).

A label carries the product's code as a QR code (``segno``, error correction level M) and as
text, with what the holder may see: the subject, the volume and, for unblinded labels only,
the product and expiry. A blinded kit's label shows the kit code and volume only.

The worksheet lists, per subject to prepare for, the arm's process as the protocol declares
it (each fact with its provenance) and blank lines for the times and parameters to record.

Each document is written in ``language`` (the current language by default): its fixed texts
from the catalogs, its text in the language's PDF fonts (a CID font for Korean and Chinese).

>>> pdf = labels_pdf([Label("AS1:AST:S1:AL-0001:07", ("S1", "5 mL", "serum"))])
>>> pdf[:5]
b'%PDF-'
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus import Table as RLTable

from autoserum.i18n import (
    N_,
    current_language,
    format_date,
    format_datetime,
    format_quantity,
    using,
)
from autoserum.protocols import Fact, Protocol
from autoserum.report._i18n import (
    draw_text,
    fit_lines,
    markup,
    pdf_fonts,
    pdf_word_wrap,
    text_width,
    word,
)
from autoserum.report._i18n import gettext as _
from autoserum.study.model import ProductLife

__all__ = [
    "Label",
    "WorksheetRow",
    "labels_pdf",
    "patient_card_pdf",
    "product_labels",
    "qr_png",
    "worksheet_pdf",
    "worksheet_rows",
]

_COLUMNS, _ROWS = 3, 8
_WIDTH, _HEIGHT = 70 * mm, 37 * mm  # a common A4 sheet of 24 labels

#: The worksheet's name of each step of a product process (``protocols.ProductProcess``).
_STEPS: Final[dict[str, str]] = {
    "draw_volume": N_("draw volume"),
    "tube": N_("tube"),
    "clotting_minutes": N_("clotting minutes"),
    "centrifuge_g": N_("centrifuge g"),
    "centrifuge_minutes": N_("centrifuge minutes"),
    "centrifuge_temperature": N_("centrifuge temperature"),
    "purification": N_("purification"),
    "protein_concentration": N_("protein concentration"),
    "purity": N_("purity"),
    "aliquot_volume": N_("aliquot volume"),
    "aliquot_count": N_("aliquot count"),
    "storage_temperature": N_("storage temperature"),
    "storage_max_days": N_("storage max days"),
    "freeze_thaw_max": N_("freeze thaw max"),
    "max_minutes_draw_to_injection": N_("max minutes draw to injection"),
}
#: The unit of a step whose protocol unit is ambiguous: a centrifuge's ``g`` is its relative
#: centrifugal force (``1,500 × g``), never grams.
_UNITS: Final[dict[str, str]] = {"centrifuge_g": "× g"}
#: Where a protocol's fact comes from (``protocols.Source``).
_SOURCES: Final[dict[str, str]] = {
    "published": N_("published"),
    "autoserum default": N_("autoserum default"),
    "unknown": N_("unknown"),
}


@dataclass(frozen=True)
class Label:
    """One label: the code (encoded in the QR code and printed) and the lines printed beside
    it."""

    code: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorksheetRow:
    """One subject to prepare for: subject, arm, product and the process facts."""

    subject_id: str
    arm: str
    product: str
    facts: tuple[tuple[str, str], ...]


def product_labels(life: ProductLife) -> list[Label]:
    """The labels of a subject's product life (the web page's, the API's and the CLI's
    ``labels.pdf``): each draw (whole blood), aliquot (volume, expiry) and kit (code, volume
    and use-by only: a kit's label never names its product). Their words and dates are in the
    current language (build them and the sheet in one ``using``).

    >>> product_labels(ProductLife("S1", blinded=True))
    []
    """
    subject = life.subject_id
    sheet = [
        Label(d.code, (subject, _("%(volume)s whole blood", volume=_ml(d.volume_ml))))
        for d in life.draws
    ]
    for a in life.aliquots:
        expires = _("exp %(when)s UTC", when=format_datetime(a.expires_at))
        sheet.append(Label(a.code, (subject, _ml(a.volume_ml), expires)))
    for k in life.kits:
        lines = [subject, _("kit %(volume)s", volume=_ml(k.volume_ml))]
        if k.id in life.use_by:  # the same rule for every kit (study.aliquots.kit_use_by)
            lines.append(_("use by %(when)s UTC", when=format_datetime(life.use_by[k.id])))
        sheet.append(Label(k.code, tuple(lines)))
    return sheet


def _ml(volume: object) -> str:
    """A volume in mL as the current language writes it (``5 mL``, ``5mL``, ``5毫升``)."""
    if volume is None:
        return ""
    return format_quantity(Decimal(str(volume)), "mL", current_language())


def worksheet_rows(protocol: Protocol, allocated: Sequence[tuple[str, str]]) -> list[WorksheetRow]:
    """The worksheet's rows: per allocated ``(subject, arm)`` the arm's declared process,
    each fact with its provenance, and the dose (its name in the current language).

    >>> from autoserum.protocols import load_protocol
    >>> row = worksheet_rows(load_protocol("ast-nahm2023"), [("S1-001", "serum")])[0]
    >>> row.subject_id, row.product, row.facts[-1]
    ('S1-001', 'serum', ('dose', '5 mL (published)'))
    """
    arms = {a.code: a for a in protocol.arms}
    rows = []
    for subject_id, arm_code in allocated:
        arm = arms[arm_code]
        facts: list[tuple[str, str]] = []
        if arm.process is not None:
            for name, fact in arm.process:
                if isinstance(fact, Fact):
                    step = _(_STEPS[name]) if name in _STEPS else name.replace("_", " ")
                    facts.append((step, _fact(fact, unit=_UNITS.get(name))))
        facts.append((_("dose"), _fact(arm.dose)))
        rows.append(WorksheetRow(subject_id, arm_code, word(arm.product), tuple(facts)))
    return rows


def _fact(fact: Fact, *, unit: str | None = None) -> str:
    """A declared value with its unit (``unit`` instead of the fact's own) and its provenance,
    in the current language: the protocol's value, its unit as the language writes it
    (``30 days``, ``30일``, ``30天``; :func:`autoserum.i18n.format_quantity`)."""
    if not fact.known or fact.value is None:
        return _("unknown")
    value = format_quantity(fact.value, unit or fact.unit, current_language())
    return _("%(value)s (%(source)s)", value=value, source=_(_SOURCES[fact.source]))


def qr_png(code: str, *, scale: int = 4) -> bytes:
    """The QR code of ``code`` as PNG bytes (error correction M, a quiet zone of 2 modules).

    >>> qr_png("AS1:AST:S1:AL-0001:07")[:4]
    b'\\x89PNG'
    """
    out = io.BytesIO()
    segno.make_qr(code, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def labels_pdf(labels: Sequence[Label], *, language: str | None = None) -> bytes:
    """An A4 sheet (or several) of labels, 3 × 8 per page (its lines in ``language``'s fonts:
    the caller writes them in that language)."""
    with using(language or current_language()):
        return _labels_pdf(labels)


def _labels_pdf(labels: Sequence[Label]) -> bytes:
    regular, bold = pdf_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    canvas.setTitle(_("autoserum product labels"))
    page_height = A4[1]
    left, top = 0, page_height - 15 * mm
    for n, label in enumerate(labels):
        slot = n % (_COLUMNS * _ROWS)
        if n and slot == 0:
            canvas.showPage()
        x = left + (slot % _COLUMNS) * _WIDTH + 4 * mm
        y = top - (slot // _COLUMNS + 1) * _HEIGHT + 4 * mm
        side = _HEIGHT - 8 * mm
        canvas.drawImage(ImageReader(io.BytesIO(qr_png(label.code))), x, y, side, side)
        text_x = x + side + 2 * mm
        draw_text(canvas, text_x, y + side - 6, label.code.split(":")[3], bold, 7)
        room = x - 4 * mm + _WIDTH - 2 * mm - text_x  # to the label's right edge
        for i, line in enumerate(label.lines):
            size = _fitting_size(line, regular, 6.5, room)
            first = fit_lines(line, regular, size, room)[0]
            draw_text(canvas, text_x, y + side - 16 - 9 * i, first, regular, size)
        draw_text(canvas, x, y - 5, label.code, regular, 4.5)
    canvas.save()
    return out.getvalue()


def _fitting_size(text: str, font: str, size: float, width: float, smallest: float = 5) -> float:
    """The largest font size from ``size`` down to ``smallest`` (in quarter points) at which
    ``text`` fits ``width`` (at ``smallest`` a longer text is cut)."""
    while size > smallest and text_width(text, font, size) > width:
        size -= 0.25
    return size


def worksheet_pdf(
    study: str,
    protocol_title: str,
    rows: Sequence[WorksheetRow],
    *,
    language: str | None = None,
) -> bytes:
    """The preparation worksheet of ``study``: per subject, the arm's declared process and
    blank cells for what was done (times, parameters, initials), in ``language``."""
    with using(language or current_language()):
        return _worksheet_pdf(study, protocol_title, rows)


def _worksheet_pdf(study: str, protocol_title: str, rows: Sequence[WorksheetRow]) -> bytes:
    regular, bold = pdf_fonts()
    wrap = pdf_word_wrap()
    sample = getSampleStyleSheet()
    styles = {
        name: ParagraphStyle(
            name, parent=sample[name], fontName=bold if name != "Normal" else regular,
            wordWrap=wrap,
        )
        for name in ("Title", "Normal", "Heading3")
    }  # fmt: skip
    title = _("Preparation worksheet · %(study)s", study=study)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=title)
    story: list[object] = [
        Paragraph(markup(title, bold), styles["Title"]),
        Paragraph(markup(protocol_title, regular), styles["Normal"]),
        Paragraph(markup(_("Unblinded: for the preparer only."), regular), styles["Normal"]),
        Spacer(1, 4 * mm),
    ]
    cell = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10, wordWrap=wrap)
    head = ParagraphStyle("head", parent=cell, fontName=bold)
    for row in rows:
        story.append(
            Paragraph(
                markup(f"{row.subject_id} · {row.arm} · {row.product}", bold), styles["Heading3"]
            )
        )
        header = (_("Step (protocol)"), _("Declared"), _("Done (value, time, initials)"))
        data = [[Paragraph(markup(text, bold), head) for text in header]]
        data += [
            [Paragraph(markup(name, regular), cell), Paragraph(markup(value, regular), cell), ""]
            for name, value in row.facts
        ] or [[Paragraph(markup(_("no process"), regular), cell), "", ""]]
        table = RLTable(data, colWidths=(50 * mm, 70 * mm, 50 * mm), repeatRows=1)
        table.setStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, "#888888"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
        story += [table, Spacer(1, 3 * mm)]
    doc.build(story)
    return out.getvalue()


def patient_card_pdf(
    url: str,
    *,
    study: str,
    subject_id: str,
    valid_until: str,
    lines: Sequence[str] = (),
    language: str | None = None,
) -> bytes:
    """A printable card (A6) of a subject's self-report link: its QR code, the address and
    how long it is valid (an ISO date, written as ``language`` writes dates). The link is the
    key to the subject's questionnaires: the card says to keep it private (``docs/epro.md``).
    ``language`` is the subject's (the card is the patient's).

    >>> patient_card_pdf("https://x/p/abc", study="S", subject_id="A", valid_until="2026-05-04")[:5]
    b'%PDF-'
    """
    with using(language or current_language()):
        return _card_pdf(url, study, subject_id, valid_until, lines)


def _card_pdf(
    url: str, study: str, subject_id: str, valid_until: str, lines: Sequence[str]
) -> bytes:
    regular, bold = pdf_fonts()
    out = io.BytesIO()
    width, height = 105 * mm, 148 * mm
    canvas = Canvas(out, pagesize=(width, height), invariant=True)
    canvas.setTitle(
        _("Self-report card · %(study)s · %(subject)s", study=study, subject=subject_id)
    )
    side = 70 * mm
    heading = _("Your symptom diary")
    heading_size = _fitting_size(heading, bold, 13, width - 20 * mm, smallest=9)
    draw_text(canvas, 10 * mm, height - 16 * mm, heading, bold, heading_size)
    who = _("Study %(study)s · participant %(subject)s", study=study, subject=subject_id)
    size = _fitting_size(who, regular, 9, width - 20 * mm, smallest=6)
    first = fit_lines(who, regular, size, width - 20 * mm)[0]
    draw_text(canvas, 10 * mm, height - 23 * mm, first, regular, size)
    canvas.drawImage(
        ImageReader(io.BytesIO(qr_png(url, scale=6))),
        (width - side) / 2, height - 28 * mm - side, side, side,
    )  # fmt: skip
    y = height - 34 * mm - side
    room = width - 20 * mm  # 10 mm margins
    for text in (
        _("Scan the code with your phone's camera, or open:"),
        url,
        _("Valid until %(date)s.", date=format_date(valid_until)),
        _("Keep this card private: the link opens your questionnaires."),
        *lines,
    ):
        for line in fit_lines(text, regular, 8, room):
            draw_text(canvas, 10 * mm, y, line, regular, 8)
            y -= 4.5 * mm
    canvas.save()
    return out.getvalue()
