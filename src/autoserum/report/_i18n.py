"""The language of a report or a printed document: its fixed texts translated and its fonts.

A document is written in the current language (:func:`autoserum.i18n.using`): its fixed texts
(headings, table headers, captions, footnotes, method sentences) are marked ``_("…")`` where
they are written and translated when the document is built, so a document built inside
``with using("ko"):`` is Korean. Data (arm codes, terms, subject ids, numbers) stay as they are.

The PDFs need fonts with Korean and Chinese glyphs: reportlab's CID fonts (``HYGothic-Medium``
for Korean, ``STSong-Light`` for Simplified Chinese), which a PDF reader supplies, so no font
file is shipped or downloaded.

>>> from autoserum.i18n import using
>>> with using("ko"):
...     gettext("Safety"), pdf_fonts()
('안전성', ('HYGothic-Medium', 'HYGothic-Medium'))
>>> pdf_fonts("en")
('Helvetica', 'Helvetica-Bold')
"""

from __future__ import annotations

from typing import Any, Final

from autoserum.i18n import current_language, translations

__all__ = ["CID_FONTS", "gettext", "pdf_fonts", "word"]

#: The reportlab CID font of each language not written in Latin script.
CID_FONTS: Final[dict[str, str]] = {"ko": "HYGothic-Medium", "zh-Hans": "STSong-Light"}


def gettext(message: str, /, **variables: Any) -> str:
    """``message`` in the current language, ``%(name)s`` placeholders filled from
    ``variables`` (imported as ``_`` by the report's modules, so Babel extracts the marks).
    The message is always %-formatted: a literal ``%`` is written ``%%`` (``"95 %% CI"``)."""
    return str(translations(current_language()).gettext(message) % variables)


def word(value: object) -> str:
    """A vocabulary word of the data (``moderate``, ``not_related``) in the current language,
    shown with spaces for underscores when it has no translation; never %-formatted (a value
    may hold a ``%``)."""
    text = str(value)
    if not text:
        return ""
    found = translations(current_language()).gettext(text)
    return found.replace("_", " ") if found == text else found


def pdf_fonts(language: str | None = None) -> tuple[str, str]:
    """The (regular, bold) PDF font names for ``language`` (the current one by default),
    registered with reportlab on first use. A CID font has no bold face: both are the same."""
    name = CID_FONTS.get(language or current_language())
    if name is None:
        return "Helvetica", "Helvetica-Bold"
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name, name
