"""The statistical analysis plan in Korean and Chinese (issue 14, item 5): the SAP document
(``autoserum sap render --lang``) and the study report's SAP section translate their fixed texts
(headings, table headers, footnotes, the words of the plan's codes) and keep what the
statistician typed (title, estimand labels, definitions) as typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader

from autoserum.analysis import EXAMPLE_SAP, analyze_endpoint, parse_sap_text, study_from_frames
from autoserum.i18n import translate, using
from autoserum.report import sap_document, write_sap
from autoserum.report._document import Document, Section
from autoserum.report._sap import sap_section, sensitivity_display
from autoserum.report._tables import fmt
from autoserum.simulate import simulate_study

SAP = parse_sap_text(EXAMPLE_SAP)
#: Fixed texts that are the same in every language (a hash's name, a symbol).
SAME = {"SHA-256", "SAP SHA-256", "p"}


def _pdf_text(path: Path) -> str:
    reader = PdfReader(str(path))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _fixed(sections: tuple[Section, ...]) -> list[str]:
    """Every fixed text of the sections: titles, summary items, table titles, headers, notes."""
    out: list[str] = []
    for s in sections:
        out += [s.title, *(k for k, _ in s.summary), *s.paragraphs]
        for t in s.tables:
            out += [t.title, *t.columns, t.footnote]
    return out


def _document(language: str) -> Document:
    with using(language):
        return sap_document(SAP, source="sap.toml")


@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_every_fixed_text_of_the_sap_document_is_translated(language: str) -> None:
    english, other = _fixed(_document("en").sections), _fixed(_document(language).sections)
    assert len(english) == len(other) > 20
    left = [e for e, o in zip(english, other, strict=True) if e == o and e and e not in SAME]
    assert left == []


@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_the_plan_words_are_translated_and_the_typed_texts_kept(language: str) -> None:
    doc = _document(language)
    cells = [c for s in doc.sections for t in s.tables for row in t.rows for c in row]
    values = [v for s in doc.sections for _, v in s.summary]
    text = " ".join(cells + values)
    english = ("treatment policy", "hypothetical", "composite", "difference in responder",
               "jump to reference", "fixed-sequence", "two-sided", "from baseline")  # fmt: skip
    for word in english:
        assert word not in text, word
    assert translate(language, "treatment policy") in text
    assert translate(language, "fixed-sequence (hierarchical) testing") in text
    # the statistician's own texts stay as typed
    assert doc.title == SAP.title
    assert SAP.estimands[0].label in cells
    assert SAP.analysis_sets[0].definition in cells
    assert "rescue medication" in text  # an intercurrent event's code, as the plan names it


@pytest.mark.parametrize(("language", "heading"), [("ko", "추정대상"), ("zh-Hans", "估计目标")])
def test_write_sap_writes_the_pdf_and_html_in_the_language(
    tmp_path: Path, language: str, heading: str
) -> None:
    files = write_sap(SAP, tmp_path, language=language)
    text = _pdf_text(files.pdf)
    assert heading in text
    assert translate(language, "Models, covariates and missing data") in text
    assert "Models, covariates" not in text
    assert SAP.sha256() in text
    html = files.html.read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in html
    assert heading in html
    assert "Estimands" not in html


def test_the_cli_renders_the_sap_in_the_language_asked(tmp_path: Path) -> None:
    plan = tmp_path / "sap.toml"
    plan.write_text(EXAMPLE_SAP, encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "autoserum", "sap", "render", str(plan), "--out",
             str(tmp_path / "out"), *args],
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    done = run("--lang", "zh-Hans")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "out" / f"{SAP.code}.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in html
    assert "估计目标" in html
    refused = run("--lang", "fr")
    assert refused.returncode != 0
    assert refused.stderr.startswith("error: ")
    assert "'fr'" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    sim = simulate_study("ast-nahm2023", 30, seed=1)  # synthetic
    study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
    return {
        e.code: analyze_endpoint(study.visits, e.variable, e.week, control="placebo")
        for e in SAP.estimands
    }


def _section(language: str, results: dict[str, object]) -> Section:
    family = pl.DataFrame(
        {"endpoint": ["scorad", "easi", "dlqi"], "arm": ["serum"] * 3, "week": [8.0] * 3,
         "method": ["mmrm"] * 3, "p_value": [0.01, 0.2, 0.03], "p_adjusted": [0.01, 0.2, 0.2],
         "rejected": [True, False, False], "tested": [True, True, False]}
    )  # fmt: skip
    sensitivity = pl.DataFrame(
        {
            "analysis": ["mi_j2r"],
            "arm": ["serum"],
            "control": ["placebo"],
            "week": [8.0],
            "imputations": [100],
            "seed": [2024],
            "estimate": [-5.0],
            "ci_low": [-9.0],
            "ci_high": [-1.0],
            "p_value": [0.02],
            "tipping_delta": [6.0],
        }
    )  # fmt: skip  (made-up numbers: only the words are checked)
    with using(language):
        return sap_section(
            SAP,
            results,  # type: ignore[arg-type]
            family,
            sensitivity_display(sensitivity),
        )


@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_the_report_section_on_the_plan_is_translated(
    language: str, results: dict[str, object]
) -> None:
    english, other = _section("en", results), _section(language, results)
    assert other.title == translate(language, "Statistical analysis plan and estimands")
    fixed_en, fixed_other = _fixed((english,)), _fixed((other,))
    left = [e for e, o in zip(fixed_en, fixed_other, strict=True) if e == o and e not in SAME]
    assert left == []
    decisions = [row[6] for t in other.tables if t.id == "multiplicity" for row in t.rows]
    assert decisions == [translate(language, w) for w in ("rejected", "not rejected", "not tested")]
    (sensitivity,) = (t for t in other.tables if t.id == "sensitivity")
    assert sensitivity.rows[0][0] == translate(
        language, "reference-based multiple imputation, jump to reference"
    )
    ci = translate(language, "%(low)s to %(high)s", low=fmt(-9.0, 2), high=fmt(-1.0, 2))
    assert sensitivity.rows[0][5] == ci
    (estimands,) = (t for t in other.tables if t.id == "estimands")
    assert estimands.rows[0][1] == SAP.estimands[0].label  # as typed
