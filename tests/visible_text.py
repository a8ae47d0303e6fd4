"""The visible texts of a rendered page or document and the English words among them: the one
mechanism of the "no English left" tests (issue 14, item 5), used for the web pages
(``tests/web/test_i18n_visible_text.py``) and the printed documents
(``tests/report/test_i18n_no_english.py``).

A text counts as English words when it has a word of three or more Latin letters that is not
all capitals (``EASI``, ``UTC``, ``SDV`` are codes), has no digit (``S1-001``, ``inv1``) and is
not a name (:data:`NAMES`: of a person behind a method, of a program).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

from autoserum.protocols import load_protocol

__all__ = ["NAMES", "english_words", "protocol_texts", "visible_texts"]

_ATTRS = ("aria-label", "title", "placeholder", "alt")
_SKIPPED = ("script", "style", "code", "pre", "svg", "textarea")
_WORD = re.compile(r"(?<!\w)[A-Za-z'’]{3,}(?!\w)")

#: Words that are the same in every language: the names of methods and scales (their authors)
#: and of programs.
NAMES: frozenset[str] = frozenset(
    {
        "autoserum", "Kaplan", "Meier", "Wilcoxon", "ADaM", "Mann", "Whitney", "Hodges",
        "Lehmann", "Hedges", "Fisher", "Wilson", "Newcombe", "Holm", "Benjamini", "Hochberg",
        "Rubin", "Barnard", "Efron", "Schoenfeld", "Cox", "Fitzpatrick", "Kenward", "Roger",
        "Satterthwaite",
        # R's functions and packages a method note names (as a reader types them into R)
        "emmeans", "corSymm", "varIdent",
        # instrument abbreviations not all in capitals (EASI, SCORAD, DLQI are)
        "oSCORAD", "vIGA",
    }
)  # fmt: skip


class _Visible(HTMLParser):
    """The visible texts of a page and its accessible-name attributes, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # the audit trail's recorded changes are the data as stored (field paths and values)
        if tag in _SKIPPED or ("class", "changes") in attrs:
            self._skip.append(tag)
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden":
            return
        self.texts += [" ".join(str(v).split()) for k, v in attrs if k in _ATTRS and v]

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    """The texts a reader sees (and the accessible names), without scripts, styles, code and
    images."""
    parser = _Visible()
    parser.feed(html)
    return parser.texts


def english_words(text: str, *, names: Iterable[str] = NAMES) -> list[str]:
    """The English-looking words of ``text`` (see the module docstring)."""
    known = set(names)
    return [w for w in _WORD.findall(text) if not w.isupper() and w.strip("'’") not in known]


def protocol_texts(code: str) -> set[str]:
    """A protocol's own texts: title, arm, phase and visit labels, population, citation, the
    eligibility rules' codes and descriptions (the study's documents, shown as the protocol
    writes them)."""
    protocol = load_protocol(code)
    texts = {protocol.title, protocol.citation, protocol.code, str(protocol.population.value)}
    texts |= {r.code for r in protocol.eligibility} | {r.description for r in protocol.eligibility}
    texts |= {a.label for a in protocol.arms} | {p.label for p in protocol.phases}
    texts |= {v.label for v in protocol.visits}
    return {t for t in texts if t}
