"""The report's conduct tables (issue 13 item 6): the product accountability table and the
agreement of the blinded central photo ratings, in HTML and PDF, masked in a blinded report.

The accountability numbers rendered from the store are checked by hand in
``tests/store/test_product.py`` (``test_the_report_shows_the_hand_checked_accountability``);
here the inputs are small frames whose counts are written out below. The agreement values are
R's (``tests/study/reference/photo_agreement.json``: psych 2.2.9 ``ICC`` and ``cohen.kappa``),
shown with 3 decimals.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl

from autoserum.analysis import PRODUCT_ITEMS, StudyData
from autoserum.display import number
from autoserum.report import Document
from autoserum.report._conduct import ITEM_LABELS, photo_section, product_section
from autoserum.report._dsmb import pooled_study
from autoserum.report._html import render_html
from autoserum.report._pdf import render_pdf
from autoserum.study.aliquots import REFUSAL_KINDS
from autoserum.study.photos import PhotoScore
from tests.pdftext import pdf_text

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "study" / "reference" / "photo_agreement.json").read_text(
        encoding="utf-8"
    )
)


def _study(*, arm: bool = True, **kw: Any) -> StudyData:
    visits = pl.DataFrame({"subject_id": ["A", "B", "C"], "week": [0.0, 0.0, 0.0]})
    if arm:
        visits = visits.with_columns(arm=pl.Series(["serum", "serum", "placebo"]))
    return StudyData(visits=visits, adverse_events=pl.DataFrame(), source="test", **kw)


def _product() -> dict[str, Any]:
    """A and B serum: one draw and 4 aliquots each, A injected twice, B once; C placebo: one
    kit, injected once; 4 injections planned each; one refusal for A (B's aliquot) and one for
    C (an expired kit). By hand: serum 2 draws, 8 aliquots, 0 kits, 8 planned, 3 given
    (37.5 %), 1 refused as another subject's product; placebo 0, 0, 1 kit, 4 planned,
    1 given (25.0 %), 1 refused as expired."""
    subjects = pl.DataFrame({
        "subject_id": ["A", "B", "C"], "arm": ["serum", "serum", "placebo"],
        "draws": [1, 1, 0], "aliquots": [4, 4, 0], "kits": [0, 0, 1],
        "injections_given": [2, 1, 1], "injections_planned": [4, 4, 4],
    })  # fmt: skip
    refusals = pl.DataFrame({"subject_id": ["A", "C"], "arm": ["serum", "placebo"],
                             "kind": ["another subject's product", "expired"]})  # fmt: skip
    return {"product_subjects": subjects, "product_refusals": refusals}


def _rendered(section: Any, tmp_path: Path) -> tuple[str, str]:
    doc = Document("T", "test", "2026-01-01", "0", (section,))
    return render_html(doc), pdf_text(render_pdf(doc, tmp_path / "t.pdf"))


def test_every_item_of_the_analysis_has_its_label() -> None:
    refused = {f"refused: {kind}" for kind, _ in REFUSAL_KINDS} | {"refused: other"}
    refused |= {"refused: blinded"}  # a blinded reader's refusals, one count
    assert set(ITEM_LABELS) == {item for _, item in PRODUCT_ITEMS} | refused


def test_the_accountability_table_shows_the_counts_by_arm(tmp_path: Path) -> None:
    section = product_section(_study(**_product()))
    assert section is not None
    [table] = section.tables
    assert table.columns == ("Item", "placebo (n = 1)", "serum (n = 2)")
    rows = {r[0]: r[1:] for r in table.rows}
    assert rows["Blood draws"] == ("0", "2")
    assert rows["Aliquots"] == ("0", "8")
    assert rows["Blinded kits"] == ("1", "0")
    assert rows["Injections planned"] == ("4", "8")
    assert rows["Injections given"] == ("1 of 4 (25.0 %)", "3 of 8 (37.5 %)")
    assert rows["Refused: another subject's product"] == ("0", "1")
    assert rows["Refused: expired"] == ("1", "0")
    html, pdf = _rendered(section, tmp_path)
    assert "<caption>Product accountability by arm</caption>" in html
    assert "<td>3 of 8 (37.5 %)</td>" in html
    assert "Product accountability by arm" in pdf
    assert "3 of 8 (37.5 %)" in pdf


def test_a_blinded_report_pools_the_arms(tmp_path: Path) -> None:
    """Visits without an arm (a blinded export) or the DSMB's open part: one pooled column
    with the totals, no arm named anywhere in the section."""
    for study in (_study(arm=False, **_product()), pooled_study(_study(**_product()))):
        section = product_section(study)
        assert section is not None
        [table] = section.tables
        assert table.columns == ("Item", "pooled (blinded) (n = 3)")
        rows = {r[0]: r[1:] for r in table.rows}
        assert rows["Blood draws"] == ("2",)
        assert rows["Injections given"] == ("4 of 12 (33.3 %)",)
        html, pdf = _rendered(section, tmp_path)
        for arm in ("serum", "placebo"):  # as a word: "autoserum" is in every page
            assert re.search(rf"\b{arm}\b", html) is None
            assert re.search(rf"\b{arm}\b", pdf) is None
        assert "Arms are pooled" in table.footnote


def test_a_blinded_readers_table_names_no_draws_or_aliquots(tmp_path: Path) -> None:
    """Issue 13 item 5: the store's frames for a blinded reader (draws and aliquots null,
    every arm and refusal kind ``blinded``: ``store/_accountability.py``): the table and its
    footnote name neither blood draws nor aliquots (records only an active arm has); the
    unblinded table's footnote does (so the check can fail)."""
    subjects = pl.DataFrame(
        {"subject_id": ["A", "C"], "arm": ["blinded"] * 2, "draws": [None, None],
         "aliquots": [None, None], "kits": [1, 1], "injections_given": [1, 1],
         "injections_planned": [4, 4]},
        schema_overrides={"draws": pl.Int64, "aliquots": pl.Int64},
    )  # fmt: skip
    refusals = pl.DataFrame({"subject_id": ["A"], "arm": ["blinded"], "kind": ["blinded"]})
    section = product_section(
        _study(arm=False, product_subjects=subjects, product_refusals=refusals)
    )
    assert section is not None
    [table] = section.tables
    words = re.compile(r"draw|aliquot", re.I)
    assert [r[0] for r in table.rows if words.search(r[0])] == []
    assert words.search(table.footnote or "") is None, table.footnote
    assert "Blinded kits" in table.footnote
    html, pdf = _rendered(section, tmp_path)
    assert words.search(html) is None
    assert words.search(pdf) is None
    unblinded = product_section(_study(**_product()))
    assert unblinded is not None
    assert words.search(unblinded.tables[0].footnote or "")


def test_no_product_section_for_a_file() -> None:
    assert product_section(_study()) is None
    assert photo_section(_study()) is None


def test_the_agreement_table_shows_psych_s_values(tmp_path: Path) -> None:
    scores = tuple(
        PhotoScore(p, r, Fraction(str(EXAMPLE["region_score"][i][j])), EXAMPLE["viga_grade"][i][j])
        for i, p in enumerate(EXAMPLE["photos"])
        for j, r in enumerate(EXAMPLE["raters"])
    )
    section = photo_section(_study(photo_scores=scores))
    assert section is not None
    [table] = section.tables
    by_type = {e["type"]: e for e in EXAMPLE["icc"]}
    icc2 = table.rows[0]
    assert icc2[0].startswith("ICC2: two-way random effects, absolute agreement")
    assert icc2[2:] == (
        "6",
        number(by_type["ICC2"]["icc"], 3),
        f"{number(by_type['ICC2']['ci_low'], 3)} to {number(by_type['ICC2']['ci_high'], 3)}",
    )
    icc3 = table.rows[1]
    assert icc3[0].startswith("ICC3: two-way mixed effects, consistency")
    assert icc3[3] == number(by_type["ICC3"]["icc"], 3)
    kappas = table.rows[4:]
    assert len(kappas) == 3
    for row, expected in zip(kappas, EXAMPLE["kappa"], strict=True):
        assert row[0].endswith(f"{expected['rater_a']} vs {expected['rater_b']}")
        assert row[3] == number(expected["weighted_kappa"], 3)
    assert "6 photographs rated by all 3 raters (18 ratings in all)" in table.footnote
    html, pdf = _rendered(section, tmp_path)
    assert "Agreement of the blinded central photo ratings" in html
    assert number(by_type["ICC2"]["icc"], 3) in pdf


def test_a_sentence_when_there_are_no_central_ratings() -> None:
    section = photo_section(_study(photo_scores=()))
    assert section is not None
    assert section.tables == ()
    assert section.paragraphs == ("No central (blinded) ratings of lesion photographs exist.",)
    one = (PhotoScore("P1", "rhea", Fraction(3), 2),)
    alone = photo_section(_study(photo_scores=one))
    assert alone is not None
    assert alone.paragraphs == (
        "Agreement needs at least two raters who rated the same two or more photographs "
        "(central ratings so far: 1; raters: 1).",
    )
