"""CDISC SDTM (issue 15, item 2): the domains as SAS transport v5 files read back by pyreadstat
and by R's haven (reference JSON written by ``reference/haven_sdtm.R`` from XPT files of the
same fixture study), SAS v5 names and labels, define.xml, blinding and de-identification."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyreadstat
import pytest
from lxml import etree

from autoserum.cli import main
from autoserum.store import Actor, open_store
from autoserum.study.cdisc import (
    DATASETS,
    check_names,
    qs_codes,
    read_xpt,
    sdtm_domains,
    write_sdtm,
)
from tests.exports.conftest import NOW, STUDY, assert_valid_define, build_study
from tests.exports.test_package import consent_records
from tests.store.helpers import ADMIN, STATISTICIAN, TODAY

REFERENCE = Path(__file__).parent / "reference" / "haven_sdtm.json"
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


def _sdtm(url: str, out: Path, actor: Actor = ADMIN, **kw: bool) -> Path:
    store = open_store(url, clock=lambda: TODAY)
    try:
        content = store.exports.package(STUDY, actor=actor, **kw)
    finally:
        store.close()
    meta = content.descriptor["autoserum"]
    created = datetime(2026, 1, 1, tzinfo=UTC)
    write_sdtm(meta["study"], content.rows, out, masked=meta["blinded"], created=created)
    return out


@pytest.fixture(scope="module")
def sdtm_dir(study_db: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _sdtm(study_db, tmp_path_factory.mktemp("sdtm"))


def test_names_and_labels_follow_the_sas_v5_rules(sdtm_dir: Path) -> None:
    assert check_names(DATASETS) == []
    files = sorted(sdtm_dir.glob("*.xpt"))
    expected = {"dm", "ds", "sv", "ex", "ae", "cm", "mh", "qs", "lb", "vs", "dv", "ta", "te", "tv",
                "ti", "ts"}  # fmt: skip
    assert {f.stem for f in files} == expected
    for path in files:
        _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
        assert meta.table_name == path.stem.upper()
        assert all(len(n or "") <= 8 and (n or "").isupper() for n in meta.column_names)
        assert all(0 < len(label or "") <= 40 for label in meta.column_labels), path.name
        assert len(meta.file_label or "") <= 40


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12)
    return bool(a == b)


def test_questionnaire_codes_are_unique_sas_names() -> None:
    from autoserum.study.cdisc import QS_PREFIX

    for instrument in QS_PREFIX:
        codes = [code for _, code, _ in qs_codes(instrument)]
        assert len(set(codes)) == len(codes), instrument
        assert all(len(c) <= 8 and c.isalnum() and c.isupper() for c in codes), instrument
        assert all(len(test) <= 40 for _, _, test in qs_codes(instrument))


def test_pyreadstat_reads_what_r_haven_reads(sdtm_dir: Path) -> None:
    """R: haven 2.5.1 read_xpt on XPT files written from the same fixture study; exact."""
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert len(reference) == 15
    for name, r in reference.items():
        frame, labels = read_xpt(sdtm_dir / f"{name.lower()}.xpt")
        assert frame.columns == r["names"], name
        assert [labels[c] for c in frame.columns] == r["labels"], name
        assert frame.height == r["nrow"][0], name
        for column in frame.columns:
            ours, theirs = frame[column].to_list(), r["values"][column]
            assert len(ours) == len(theirs), (name, column)
            bad = [(o, t) for o, t in zip(ours, theirs, strict=True) if not _same(o, t)]
            assert not bad, (name, column, bad[:3])


def test_domain_content(sdtm_dir: Path) -> None:
    dm, _ = read_xpt(sdtm_dir / "dm.xpt")
    assert set(dm["ARMCD"].to_list()) == {"SERUM", "PLACEBO"}
    ae, _ = read_xpt(sdtm_dir / "ae.xpt")
    live = ae.filter(pl.col("AETERM") == "migraine (recorded live)")
    # onset 2024-03-16, day 0 (first injection) 2024-03-09: SDTM study day 8 (no day 0)
    assert live.select("AESTDTC", "AESTDY", "AEOUT").row(0) == (
        "2024-03-16",
        8.0,
        "RECOVERED/RESOLVED",
    )
    qs, _ = read_xpt(sdtm_dir / "qs.xpt")
    easi = {col: code for col, code, _ in qs_codes("easi")}
    scorad = {col: code for col, code, _ in qs_codes("scorad")}
    wanted = {easi["head_neck_erythema"], easi["total"], "DLQI01", "DLQITOT", scorad["total"]}
    assert wanted <= set(qs["QSTESTCD"].to_list())
    totals = qs.filter(pl.col("QSDRVFL") == "Y")
    assert totals.height == 172  # one total per assessment of the fixture
    lb, _ = read_xpt(sdtm_dir / "lb.xpt")
    assert lb.select("LBTESTCD", "LBSTRESN", "LBNRIND").row(0) == ("IGE", 1250.5, "HIGH")
    vs, _ = read_xpt(sdtm_dir / "vs.xpt")  # the fixture's week-4 signs, one row per sign
    assert vs.select("VSTESTCD", "VSORRES", "VSSTRESN", "VSSTRESU", "VISITNUM").rows() == [
        ("SYSBP", "128", 128.0, "mmHg", 3.0),
        ("DIABP", "82", 82.0, "mmHg", 3.0),
        ("PULSE", "64", 64.0, "beats/min", 3.0),
        ("TEMP", "36.8", 36.8, "C", 3.0),
        ("WEIGHT", "70.25", 70.25, "kg", 3.0),
    ]
    ex, _ = read_xpt(sdtm_dir / "ex.xpt")
    assert ex.select("EXTRT", "EXDOSE", "EXLOC").row(0) == ("SERUM", 5.0, "=ST36")
    # the first subject's history (tests/exports/conftest.py): DM race and ethnicity, AD and
    # two comorbidities in MH, the previous systemic treatment in CM with its years
    first = dm.filter(pl.col("RACE").is_not_null())
    assert first.select("RACE", "ETHNIC", "BRTHDTC").rows() == [
        ("ASIAN", "NOT HISPANIC OR LATINO", None),
    ]
    mh, _ = read_xpt(sdtm_dir / "mh.xpt")
    assert mh.select("MHSEQ", "MHTERM", "MHCAT", "MHPRESP", "MHENRTPT").rows() == [
        (1.0, "ATOPIC DERMATITIS", "PRIMARY DIAGNOSIS", "Y", "ONGOING"),
        (2.0, "ASTHMA", "ATOPIC COMORBIDITY", "Y", "ONGOING"),
        (3.0, "CONTACT ALLERGY TO NICKEL", "ATOPIC COMORBIDITY", None, "BEFORE"),
    ]
    cm, _ = read_xpt(sdtm_dir / "cm.xpt")
    prior = cm.filter(pl.col("CMCAT") == "PRIOR SYSTEMIC THERAPY")
    assert prior.select("CMTRT", "CMSTDTC", "CMENDTC", "CMINDC").rows() == [
        ("ciclosporin", "2019", "2021", "ATOPIC DERMATITIS"),
    ]


def test_define_xml_describes_every_dataset(sdtm_dir: Path) -> None:
    tree = etree.parse(str(sdtm_dir / "define.xml"))  # well-formed or it raises
    root = tree.getroot()
    assert root.get("ODMVersion") == "1.3.2"
    groups = {g.get("Name"): g for g in root.iter(f"{ODM}ItemGroupDef")}
    assert set(groups) == {p.stem.upper() for p in sdtm_dir.glob("*.xpt")}
    items = {i.get("OID") for i in root.iter(f"{ODM}ItemDef")}
    for name, group in groups.items():
        refs = [r.get("ItemOID") for r in group.iter(f"{ODM}ItemRef")]
        assert refs == [f"IT.{name}.{v}" for v in DATASETS[name].names]
        assert set(refs) <= items
    codelists = {c.get("OID") for c in root.iter(f"{ODM}CodeList")}
    assert {"CL.AESEV", "CL.AEOUT"} <= codelists
    assert_valid_define(sdtm_dir / "define.xml")


def test_blinded_and_deidentified(study_db: str, tmp_path: Path) -> None:
    out = _sdtm(study_db, tmp_path / "stat", actor=STATISTICIAN)
    assert not (out / "ex.xpt").exists()
    ec, _ = read_xpt(out / "ec.xpt")
    assert set(ec["ECTRT"].to_list()) == {"MASKED STUDY PRODUCT"}
    dm, _ = read_xpt(out / "dm.xpt")
    assert set(dm["ARMCD"].to_list()) == {"BLINDED"}
    for path in out.glob("*.xpt"):
        if path.stem in ("ta", "ts", "te", "tv", "ti"):
            continue  # the protocol's design names its arms; no subject is placed in one
        frame, _ = read_xpt(path)
        assert b"Autologous serum" not in path.read_bytes(), path.name
        for column in (c for c in frame.columns if c.endswith("DTC")):
            assert frame[column].null_count() == frame.height, (path.name, column)
    sv, _ = read_xpt(out / "sv.xpt")
    assert sv["SVSTDY"].null_count() == 0  # study days kept from the visit plan


def test_cli_sdtm(study_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sdtm"
    with pytest.raises(SystemExit) as exc:
        main(["export", "--db", study_db, "--study", STUDY, "--format", "sdtm", "--out", str(out)])
    assert exc.value.code in (0, None)
    assert (out / "define.xml").is_file()
    assert (out / "dm.xpt").is_file()
    assert "exported SDTM" in capsys.readouterr().out


@pytest.fixture(scope="module")
def consent_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The export study with informed consent (``consent_records`` of the package tests: the
    first subject consented to 1.0 then 2.0, the fifth to the German 1.0, then withdrew)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sdtm_consent') / 'study.db'}"
    store = open_store(url, clock=lambda: TODAY, now=lambda: NOW)
    try:
        build_study(store)
        consent_records(store)
    finally:
        store.close()
    return url


def test_informed_consent_in_ds_and_dm(consent_db: str, tmp_path: Path) -> None:
    """SDTMIG DS: one PROTOCOL MILESTONE per consent signed (dated on its UTC day: the first
    subject's 2024-01-10T09:30+01:00 and 2024-05-20T14:00+02:00; the fifth's 2024-01-12), the
    withdrawal of consent as a dated disposition event (2024-04-02, reason ``moved away``);
    DM RFICDTC the first consent's date."""
    store = open_store(consent_db, clock=lambda: TODAY)
    try:
        content = store.exports.package(STUDY, actor=ADMIN)
    finally:
        store.close()
    subjects = [str(s["subject_id"]) for s in content.rows["subject"]]
    out = _sdtm(consent_db, tmp_path / "sdtm")
    ds, _ = read_xpt(out / "ds.xpt")
    first, fifth = (f"{STUDY}-{subjects[0]}", f"{STUDY}-{subjects[4]}")
    milestones = ds.filter(pl.col("DSCAT") == "PROTOCOL MILESTONE")
    assert set(milestones["DSDECOD"].to_list()) == {"INFORMED CONSENT OBTAINED"}
    assert milestones.select("USUBJID", "DSSTDTC").rows() == [
        (first, "2024-01-10"), (first, "2024-05-20"), (fifth, "2024-01-12"),
    ]  # fmt: skip
    events = ds.filter((pl.col("USUBJID") == fifth) & (pl.col("DSCAT") == "DISPOSITION EVENT"))
    withdrawn = events.filter(pl.col("DSDECOD") == "WITHDRAWAL BY SUBJECT")
    assert withdrawn.select("DSTERM", "DSSTDTC").rows() == [("MOVED AWAY", "2024-04-02")]
    # the subject's status was not changed to withdrawn: the withdrawal of consent is still
    # the subject's one disposition event (issue 15: it was two, the status and the withdrawal)
    assert events.height == 1
    assert ds.filter(pl.col("USUBJID") == fifth)["DSSEQ"].to_list() == [1.0, 2.0]
    # a subject whose status is withdrawn: the withdrawal of consent dates that disposition
    # event, no second WITHDRAWAL BY SUBJECT
    rows = dict(content.rows)
    rows["subject"] = [{**s, "status": "withdrawn"} if s["subject_id"] == subjects[4] else s
                       for s in content.rows["subject"]]  # fmt: skip
    merged = sdtm_domains(content.descriptor["autoserum"]["study"], rows)["DS"]
    events = merged.filter((pl.col("USUBJID") == fifth) & (pl.col("DSCAT") == "DISPOSITION EVENT"))
    assert events.select("DSDECOD", "DSSTDTC").rows() == [("WITHDRAWAL BY SUBJECT", "2024-04-02")]
    # a subject who had completed: that stays the one disposition event; the later withdrawal
    # of consent is an OTHER EVENT, dated
    rows["subject"] = [{**s, "status": "completed"} if s["subject_id"] == subjects[4] else s
                       for s in content.rows["subject"]]  # fmt: skip
    done = sdtm_domains(content.descriptor["autoserum"]["study"], rows)["DS"]
    done = done.filter((pl.col("USUBJID") == fifth) & (pl.col("DSCAT") != "PROTOCOL MILESTONE"))
    assert done.select("DSCAT", "DSDECOD", "DSSTDTC").rows() == [
        ("DISPOSITION EVENT", "COMPLETED", None),
        ("OTHER EVENT", "WITHDRAWAL OF CONSENT", "2024-04-02"),
    ]
    dm, _ = read_xpt(out / "dm.xpt")
    rfic = dict(dm.select("USUBJID", "RFICDTC").rows())
    assert (rfic[first], rfic[fifth]) == ("2024-01-10", "2024-01-12")
    assert sum(v is not None for v in rfic.values()) == 2
    assert_valid_define(out / "define.xml")
    # de-identified: the milestones stay, undated; no reason
    stat = _sdtm(consent_db, tmp_path / "stat", actor=STATISTICIAN)
    ds, _ = read_xpt(stat / "ds.xpt")
    assert ds.filter(pl.col("DSCAT") == "PROTOCOL MILESTONE").height == 3
    assert ds["DSSTDTC"].null_count() == ds.height
    assert "MOVED AWAY" not in ds["DSTERM"].to_list()
    dm, _ = read_xpt(stat / "dm.xpt")
    assert dm["RFICDTC"].null_count() == dm.height
