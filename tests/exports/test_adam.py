"""CDISC ADaM (issue 15, item 3): ADSL, ADQS, ADAE, ADCM as XPT v5 with define.xml; the analysis
engine reads ADQS (+ ADSL) back and reproduces its own primary result exactly."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pyreadstat
import pytest
from lxml import etree
from polars.testing import assert_frame_equal

from autoserum.analysis import (
    ADAM_DATASETS,
    adam_datasets,
    adam_paramcd,
    analyze_endpoint,
    responder_definitions,
    visits_from_adam,
)
from autoserum.cli import main
from autoserum.store import open_store
from autoserum.study.cdisc import check_names, read_xpt
from autoserum.study.tidy import TOTAL_COLUMNS
from tests.exports.conftest import STUDY, assert_valid_define
from tests.store.helpers import ADMIN, TODAY

#: What R's haven read of ADSL written from the fixture study (``reference/haven_sdtm.R``).
HAVEN_ADSL = Path(__file__).parent / "reference" / "haven_adam.json"


@pytest.fixture(scope="module")
def adam_dir(study_db: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("adam")
    with pytest.raises(SystemExit) as exc:
        main(["export", "--db", study_db, "--study", STUDY, "--format", "adam", "--out", str(out)])
    assert exc.value.code in (0, None)
    return out


def test_files_names_and_define(adam_dir: Path) -> None:
    assert check_names(ADAM_DATASETS) == []
    assert {p.stem for p in adam_dir.glob("*.xpt")} == {"adsl", "adqs", "adae", "adcm"}
    for path in adam_dir.glob("*.xpt"):
        _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
        assert all(len(n or "") <= 8 for n in meta.column_names)
        assert all(0 < len(label or "") <= 40 for label in meta.column_labels)
    root = etree.parse(str(adam_dir / "define.xml")).getroot()
    odm = "{http://www.cdisc.org/ns/odm/v1.3}"
    purposes = {g.get("Purpose") for g in root.iter(f"{odm}ItemGroupDef")}
    assert purposes == {"Analysis"}
    assert_valid_define(adam_dir / "define.xml")


def test_paramcds_are_unique_sas_names() -> None:
    codes = [adam_paramcd(p) for p in TOTAL_COLUMNS]
    codes += [adam_paramcd(r.code) for p in TOTAL_COLUMNS for r in responder_definitions(p)]
    assert len(set(codes)) == len(codes)
    assert all(len(c) <= 8 and c.replace("_", "").isalnum() for c in codes)


def test_adqs_bds_variables(adam_dir: Path) -> None:
    adqs, _ = read_xpt(adam_dir / "adqs.xpt")
    easi = adqs.filter(pl.col("PARAMCD") == "EASITOT")
    base = easi.filter(pl.col("ABLFL") == "Y")
    assert base.height == base["SUBJID"].n_unique()  # one baseline record per subject
    post = easi.filter(pl.col("ANL01FL") == "Y")
    assert (post["AVISITN"] > 0).all()
    diff = (post["AVAL"] - post["BASE"] - post["CHG"]).abs().max()
    assert isinstance(diff, float)
    assert diff < 1e-9  # CHG = AVAL - BASE
    resp = adqs.filter(pl.col("PARAMCD") == "EASI75")
    assert set(resp["AVALC"].to_list()) <= {"Y", "N"}
    assert resp.height == post.height  # one responder record per analysis record


def test_analysis_reproduces_its_primary_result_from_adqs(adam_dir: Path, study_db: str) -> None:
    """The EASI analysis at week 8 (ANCOVA, MMRM, Mann-Whitney, Hedges g, responders) from
    the ADaM XPT files read back equals the analysis of the database's own tidy export."""
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        visits = store.exports.long(STUDY, actor=ADMIN)
    finally:
        store.close()
    adsl, _ = read_xpt(adam_dir / "adsl.xpt")
    adqs, _ = read_xpt(adam_dir / "adqs.xpt")
    back = visits_from_adam(adsl, adqs)
    ours = analyze_endpoint(visits, "easi", 8, control="placebo")
    again = analyze_endpoint(back, "easi", 8, control="placebo")
    assert_frame_equal(ours.between, again.between, abs_tol=1e-12)
    assert_frame_equal(ours.within, again.within, abs_tol=1e-12)
    assert_frame_equal(ours.responders, again.responders, abs_tol=1e-12)


def test_blinded_adam_has_no_arm(study_db: str) -> None:
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        visits = store.exports.long(STUDY, actor=ADMIN).drop("arm")
    finally:
        store.close()
    frames = adam_datasets(STUDY, visits)
    assert set(frames["ADSL"]["TRT01P"].to_list()) == {"pooled (blinded)"}


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12)
    return bool(a == b)


def test_pyreadstat_reads_adsl_as_r_haven_reads_it(adam_dir: Path) -> None:
    """R: haven 2.5.1 read_xpt on ADSL written from the same fixture study (with the subject
    history variables); names, labels and every value exactly."""
    [(name, r)] = json.loads(HAVEN_ADSL.read_text(encoding="utf-8")).items()
    frame, labels = read_xpt(adam_dir / f"{name.lower()}.xpt")
    assert frame.columns == r["names"] == list(ADAM_DATASETS["ADSL"].names)
    assert [labels[c] for c in frame.columns] == r["labels"]
    assert frame.height == r["nrow"][0]
    for column in frame.columns:
        ours, theirs = frame[column].to_list(), r["values"][column]
        bad = [(o, t) for o, t in zip(ours, theirs, strict=True) if not _same(o, t)]
        assert not bad, (column, bad[:3])


_HISTORY = ("AGE", "AGEU", "RACE", "ETHNIC", "FITZPAT", "ADONAGE", "ADDURY", "ASTHMFL",
            "ARHINFL", "FALLGFL", "PRSYSFL")  # fmt: skip


def test_adsl_carries_the_subject_history(adam_dir: Path) -> None:
    """The fixture's first subject (``tests/exports/conftest.py``: age 15, Asian, not
    Hispanic or Latino, Fitzpatrick III, atopic dermatitis since age 2, asthma and another
    comorbidity, ciclosporin before the study): duration 15 - 2 = 13 years, asthma Y,
    allergic rhinitis and food allergy N, prior systemic treatment Y. Subjects without a
    recorded history: flags N, the rest empty. Each variable in define.xml."""
    adsl, labels = read_xpt(adam_dir / "adsl.xpt")
    first = adsl.filter(pl.col("SUBJID") == "AST-01").select(_HISTORY).row(0)
    assert first == (15.0, "YEARS", "ASIAN", "NOT HISPANIC OR LATINO", "III", 2.0, 13.0,
                     "Y", "N", "N", "Y")  # fmt: skip
    rest = adsl.filter(pl.col("SUBJID") != "AST-01")
    assert rest.height == 11
    assert set(rest.select("ASTHMFL", "ARHINFL", "FALLGFL", "PRSYSFL").unpivot()["value"]) == {"N"}
    assert rest.select("RACE", "FITZPAT", "ADONAGE", "ADDURY").null_count().row(0) == (11,) * 4
    assert all(len(n) <= 8 and len(labels[n]) <= 40 for n in _HISTORY)
    root = etree.parse(str(adam_dir / "define.xml")).getroot()
    odm = "{http://www.cdisc.org/ns/odm/v1.3}"
    items = {i.get("OID"): i for i in root.iter(f"{odm}ItemDef")}
    for name in _HISTORY:
        assert f"IT.ADSL.{name}" in items, name
    refs = {
        name: items[f"IT.ADSL.{name}"].find(f"{odm}CodeListRef").get("CodeListOID")
        for name in ("FITZPAT", "ASTHMFL", "PRSYSFL")
    }
    assert refs == {"FITZPAT": "CL.FITZPAT", "ASTHMFL": "CL.AESER", "PRSYSFL": "CL.AESER"}
    fitz = root.find(f".//{odm}CodeList[@OID='CL.FITZPAT']")
    assert fitz is not None
    assert [e.get("CodedValue") for e in fitz] == ["I", "II", "III", "IV", "V", "VI"]


def test_blinded_and_deidentified_adsl_keep_the_history_but_not_the_arm(study_db: str) -> None:
    """The history holds no arm, date or name: a blinded, de-identified ADSL has it as the
    full one has (from the package read for the export), the arms pooled."""
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        _, full = store.exports.adam(STUDY, actor=ADMIN)
        _, hidden = store.exports.adam(STUDY, actor=ADMIN, blinded=True, deidentified=True)
    finally:
        store.close()
    assert_frame_equal(full["ADSL"].select(_HISTORY), hidden["ADSL"].select(_HISTORY))
    assert set(hidden["ADSL"]["TRT01P"].to_list()) == {"pooled (blinded)"}
    assert set(full["ADSL"]["TRT01P"].to_list()) == {"serum", "placebo"}
