"""The study report in Korean and Chinese (issue 14, item 5): its fixed texts come from the
catalogs, its dates are written as the language writes them, its PDF carries the CJK glyphs as
text (read back with pypdf), and the numbers are those of the English report."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from autoserum.analysis import read_study
from autoserum.i18n import format_date, translate, using
from autoserum.protocols import load_protocol
from autoserum.report import (
    Label,
    ReportFiles,
    WorksheetRow,
    labels_pdf,
    patient_card_pdf,
    worksheet_pdf,
    worksheet_rows,
    write_dsmb,
    write_report,
)
from tests.report.conftest import _demo

GENERATED = dt.date(2026, 1, 1)


def _pdf_text(path: Path) -> str:
    reader = PdfReader(str(path))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo serum RCT (ast-nahm2023, 23 subjects, seed 2188), as scripts/demo.py makes it."""
    return _demo(tmp_path_factory.mktemp("demo"), "ast-nahm2023", "serum-rct", 23, 2188)


def _report(demo: Path, out: Path, language: str) -> ReportFiles:
    return write_report(
        read_study(demo), out, protocol="ast-nahm2023", generated=GENERATED, language=language
    )


@pytest.fixture(scope="module")
def reports(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReportFiles]:
    return {
        lang: _report(demo, tmp_path_factory.mktemp(lang), lang) for lang in ("en", "ko", "zh-Hans")
    }


@pytest.mark.parametrize(
    ("language", "heading"),
    [("ko", "안전성"), ("zh-Hans", "安全性"), ("ko", "통계 방법"), ("zh-Hans", "统计方法")],
)
def test_the_pdf_carries_the_translated_headings_as_text(
    reports: dict[str, ReportFiles], language: str, heading: str
) -> None:
    assert translate(language, "Safety") in {"안전성", "安全性"}  # the catalog's own words
    text = _pdf_text(reports[language].pdf)
    assert heading in text
    assert "Statistical methods" not in text
    assert "Participant flow (CONSORT)" not in text


def test_the_html_is_in_the_language_with_its_dates(reports: dict[str, ReportFiles]) -> None:
    for language in ("ko", "zh-Hans"):
        html = reports[language].html.read_text(encoding="utf-8")
        assert f'<html lang="{language}">' in html
        assert translate(language, "Contents") in html
        assert translate(language, "Baseline characteristics") in html
        assert format_date(GENERATED, language) in html  # 2026. 1. 1. / 2026年1月1日
        assert "Baseline characteristics" not in html
    english = reports["en"].html.read_text(encoding="utf-8")
    assert '<html lang="en">' in english
    assert "Baseline characteristics" in english
    assert format_date(GENERATED, "en") in english  # Jan 1, 2026


def test_the_study_summary_says_its_choices_in_the_language(
    reports: dict[str, ReportFiles],
) -> None:
    """The design, the test's sidedness and the reason of each choice of the analysis plan are
    the language's; the protocol's own texts (its title, population) stay as written."""
    study = {lang: dict(reports[lang].model.sections[0].summary) for lang in ("en", "ko")}
    english, korean = study["en"], study["ko"]
    assert english[translate("en", "Design")] == "parallel, double blind"
    assert korean["설계"] == "평행 설계, 이중 눈가림"
    assert korean["추론"] == "95% 신뢰구간; 양측 검정"
    assert "the primary endpoint of protocol ast-nahm2023" in english["Primary endpoint"]
    assert "계획서 ast-nahm2023의 일차 평가변수" in korean["일차 평가변수"]
    assert "계획서 ast-nahm2023의 대조군" in korean["대조군"]
    assert "the last post-baseline week" not in korean["일차 평가변수"]
    assert korean["대상 집단"] == english["Population"]  # the protocol's text, as written


def test_the_responder_definitions_are_in_the_language(reports: dict[str, ReportFiles]) -> None:
    def definitions(language: str) -> list[str]:
        section = next(s for s in reports[language].model.sections if s.id == "responders")
        return [row[0] for t in section.tables if t.id.startswith("responders-") for row in t.rows]

    english, chinese = definitions("en"), definitions("zh-Hans")
    assert "SCORAD-50: ≥ 50 % improvement in SCORAD" in english
    assert "SCORAD improvement ≥ 8.7 points (MCID)" in english  # SCORAD's MCID (Schram 2012)
    assert "SCORAD-50：SCORAD 改善 ≥ 50 %" in chinese
    assert "SCORAD 改善 ≥ 8.7 分（MCID）" in chinese
    assert not [d for d in chinese if "improvement" in d]


def test_the_consort_boxes_are_translated_in_the_pdf(reports: dict[str, ReportFiles]) -> None:
    flow = reports["ko"].model.sections[1]
    assert flow.title == "참여자 흐름 (CONSORT)"
    text = _pdf_text(reports["ko"].pdf)
    enrolled = reports["en"].model.sections[1].tables[0].title  # "Participant flow: 23 …"
    n = re.search(r"(\d+) subjects enrolled", enrolled)
    assert n is not None
    assert f"대상자 {n.group(1)}명 등록" in text
    assert "무작위배정" in text  # the diagram's words, drawn as text
    assert "추적관찰" in text
    assert "마지막 방문에 도달하지 않음 (사유 기록 없음)" in text  # a data file's dropout
    assert "did not reach the last visit" not in text


def test_the_numbers_are_those_of_the_english_report(reports: dict[str, ReportFiles]) -> None:
    """Translation changes words, never numbers: every table cell of the primary endpoint's
    within-arm table is the same in the three languages (the arm codes are data)."""

    def cells(language: str) -> list[tuple[str, ...]]:
        primary = next(s for s in reports[language].model.sections if s.id == "primary")
        return [row[:7] for row in primary.tables[0].rows]

    english, korean, chinese = cells("en"), cells("ko"), cells("zh-Hans")
    assert len(english) == len(korean) == len(chinese) > 0
    for en, ko, zh in zip(english, korean, chinese, strict=True):
        assert en[:4] + en[5:] == ko[:4] + ko[5:] == zh[:4] + zh[5:]
        low, high = en[4].split(" to ")  # the CI's words are the language's: "~", "至"
        assert (ko[4], zh[4]) == (f"{low} ~ {high}", f"{low} 至 {high}")
    assert reports["ko"].model.primary.within.equals(reports["en"].model.primary.within)


def test_the_cli_writes_the_report_in_the_language_asked(demo: Path, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "autoserum", "report", str(demo), "--out", str(tmp_path),
             "--protocol", "ast-nahm2023", *args],
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    done = run("--lang", "zh-Hans")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "serum-rct.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in html
    assert "统计方法" in html
    refused = run("--lang", "fr")
    assert refused.returncode != 0
    assert refused.stderr.startswith("error: ")
    assert "Traceback" not in refused.stderr
    assert "--lang" in refused.stderr
    assert "'fr'" in refused.stderr


def _bytes_text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return _pdf_text(path)


def test_the_card_the_labels_and_the_worksheet_in_korean_and_chinese(tmp_path: Path) -> None:
    card = patient_card_pdf(
        "https://example.org/p/abc", study="AST-1", subject_id="S1-001",
        valid_until="2026-05-04", language="ko",
    )  # fmt: skip
    text = _bytes_text(card, tmp_path, "card.pdf")
    assert "나의 증상 일지" in text
    assert f"{format_date('2026-05-04', 'ko')}까지 유효합니다." in text  # 2026. 5. 4.
    assert "https://example.org/p/abc" in text
    assert "Your symptom diary" not in text
    sheet = worksheet_pdf(
        "AST-1", "Autologous serum", [WorksheetRow("S1-001", "serum", "autologous serum", ())],
        language="zh-Hans",
    )  # fmt: skip
    text = _bytes_text(sheet, tmp_path, "sheet.pdf")
    assert "制备工作单 · AST-1" in text
    assert "步骤（方案）" in text
    assert "Preparation worksheet" not in text
    labels = labels_pdf([Label("AS1:AST:S1:AL-0001:07", ("S1-001", "전혈 5 mL"))], language="ko")
    text = _bytes_text(labels, tmp_path, "labels.pdf")
    assert "전혈 5 mL" in text  # a CID font: the Korean line is text, not empty boxes
    assert "AL-0001" in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", {"clotting minutes": "30 min", "centrifuge g": "1,500 × g",
                "storage max days": "30 days", "dose": "5 mL"}),
        ("ko", {"응고 시간 (분)": "30분", "원심분리 (g)": "1,500 × g",
                "최대 보관 일수": "30일", "용량": "5mL"}),
        ("zh-Hans", {"凝血时间（分钟）": "30分钟", "离心力（g）": "1,500 × g",
                     "最长储存天数": "30天", "剂量": "5毫升"}),
    ],
)  # fmt: skip
def test_the_worksheet_writes_the_protocols_units_in_the_language(
    language: str, expected: dict[str, str]
) -> None:
    """The protocol's values stay its values; their units are the language's (CLDR through
    Babel: ``30 days``, ``30일``, ``30天``), a centrifuge's ``g`` its relative force."""
    with using(language):
        [row] = worksheet_rows(load_protocol("ast-nahm2023"), [("S1-001", "serum")])
    facts = dict(row.facts)
    for step, value in expected.items():
        assert facts[step].startswith(f"{value} ") or facts[step].startswith(f"{value}（"), step


def test_the_dsmb_open_part_in_korean(demo: Path, tmp_path: Path) -> None:
    part = write_dsmb(
        read_study(demo), tmp_path, "open", protocol="ast-nahm2023", generated=GENERATED,
        language="ko",
    )  # fmt: skip
    html = part.html.read_text(encoding="utf-8")
    assert '<html lang="ko">' in html
    assert "DSMB 보고서: 공개 부분 (합산)" in html
    assert "모든 군을 합산함." in html
    assert "All arms pooled." not in html
    assert "평행 설계, 이중 눈가림" in html  # the design's words
    assert "parallel, double blind" not in html
    assert "보고서 요약" in _pdf_text(part.pdf)
