"""The demo serum RCT's report as `make demo` writes it (issue 16, acceptance): the study
simulated into SQLite, its conduct recorded through the store (screen failures, withdrawals
with their reasons; ``scripts/demo.py``), then ``report --db --sap`` and ``analyze --db --sap
--json``. The PDF is looked at as PNG pages (pypdfium2) and read back as text (pypdf): the
CONSORT diagram carries the counts and reasons of the store and the data as vector graphics, and
the key numbers printed are those of the analysis JSON.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from autoserum.analysis import build_adsl
from autoserum.store import Actor, open_store
from autoserum.study import SubjectStatus
from tests.clirun import run_cli
from tests.pdftext import pdf_text

ROOT = Path(__file__).resolve().parents[2]
STUDY = "serum-rct"


def _demo_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli(*args: object) -> str:
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass(frozen=True)
class Demo:
    url: str
    html: str
    pdf: Path
    text: str
    analysis: dict[str, Any]
    pngs: tuple[Path, ...]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo-rct")
    script = _demo_script()
    url = f"sqlite:///{out / 'demo.db'}"
    protocol, _, n, seed = next(s for s in script.DEMO_STUDIES if s[1] == STUDY)
    _cli("simulate", protocol, "--subjects", n, "--seed", seed, "--db", url, "--study", STUDY)
    script.conduct_demo(url, STUDY)
    sap = script.DEMO_SAPS[STUDY]
    _cli("study", "lock", STUDY, "--reason", "data final", "--sap", sap, "--db", url)
    _cli("report", "--db", url, "--study", STUDY, "--sap", sap, "--out", out)
    analysis = json.loads(_cli("analyze", "--db", url, "--study", STUDY, "--sap", sap, "--json"))
    pdf = out / f"{STUDY}.pdf"
    document = pdfium.PdfDocument(pdf)
    pngs = []
    for i in range(len(document)):
        png = out / f"page-{i + 1:02d}.png"
        document[i].render(scale=1.5).to_pil().save(png)
        pngs.append(png)
    document.close()
    return Demo(
        url, (out / f"{STUDY}.html").read_text(encoding="utf-8"), pdf, pdf_text(pdf),
        analysis, tuple(pngs),
    )  # fmt: skip


def _expected_flow(url: str) -> dict[str, Any]:
    """The CONSORT counts, counted here from the store's subjects and the exported data
    (independently of autoserum.study.consort_flow)."""
    store = open_store(url, create=False)
    admin = Actor("test", "admin")
    try:
        subjects = store.subjects.all(STUDY, actor=admin)
        visits = store.exports.long(STUDY, actor=admin)
    finally:
        store.close()
    enrolled = [s for s in subjects if s.arm is not None]
    adsl = build_adsl(visits.filter(pl.col("subject_id").is_in([s.subject_id for s in enrolled])))
    fas = dict(adsl.filter(pl.col("fas")).group_by("arm").len().iter_rows())
    arms: dict[str, Any] = {}
    for arm in sorted({s.arm for s in enrolled if s.arm}):
        mine = [s for s in enrolled if s.arm == arm]
        gone = [s for s in mine if s.status is SubjectStatus.WITHDRAWN]
        lost = [s for s in gone if s.withdrawal_reason == "lost to follow-up"]
        arms[arm] = {
            "allocated": len(mine),
            "lost": len(lost),
            "discontinued": len(gone) - len(lost),
            "reasons": sorted(str(s.withdrawal_reason) for s in gone if s not in lost),
            "analysed": fas.get(arm, 0),
        }
    return {
        "assessed": len(subjects),
        "excluded": sum(s.status is SubjectStatus.SCREEN_FAILED for s in subjects),
        "enrolled": len(enrolled),
        "arms": arms,
    }


def test_the_consort_boxes_hold_the_counts_of_the_store_and_the_data(demo: Demo) -> None:
    want = _expected_flow(demo.url)
    # scripts/demo.py SCREEN_FAILURES: 5 candidates; 23 randomised as published
    assert (want["assessed"], want["excluded"], want["enrolled"]) == (28, 5, 23)
    flow = demo.analysis["consort"]
    assert (flow["assessed"], flow["excluded"], flow["enrolled"]) == (28, 5, 23)
    shown = [
        "Assessed for eligibility (n = 28)", "Excluded (n = 5)", "Randomised (n = 23)",
        # by failed eligibility rule (facts typed at screening, judged by the protocol)
        "Not meeting eligibility criteria (n = 3)",
        "severity (moderate-to-severe AD) (n = 2)", "diagnosis (atopic dermatitis) (n = 1)",
        "Declined to participate (n = 1)", "Other reason: moved abroad (n = 1)",
    ]  # fmt: skip
    for arm, counts in want["arms"].items():
        got = flow["arms"][arm]
        for key in ("allocated", "lost", "discontinued", "analysed"):
            assert got[key] == counts[key], (arm, key)
        assert sorted(got["discontinued_reasons"]) == sorted(set(counts["reasons"]))
        shown += [
            f"Allocated to {arm} (n = {counts['allocated']})",
            f"Received allocated intervention (n = {counts['allocated']})",
            f"Analysed (n = {counts['analysed']})",
            *(f"{reason} (n = 1)" for reason in counts["reasons"]),
        ]
    assert sum(a["lost"] for a in want["arms"].values()) >= 1
    assert any(a["reasons"] for a in want["arms"].values())
    start = demo.html.index('<figure id="figure-consort">')
    svg_text = " ".join(
        re.sub(r"<[^>]+>", " ", demo.html[start : demo.html.index("</svg>", start)]).split()
    )
    for line in shown:
        assert line in demo.text, line
        assert line in svg_text, line


def test_the_consort_diagram_is_vector_in_the_pdf_and_svg_in_the_html(demo: Demo) -> None:
    reader = PdfReader(demo.pdf)
    (page,) = [p for p in reader.pages if "Assessed for eligibility" in (p.extract_text() or "")]
    assert list(page.images) == []  # drawn as paths and text, not an embedded picture
    assert any(list(p.images) for p in reader.pages)  # the check can fail: the PNG figures
    text = " ".join((page.extract_text() or "").split())
    assert "Excluded (n = 5)" in text
    assert "Lost to follow-up" in text
    start = demo.html.index('<figure id="figure-consort">')
    figure = demo.html[start : demo.html.index("</figure>", start)]
    assert "<svg" in figure
    assert "<image" not in figure
    assert "<text" in figure


def test_every_page_is_looked_at_as_a_png(demo: Demo) -> None:
    from PIL import Image

    assert len(demo.pngs) == len(PdfReader(demo.pdf).pages) >= 5
    for png in demo.pngs:
        with Image.open(png) as img:
            histogram = img.convert("L").histogram()
            dark = sum(histogram[:128])
            assert img.width > 800
            assert dark > 500, f"{png.name} looks blank"  # text and rules were drawn


def test_the_report_shows_the_estimands_the_kr_mmrm_mi_tipping_point_km_and_forest(
    demo: Demo,
) -> None:
    analysis, text = demo.analysis, demo.text
    assert analysis["mmrm_df"] == "kenward_roger"
    assert "Estimands of Statistical analysis plan" in text
    assert "rescue medication: treatment policy" in text
    (mmrm,) = [b["mmrm"] for b in analysis["between"] if b["week"] == analysis["week"]]
    assert not float(mmrm["df"]).is_integer()  # Kenward-Roger df, not N - p
    assert f"t = {mmrm['statistic']:.2f} {mmrm['df']:.1f} {mmrm['p_value']:.3f}" in text
    shown = f"{mmrm['estimate']:.2f} ({mmrm['ci_low']:.2f} to {mmrm['ci_high']:.2f})"
    assert f"serum: {shown}" in text  # the estimand table's result
    rows = {r["analysis"]: r for r in analysis["sensitivity"]["rows"]}
    j2r = rows["mi_j2r"]
    assert j2r["imputations"] == 100
    assert (
        f"{j2r['estimate']:.2f} {j2r['ci_low']:.2f} to {j2r['ci_high']:.2f} {j2r['p_value']:.3f}"
        in text
    )
    tipping = rows["tipping_point"]
    assert tipping["tipping_delta"] is not None
    assert f"{tipping['tipping_delta']:.2f}" in text
    assert "Time to first flare: Kaplan–Meier by arm" in text  # the en dash, as written
    assert "Treatment effect by subgroup" in text
    for figure in ("consort", "kaplan-meier", "forest"):
        assert f'id="figure-{figure}"' in demo.html
