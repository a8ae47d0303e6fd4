"""The PDFs write Greek letters, arrows and signs as they are (issue 14, item 5): ``α``, ``δ``,
``→``, ``≥``, ``±``, ``−``, ``χ²`` in DejaVu Sans (embedded, from matplotlib's fonts), in an English
text and inside a Korean or Chinese one (whose CID font is left the CJK characters), never
spelled out as ``alpha``/``->``/``>=``. Read back with pypdf: what a reader extracts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from pypdf import PdfReader

from autoserum.i18n import using
from autoserum.report import WorksheetRow, patient_card_pdf, worksheet_pdf
from autoserum.report._document import Document, Section
from autoserum.report._i18n import LATIN_FONTS, pdf_fonts, runs
from autoserum.report._pdf import render_pdf
from autoserum.report._tables import Table

SIGNS = "α δ → ≥ ± − χ²"
SPELLED = ("alpha", "delta", "->", ">=", "chi2")
WORDS = {"en": "significance", "ko": "유의수준", "zh-Hans": "显著性水平"}


def _read(data: bytes, tmp_path: Path) -> tuple[str, set[str]]:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    reader = PdfReader(path)
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    fonts = {
        str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1]
        for page in reader.pages
        for font in cast(Any, page["/Resources"])["/Font"].values()
    }
    return " ".join(text.split()), fonts


def _check(text: str, fonts: set[str], language: str) -> None:
    for sign in SIGNS.split():
        assert sign in text, (language, sign, text)
    for spelled in SPELLED:
        assert spelled not in text, (language, spelled, text)
    assert WORDS[language] in text
    assert LATIN_FONTS[0] in fonts  # the signs' font is embedded
    if language != "en":
        assert pdf_fonts(language)[0] in fonts  # the CJK text stays in its CID font


@pytest.mark.parametrize("language", list(WORDS))
def test_the_worksheet_writes_the_signs(language: str, tmp_path: Path) -> None:
    row = WorksheetRow("S-01", "serum", "autologous serum", ((WORDS[language], SIGNS),))
    data = worksheet_pdf("AS-1", f"{WORDS[language]} {SIGNS}", [row], language=language)
    _check(*_read(data, tmp_path), language)


@pytest.mark.parametrize("language", list(WORDS))
def test_the_patient_card_writes_the_signs(language: str, tmp_path: Path) -> None:
    data = patient_card_pdf(
        "https://x.test/p/abc",
        study="AS-1",
        subject_id="S-01",
        valid_until="2026-05-04",
        lines=(f"{WORDS[language]} {SIGNS}",),
        language=language,
    )
    _check(*_read(data, tmp_path), language)


@pytest.mark.parametrize("language", list(WORDS))
def test_the_report_pdf_writes_the_signs(language: str, tmp_path: Path) -> None:
    table = Table("t", f"{WORDS[language]} α", ("δ", "≥ 2"), ((f"{WORDS[language]} → 1", "± 0.5"),))
    section = Section("s", "χ² −1", paragraphs=(f"{WORDS[language]} {SIGNS}",), tables=(table,))
    with using(language):
        path = render_pdf(
            Document("title", "source", "2026-01-01", "0", (section,)), tmp_path / "r.pdf"
        )
    _check(*_read(path.read_bytes(), tmp_path), language)


def test_only_the_signs_leave_the_cid_font() -> None:
    assert runs("p ≥ 0.05, 유의수준 α", "HYGothic-Medium") == [
        ("p ", "HYGothic-Medium"),
        ("≥", "DejaVuSans"),
        (" 0.05, 유의수준 ", "HYGothic-Medium"),
        ("α", "DejaVuSans"),
    ]
    assert runs("p ≥ 0.05", "DejaVuSans") == [("p ≥ 0.05", "DejaVuSans")]
