"""The printed documents' layout in Korean and Chinese (issue 14, item 5): every line drawn on
a label or the patient card stays inside it, the worksheet's steps and provenance are the
language's, and a report table's columns are wide enough for their words."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from autoserum.i18n import format_datetime, translate, using
from autoserum.protocols import load_protocol
from autoserum.report import Label, labels_pdf, patient_card_pdf, worksheet_pdf, worksheet_rows
from autoserum.report._consort import _columns, _wrap
from autoserum.report._i18n import gettext as _
from autoserum.report._pdf import _styles, _widths
from autoserum.report._tables import Table
from tests.pdftext import pdf_text

Drawn = list[tuple[float, str, str, float]]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Drawn:
    """What the canvas documents draw: (x, text, font, size) of every ``drawString``."""
    lines: Drawn = []
    original = Canvas.drawString

    def record(self: Canvas, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> Any:
        lines.append((x, text, self._fontname, self._fontsize))
        return original(self, x, y, text, *args, **kwargs)

    monkeypatch.setattr(Canvas, "drawString", record)
    return lines


def _right(x: float, text: str, font: str, size: float) -> float:
    return x + float(stringWidth(text, font, size))


@pytest.mark.parametrize("language", ["ko", "zh-Hans", "en"])
def test_every_line_of_the_card_stays_inside_its_margins(language: str, drawn: Drawn) -> None:
    url = "https://autoserum.example.org/p/" + "a1B2c3D4" * 6  # a long token
    patient_card_pdf(
        url, study="AST-1", subject_id="S1-001", valid_until="2026-05-04", language=language
    )
    assert len(drawn) >= 7
    for x, text, font, size in drawn:
        assert _right(x, text, font, size) <= 95 * mm + 0.01, text  # A6: 105 mm, 10 mm margins
    assert "".join(t for _x, t, _f, _s in drawn if t.startswith("https") or "a1B2" in t) == url
    keep = translate(language, "Keep this card private: the link opens your questionnaires.")
    assert keep.split()[-1] in [w for _x, t, _f, _s in drawn for w in t.split()]  # not cut off


@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_every_line_of_a_label_stays_inside_the_label(language: str, drawn: Drawn) -> None:
    with using(language):
        expires = _("exp %(when)s UTC", when=format_datetime("2026-03-02T10:00+00:00"))
        lines = ("S1-001", _("%(ml)s mL whole blood", ml=5), expires, "중" * 40)
    labels_pdf([Label("AS1:AST:S1:AL-0001:07", lines)] * 3, language=language)
    for x, text, font, size in drawn:
        column = int(x // (70 * mm))  # three 70 mm labels a row
        assert _right(x, text, font, size) <= (column + 1) * 70 * mm, text
    assert any(expires == t for _x, t, _f, _s in drawn)  # the expiry line is shown whole


def test_the_worksheet_says_its_steps_and_their_provenance_in_the_language(
    tmp_path: Path,
) -> None:
    protocol = load_protocol("ast-nahm2023")
    with using("ko"):
        rows = worksheet_rows(protocol, [("S1-001", "serum")])
        path = tmp_path / "sheet.pdf"
        path.write_bytes(worksheet_pdf("AST-1", protocol.title, rows))
    facts = dict(rows[0].facts)
    # ast-nahm2023's process; the units as Korean writes them (CLDR: "{0}분", "{0}mL")
    assert facts["응고 시간 (분)"] == "30분 (autoserum 기본값)"
    assert facts["용량"] == "5mL (문헌 보고)"
    assert facts["채혈량"] == "알 수 없음"
    assert rows[0].product == "혈청"
    text = pdf_text(path)
    assert "plain (serum) tube without anticoagulant" in text  # the protocol's own words
    for english in ("clotting minutes", "autoserum default", "unknown", "published"):
        assert english not in text


@pytest.mark.parametrize("language", ["en", "ko", "zh-Hans"])
def test_a_table_column_is_as_wide_as_its_cells_or_its_longest_word(language: str) -> None:
    """The demo report's between-arm table (its cells as shown): each short column fits its
    cells on one line (the PDF's text once read "4.3 3" and "17. 1"), the long text takes the
    rest of the line."""
    table = Table(
        "t",
        "a table",
        ("Comparison", "Method", "Estimate", "SE", "df", "Definition"),
        (
            ("serum - placebo", "Mann-Whitney (HL shift)", "-15.5", "4.33", "17.1",
             "randomised, treated " * 12),
            ("serum - placebo", "MMRM", "-11.5", "5.62", "20.0", "–"),
            ("serum - placebo", "Hedges' g", "-0.82", "0.47", "18", "–"),
        ),
    )  # fmt: skip
    styles = _styles(language)
    widths = _widths(table, 500.0, styles)
    assert sum(widths) == pytest.approx(500.0)
    for i in range(5):
        for style, text in (
            (styles.head, table.columns[i]),
            *((styles.cell, r[i]) for r in table.rows),
        ):
            cell = Paragraph(text, style)
            cell.wrap(widths[i] - 12, 1000)  # what the table gives it: its width less the padding
            assert len(cell.blPara.lines) == 1, text  # on one line, not broken
    assert widths[5] == max(widths)


def test_a_consort_reason_wraps_by_the_width_its_characters_take() -> None:
    """A Korean or Chinese character takes two columns of the diagram's box (46 Latin ones):
    the reason wraps where an English one of the same width would."""
    english = "- did not reach the last visit (reason not recorded) (n\u00a0=\u00a02)"
    assert _wrap(english, 40) == textwrap.wrap(
        english, 40, subsequent_indent="  ", break_long_words=True, break_on_hyphens=False
    )
    for reason in (
        "- 마지막 방문에 도달하지 않음 (사유 기록 없음) (n\u00a0=\u00a02)",
        "- 未到达最后一次访视（原因未记录）（受试者自行决定退出研究）(n\u00a0=\u00a01)",
    ):
        lines = _wrap(reason, 40)
        assert len(lines) == 2
        assert all(_columns(line) <= 40 for line in lines)
        assert "".join(line.strip() for line in lines).replace(" ", "") == reason.replace(" ", "")
