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

Chinese is written without spaces: its paragraphs wrap between any two characters but not
inside a Latin word (reportlab's ``wordWrap="CJK"``); Korean and English wrap at spaces. A text
drawn line by line on a canvas (a label, the patient card) is cut to its width with
:func:`fit_lines`.

>>> pdf_word_wrap("zh-Hans"), pdf_word_wrap("ko")
('CJK', None)
>>> fit_lines("Keep this card private: the link opens your questionnaires.", "Helvetica", 8, 100)
['Keep this card private: the', 'link opens your', 'questionnaires.']
>>> fit_lines("https://example.org/p/0123456789abcdef", "Helvetica", 8, 100)
['https://example.org/p/01234', '56789abcdef']
"""

from __future__ import annotations

import re
from typing import Any, Final

from autoserum.analysis import ARM_BLINDED
from autoserum.errors import Note
from autoserum.i18n import current_language, message_text, translations

__all__ = [
    "CID_FONTS",
    "arm_label",
    "column_word",
    "fit_lines",
    "gettext",
    "model_term",
    "note_text",
    "pdf_fonts",
    "pdf_word_wrap",
    "word",
]

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


def arm_label(value: object) -> str:
    """An arm as a document shows it: the arm code as the data record it (``serum``, a
    protocol's data, never translated), the pooled column of blinded data
    (:data:`~autoserum.analysis.ARM_BLINDED`) in the current language.

    >>> from autoserum.i18n import using
    >>> with using("ko"):
    ...     arm_label("serum"), arm_label(ARM_BLINDED)
    ('serum', '합산 (눈가림)')
    """
    text = str(value)
    return translations(current_language()).gettext(ARM_BLINDED) if text == ARM_BLINDED else text


def column_word(code: str) -> str:
    """A column code of the data named in a document (a covariate ``site``, a subgroup
    variable ``age``): the catalog's word when it has one, else the code as it is."""
    return translations(current_language()).gettext(code) if code else code


def note_text(value: str) -> str:
    """A note of an analysis (:class:`~autoserum.errors.Note`) in the current language; any
    other text as it is."""
    return message_text(value.text, current_language()) if isinstance(value, Note) else value


_TERM = re.compile(r"^(?P<variable>\w+)\[(?P<level>.+)\]$")


def model_term(name: str) -> str:
    """A model's term as a reader reads it: ``arm[serum]`` (the analysis's name of the
    indicator of the level ``serum`` of the arm) is the arm's heading and the level; any other
    name as it is.

    >>> model_term("arm[serum]"), model_term("baseline")
    ('Arm: serum', 'baseline')
    """
    found = _TERM.match(name)
    if found is None:
        return name
    variable = found["variable"]
    heading = gettext("Arm") if variable == "arm" else word(variable)
    return gettext("%(variable)s: %(level)s", variable=heading, level=arm_label(found["level"]))


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


def pdf_word_wrap(language: str | None = None) -> str | None:
    """The reportlab ``wordWrap`` of a paragraph in ``language`` (the current one by default):
    ``"CJK"`` for Chinese (a line may break between any two characters, never inside a Latin
    word), ``None`` (at spaces) otherwise."""
    return "CJK" if (language or current_language()) == "zh-Hans" else None


def fit_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` cut into lines no wider than ``width`` points in ``font`` at ``size``: at spaces,
    and inside a word (a URL, a Chinese sentence) only where the word alone is too wide."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def fits(line: str) -> bool:
        return float(stringWidth(line, font, size)) <= width

    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        if fits(word):
            line = word
            continue
        for char in word:  # a word wider than the line: cut it where it is full
            if line and not fits(line + char):
                lines.append(line)
                line = ""
            line += char
    lines.append(line)
    return lines
