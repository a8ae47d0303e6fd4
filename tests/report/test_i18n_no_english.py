"""No English word left in the printed documents rendered in Korean or Chinese (issue 14,
item 5): the study report, the DSMB report's open and closed parts (their conduct tables, the
CONSORT flow and its diagram) and the statistical analysis plan.

The study is the demo serum RCT as ``make demo`` records it (``scripts/demo.py``: simulated
into SQLite, its conduct recorded through the store, the database locked with the demo SAP), so
the documents carry the audit chain, the product's accountability, the CONSORT reasons, the
SAP's estimands, subgroups (with the notes of the comparisons that could not be made) and its
time-to-event endpoint. Every visible text of each HTML document (``tests/visible_text.py``, the
mechanism of the web pages' test) and every line of the CONSORT diagram must be free of English
words once the data are taken out: the texts the study, the protocol and the SAP hold as data
(:func:`_data`: arm codes, terms, sites, the protocol's and the statistician's own texts),
removed wherever they occur in a text.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from autoserum.analysis import parse_sap_file
from autoserum.simulate import simulate_study
from autoserum.store import Actor, open_store
from tests.clirun import run_cli
from tests.pdftext import pdf_text
from tests.visible_text import english_words, protocol_texts, visible_texts

ROOT = Path(__file__).resolve().parents[2]
STUDY = "ast-i18n"
PROTOCOL = "ast-nahm2023"
SAP = ROOT / "examples" / "sap-ast-nahm2023.toml"
LANGUAGES = ("ko", "zh-Hans")
#: Fixed texts that stay as they are in every language: R's function names and arguments
#: quoted in the method notes (as a reader types them into R).
R_CODE = ("R quantile type 7",)
_R_CALL = re.compile(r"\w+(?:(?:\.|::)\w+)+")


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    return done


def _demo_module() -> Any:
    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


@dataclass(frozen=True)
class Documents:
    url: str
    data: frozenset[str]
    #: (language, document) → its HTML text
    html: dict[tuple[str, str], str]
    #: (language, document) → the text of its PDF
    pdf: dict[tuple[str, str], str]


def _data(url: str, demo: Any, n: int, seed: int) -> frozenset[str]:
    """What the documents show as recorded: the study's values, the protocol's and the SAP's
    own texts (docs/i18n.md: data stay as recorded)."""
    sim = simulate_study(PROTOCOL, n, seed)
    texts = protocol_texts(PROTOCOL)
    texts |= set(sim.adverse_events["term"].unique().to_list())
    texts |= set(sim.visits["arm"].unique().to_list()) | set(sim.visits["site"].unique().to_list())
    store = open_store(url, create=False)
    try:
        lock = store.locks.database_lock(STUDY)
        assert lock is not None
        texts |= {lock.locked_by, lock.reason}
        stored = store.exports.adverse_events(STUDY, actor=Actor("test", "admin"))
        texts |= set(stored["term"].unique().to_list())
    finally:
        store.close()
    # the reasons the demo recorded (a withdrawal's, a screen failure's, an SAE's follow-up)
    texts |= set(demo.WITHDRAWAL_REASONS)
    texts |= {r for *_, r in demo.SCREEN_FAILURES if r}
    sap = parse_sap_file(SAP)
    texts |= {sap.title, sap.code, url, STUDY}
    for e in sap.estimands:
        texts |= {e.code, e.label}
        for ice in e.intercurrent_events:
            texts |= {ice.event, ice.event.replace("_", " "), ice.description, ice.rationale}
    texts |= {a.definition for a in sap.analysis_sets} | set(sap.covariates)
    for g in sap.subgroups:
        texts |= {g.variable, g.label}
    if sap.time_to_event is not None:
        texts |= set(sap.time_to_event.terms)
    return frozenset(t for t in texts if t)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Documents:
    out = tmp_path_factory.mktemp("i18n-documents")
    demo = _demo_module()
    protocol, _, n, seed = next(s for s in demo.DEMO_STUDIES if s[1] == "serum-rct")
    assert protocol == PROTOCOL
    url = f"sqlite:///{out / 'i18n.db'}"
    _cli("simulate", protocol, "--subjects", n, "--seed", seed, "--db", url, "--study", STUDY)
    demo.conduct_demo(url, STUDY)
    _cli("study", "lock", STUDY, "--reason", "data final", "--sap", SAP, "--db", url)
    html: dict[tuple[str, str], str] = {}
    pdf: dict[tuple[str, str], str] = {}
    for language in LANGUAGES:
        where = out / language
        common = ("--db", url, "--study", STUDY, "--lang", language)
        _cli("report", *common, "--sap", SAP, "--out", where / "report")
        html[language, "report"] = (where / "report" / f"{STUDY}.html").read_text("utf-8")
        pdf[language, "report"] = pdf_text(where / "report" / f"{STUDY}.pdf")
        for part in ("open", "closed"):
            _cli("report", *common, "--dsmb", part, "--out", where / part)
            path = where / part / f"{STUDY}-dsmb-{part}.html"
            html[language, f"dsmb-{part}"] = path.read_text("utf-8")
            pdf[language, f"dsmb-{part}"] = pdf_text(path.with_suffix(".pdf"))
        _cli("sap", "render", SAP, "--lang", language, "--out", where / "sap")
        sap = where / "sap" / f"{parse_sap_file(SAP).code}.html"
        html[language, "sap"] = sap.read_text("utf-8")
    return Documents(url, _data(url, demo, n, seed), html, pdf)


def english_left(texts: list[str], data: frozenset[str]) -> list[str]:
    """The texts that still have an English word once every data value (as a whole word,
    longest first) and every quoted R call (``t.test``, ``nlme::gls``, ``cox.zph``) is taken out
    of them."""
    values = sorted(data | set(R_CODE), key=len, reverse=True)
    # a whole word in Latin letters: "serum" is not taken out of "autoserum", but is out of
    # "serum의" (a Korean particle follows a word without a space)
    taken = re.compile("|".join(rf"(?<![A-Za-z0-9]){re.escape(v)}(?![A-Za-z0-9])" for v in values))
    left = []
    for text in dict.fromkeys(texts):
        rest = _R_CALL.sub(" ", taken.sub(" ", text))
        if english_words(rest):
            left.append(text)
    return left


def test_the_checker_takes_out_data_and_finds_a_fixed_english_text() -> None:
    data = frozenset({"injection site pain", "serum"})
    texts = ["serum (N = 11)", "injection site pain", "합산 (눈가림)", "pooled (blinded)",
             "R 기본 설정(t.test、nlme::gls)", "autoserum", "Hedges' g",
             "위험비 arm[serum]"]  # fmt: skip
    assert english_left(texts, data) == ["pooled (blinded)", "위험비 arm[serum]"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("document", ["report", "dsmb-open", "dsmb-closed", "sap"])
def test_no_english_word_in_the_printed_document(
    documents: Documents, language: str, document: str
) -> None:
    html = documents.html[language, document]
    assert f'<html lang="{language}">' in html
    left = english_left(visible_texts(html), documents.data)
    assert left == [], f"English in the {language} {document}: {left}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("document", ["report", "dsmb-open", "dsmb-closed"])
def test_no_english_word_in_the_consort_diagram(
    documents: Documents, language: str, document: str
) -> None:
    """The CONSORT diagram's boxes (an SVG in the HTML, which the visible texts leave out): a
    reason as recorded is wrapped over lines, so the data are taken out word by word."""
    html = documents.html[language, document]
    svgs = re.findall(r'<svg[^>]*class="diagram".*?</svg>', html, flags=re.DOTALL)
    assert len(svgs) == 1
    lines = [unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svgs[0])]
    assert len(lines) > 10
    words = frozenset(w for value in documents.data for w in re.findall(r"[\w'’]+", value))
    left = [line for line in lines if [w for w in english_words(line) if w not in words]]
    assert left == [], f"English in the {language} {document} CONSORT diagram: {left}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pdfs_show_the_pooled_arm_the_notes_and_the_terms_in_the_language(
    documents: Documents, language: str
) -> None:
    """The PDFs are drawn from the same model as the HTML, their notes through the same
    ``note_text``: the pooled arm of the open part, a model's term and a note of the report."""
    pooled = {"ko": "합산 (눈가림)", "zh-Hans": "合并（盲态）"}[language]
    term = {"ko": "위험비 (투여군: serum)", "zh-Hans": "风险比（组别：serum）"}[language]
    flat = {doc: " ".join(documents.pdf[language, doc].split()) for doc in ("dsmb-open", "report")}
    assert pooled in flat["dsmb-open"]
    assert term in flat["report"]
    for english in ("pooled (blinded)", "Hazard ratio", "arm[serum]", "linear model",
                    "time to first flare", "rows, verified", "database locked"):  # fmt: skip
        assert english not in flat["dsmb-open"] + flat["report"], english
