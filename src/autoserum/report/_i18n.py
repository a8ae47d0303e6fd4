"""The language of a report or a printed document: its fixed texts translated and its fonts.

A document is written in the current language (:func:`autoserum.i18n.using`): its fixed texts
(headings, table headers, captions, footnotes, method sentences) are marked ``_("…")`` where
they are written and translated when the document is built, so a document built inside
``with using("ko"):`` is Korean. Data (arm codes, terms, subject ids, numbers) stay as they are.

The PDFs need fonts with Korean and Chinese glyphs: reportlab's CID fonts (``HYGothic-Medium``
for Korean, ``STSong-Light`` for Simplified Chinese), which a PDF reader supplies, so no font
file is shipped or downloaded. Latin text is set in DejaVu Sans, the TrueType font matplotlib
(a dependency) ships in its ``mpl-data``, embedded (as a subset) in each PDF: it draws the
Greek letters, arrows and signs the documents print (``α``, ``δ``, ``χ²``, ``→``, ``≥``, ``±``,
``−``, ``×``, ``10⁹``), which the base-14 Helvetica cannot. Inside a Korean or Chinese text those
characters are drawn in DejaVu Sans too (:func:`runs`, :func:`markup`, :func:`draw_text`): what
a reader shows does not depend on its Asian font pack having them.

>>> from autoserum.i18n import using
>>> with using("ko"):
...     gettext("Safety"), pdf_fonts()
('안전성', ('HYGothic-Medium', 'HYGothic-Medium'))
>>> pdf_fonts("en")
('DejaVuSans', 'DejaVuSans-Bold')
>>> runs("α = 0.05 유의수준", "HYGothic-Medium")
[('α', 'DejaVuSans'), (' = 0.05 유의수준', 'HYGothic-Medium')]
>>> markup("δ ≥ 2 <mm>", "STSong-Light")
'<font name="DejaVuSans">δ ≥</font> 2 &lt;mm&gt;'

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

import functools
import importlib.util
import re
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from autoserum.analysis import ARM_BLINDED
from autoserum.errors import Note
from autoserum.i18n import current_language, message_text, translations

__all__ = [
    "ASCII_SPELLING",
    "CID_FONTS",
    "LATIN_FONTS",
    "arm_label",
    "column_word",
    "draw_text",
    "fit_lines",
    "gettext",
    "markup",
    "model_term",
    "note_text",
    "pdf_fonts",
    "pdf_word_wrap",
    "pgettext",
    "runs",
    "text_width",
    "word",
]

#: The Latin PDF fonts (regular, bold): DejaVu Sans from matplotlib's ``mpl-data/fonts/ttf``.
LATIN_FONTS: Final[tuple[str, str]] = ("DejaVuSans", "DejaVuSans-Bold")
_LATIN_FILES: Final[tuple[str, str]] = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")

#: Only where DejaVu Sans cannot be found (a matplotlib without its fonts): the base-14
#: Helvetica has no glyph for these characters, so they are spelled out.
ASCII_SPELLING: Final[dict[int, str]] = str.maketrans(
    {
        "−": "-",
        "⁹": "9",
        "⁺": "+",
        "≥": ">=",
        "≤": "<=",
        "×": "x",
        "–": "-",
        "α": "alpha",
        "β": "beta",
        "δ": "delta",
        "τ": "tau",
        "χ": "chi",
        "²": "2",
        "→": "->",
    }
)

#: The blocks a Korean or Chinese text draws in the Latin font: Latin-1 and Latin Extended
#: (``±``, ``×``, ``²``, ``µ``), Greek, super- and subscripts, arrows, mathematical operators.
_LATIN_BLOCKS: Final[tuple[tuple[int, int], ...]] = (
    (0x00A0, 0x02FF),
    (0x0370, 0x03FF),
    (0x2070, 0x209F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
)

#: The reportlab CID font of each language not written in Latin script.
CID_FONTS: Final[dict[str, str]] = {"ko": "HYGothic-Medium", "zh-Hans": "STSong-Light"}


def gettext(message: str, /, **variables: Any) -> str:
    """``message`` in the current language, ``%(name)s`` placeholders filled from
    ``variables`` (imported as ``_`` by the report's modules, so Babel extracts the marks).
    The message is always %-formatted: a literal ``%`` is written ``%%`` (``"95 %% CI"``)."""
    return str(translations(current_language()).gettext(message) % variables)


def pgettext(context: str, message: str, /, **variables: Any) -> str:
    """``message`` in the sense ``context`` (a word the catalog has in another sense too:
    ``Total``, an instrument's total score, and ``Total`` the column of all arms), in the
    current language; %-formatted as :func:`gettext`.

    >>> from autoserum.i18n import using
    >>> with using("ko"):
    ...     pgettext("all arms", "Total"), gettext("Total")
    ('전체', '총점')
    """
    return str(translations(current_language()).pgettext(context, message)) % variables


def word(value: object) -> str:
    """A vocabulary word of the data (``moderate``, ``not_related``) in the current language,
    shown with spaces for underscores when it has no translation; never %-formatted (a value
    may hold a ``%``)."""
    text = str(value)
    if not text:
        return ""
    found = translations(current_language()).gettext(text)
    return found.replace("_", " ") if found == text else found


@functools.cache
def _latin_fonts() -> tuple[str, str] | None:
    """DejaVu Sans (regular, bold) registered with reportlab from matplotlib's files, or
    ``None`` where they are missing. Found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    files = [folder / name for name in _LATIN_FILES]
    if not all(f.is_file() for f in files):
        return None
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, path in zip(LATIN_FONTS, files, strict=True):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    return LATIN_FONTS


@functools.cache
def _latin_glyphs() -> frozenset[int]:
    """The code points DejaVu Sans draws (empty without it)."""
    if _latin_fonts() is None:
        return frozenset()
    from reportlab.pdfbase import pdfmetrics

    return frozenset(pdfmetrics.getFont(LATIN_FONTS[0]).face.charToGlyph)


def _in_latin_font(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _LATIN_BLOCKS) and code in _latin_glyphs()


def runs(text: str, font: str) -> list[tuple[str, str]]:
    """``text`` cut into ``(piece, font)`` runs: in a CID font (Korean, Chinese) the Greek
    letters, arrows and signs go to DejaVu Sans; any other font draws the whole text."""
    if font not in CID_FONTS.values() or _latin_fonts() is None:
        return [(text, font)] if text else []
    out: list[tuple[str, str]] = []
    for char in text:
        # a space between two Latin-font characters stays with them (one run: α = β)
        wanted = LATIN_FONTS[0] if _in_latin_font(char) else font
        if out and (out[-1][1] == wanted or char == " "):
            out[-1] = (out[-1][0] + char, out[-1][1])
        else:
            out.append((char, wanted))
    # a run of the Latin font ends on its last Latin-font character (trailing spaces go back)
    fixed: list[tuple[str, str]] = []
    for piece, name in out:
        if name != font and piece != piece.rstrip(" "):
            stripped = piece.rstrip(" ")
            fixed += [(stripped, name), (piece[len(stripped) :], font)]
        else:
            fixed.append((piece, name))
    merged: list[tuple[str, str]] = []
    for piece, name in fixed:
        if merged and merged[-1][1] == name:
            merged[-1] = (merged[-1][0] + piece, name)
        elif piece:
            merged.append((piece, name))
    return merged


def _plain(text: str, font: str) -> str:
    """``text`` as ``font`` can draw it: spelled out in ASCII for Helvetica (and for any font
    when DejaVu Sans is missing)."""
    spell = font.startswith("Helvetica") or _latin_fonts() is None
    return text.translate(ASCII_SPELLING) if spell else text


def markup(text: str, font: str) -> str:
    """``text`` escaped for a reportlab ``Paragraph`` set in ``font``, the characters a CID font
    leaves to DejaVu Sans in ``<font>`` tags."""
    return "".join(
        escape(_plain(piece, name))
        if name == font
        else f'<font name="{name}">{escape(piece)}</font>'
        for piece, name in runs(text, font)
    )


def text_width(text: str, font: str, size: float) -> float:
    """The width of ``text`` in points, drawn in ``font`` at ``size`` with its runs."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(float(stringWidth(_plain(p, n), n, size)) for p, n in runs(text, font))


def draw_text(canvas: Any, x: float, y: float, text: str, font: str, size: float) -> None:
    """Draw ``text`` on a reportlab canvas at ``(x, y)`` in ``font`` at ``size``, with its runs
    (the canvas's font is ``font`` afterwards)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for piece, name in runs(text, font):
        canvas.setFont(name, size)
        canvas.drawString(x, y, _plain(piece, name))
        x += float(stringWidth(_plain(piece, name), name, size))
    canvas.setFont(font, size)


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
    registered with reportlab on first use: DejaVu Sans for English (Helvetica where it cannot
    be found), a CID font for Korean and Chinese. A CID font has no bold face: both are the
    same."""
    name = CID_FONTS.get(language or current_language())
    if name is None:
        return _latin_fonts() or ("Helvetica", "Helvetica-Bold")
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

    def fits(line: str) -> bool:
        return text_width(line, font, size) <= width

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
