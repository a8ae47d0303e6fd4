"""CDISC ODM 1.3.2 (issue 15, item 4): the study's metadata and clinical data, optionally its
audit trail and signatures, valid against CDISC's ODM 1.3.2 schema (``schemas/odm1-3-2``,
MIT licence, see its README), blinded and de-identified variants, and export → import → the
same study."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from lxml import etree
from typer.testing import CliRunner

from autoserum.accounts import hash_password
from autoserum.cli import app, main
from autoserum.errors import ValidationError
from autoserum.store import Actor, Store, open_store, package_files
from autoserum.study.entities import REVIEW_REGISTRY
from autoserum.study.odm import NS
from tests.exports.conftest import NOW, STUDY, build_study
from tests.exports.test_package import consent_records
from tests.store.helpers import ADMIN, STATISTICIAN, TODAY

runner = CliRunner()
SCHEMA = Path(__file__).parent / "schemas" / "odm1-3-2" / "ODM1-3-2.xsd"
PASSWORD = "correct horse battery staple"
Q = f"{{{NS}}}"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@pytest.fixture(scope="module")
def signed_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The export test study with one subject's casebook signed (review) by an investigator,
    and informed consent (``consent_records`` of the package tests: three documents, the first
    subject's consent and re-consent, the fifth subject's consent, then withdrawn)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('odm') / 'study.db'}"
    store = open_store(url, clock=lambda: TODAY, now=lambda: NOW)
    try:
        build_study(store)
        consent_records(store)
        subject = store.exports.package(STUDY, actor=ADMIN).rows["subject"][0]
        sites = frozenset({(STUDY, str(subject["site"]))})
        store.accounts.create_user("ivan", hash_password(PASSWORD), "investigator", sites,
                                   actor=ADMIN, full_name="Ivan Petrov")  # fmt: skip
        store.signatures.sign(
            STUDY, "casebook", actor=Actor("ivan", "investigator", sites), password=PASSWORD,
            meaning="review", subject_id=str(subject["subject_id"]),
        )  # fmt: skip
    finally:
        store.close()
    return url


def _odm(url: str, actor: Actor = ADMIN, **kw: Any) -> bytes:
    store = open_store(url, clock=lambda: TODAY, now=lambda: NOW)
    try:
        return store.exports.odm(STUDY, actor=actor, **kw)
    finally:
        store.close()


def _valid(schema: etree.XMLSchema, data: bytes) -> None:
    doc = etree.fromstring(data)
    assert schema.validate(doc), [f"{e.line}: {e.message}" for e in schema.error_log][:5]


def test_every_variant_is_valid_against_the_odm_1_3_2_schema(
    signed_db: str, schema: etree.XMLSchema
) -> None:
    variants: list[dict[str, bool]] = [
        {}, {"with_audit": True}, {"blinded": True, "with_audit": True}, {"deidentified": True}
    ]  # fmt: skip
    for kw in variants:
        _valid(schema, _odm(signed_db, ADMIN, **kw))
    _valid(schema, _odm(signed_db, actor=STATISTICIAN))
    # and the schema can fail: an ItemGroupData without its ItemGroupOID is refused
    doc = etree.fromstring(_odm(signed_db))
    group = doc.find(f".//{Q}ItemGroupData[@ItemGroupOID='IG.ADVERSE_EVENT']")
    assert group is not None
    del group.attrib["ItemGroupOID"]
    assert not schema.validate(doc)
    assert "ItemGroupOID" in str(schema.error_log.last_error)


def test_metadata_comes_from_the_protocol_and_the_registries(signed_db: str) -> None:
    doc = etree.fromstring(_odm(signed_db))
    mdv = doc.find(f"{Q}Study/{Q}MetaDataVersion")
    assert mdv is not None
    events = [e.get("OID") for e in mdv.iterfind(f"{Q}StudyEventDef")]
    # ast-nahm2023's planned visits, then the unscheduled and the subject's common event
    assert events[0] == "SE.screening"
    assert events[-2:] == ["SE.UNSCHEDULED", "SE.SUBJECT"]
    forms = {f.get("OID") for f in mdv.iterfind(f"{Q}FormDef")}
    assert {"F.QS.EASI", "F.QS.SCORAD", "F.ADVERSE_EVENT", "F.CON_MED", "F.ALIQUOT"} <= forms
    # an instrument's answer codes with their points as Rank (DLQI q1: 0-3, instrument registry)
    q1 = mdv.find(f"{Q}CodeList[@OID='CL.QS.DLQI.q1']")
    if q1 is not None:
        assert [i.get("Rank") for i in q1] == ["0", "1", "2", "3"]
    severity = mdv.find(f"{Q}CodeList[@OID='CL.ADVERSE_EVENT.severity']")
    assert severity is not None
    assert [i.get("CodedValue") for i in severity] == ["mild", "moderate", "severe"]
    arm = mdv.find(f"{Q}CodeList[@OID='CL.ARM']")
    assert arm is not None
    assert {i.get("CodedValue") for i in arm} == {"serum", "placebo"}
    easi = mdv.find(f"{Q}ItemDef[@OID='IT.QS.EASI.head_neck_erythema']")
    assert easi is not None
    assert easi.get("DataType") == "float"


def test_export_import_gives_the_same_study(signed_db: str, tmp_path: Path) -> None:
    path = tmp_path / "study.odm.xml"
    path.write_bytes(_odm(signed_db, with_audit=True))
    source = open_store(signed_db, clock=lambda: TODAY)
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        counts = copy.exports.import_odm(STUDY, path, actor=ADMIN)
        first = package_files(source.exports.package(STUDY, actor=ADMIN))
        second = package_files(copy.exports.package(STUDY, actor=ADMIN))
        long_first = source.exports.long(STUDY, actor=ADMIN)
        long_second = copy.exports.long(STUDY, actor=ADMIN)
        audit = copy.audit.trail(STUDY, actor=ADMIN)
    finally:
        source.close()
        copy.close()
    assert counts["subjects"] == 12
    assert counts["assessments"] > 100
    # the informed consent (fixture ``consent_records``): compared below byte for byte
    assert (counts["consent_documents"], counts["consents"]) == (3, 3)
    assert second["consents.csv"].count(b"\n") == 4
    # every file byte for byte but the records about the data (signatures, verifications,
    # locks, queries), which ODM carries as its audit records only and import does not restore
    review = {spec.table for spec in REVIEW_REGISTRY.values()}
    data = [n for n in first if n.split(".")[0] not in review]
    assert [n for n in data if first[n] != second[n]] == []
    assert long_first.equals(long_second)
    assert "ODM import study.odm.xml" in {r.reason for r in audit}


def test_audit_trail_and_signatures(signed_db: str) -> None:
    doc = etree.fromstring(_odm(signed_db, with_audit=True))
    clinical = doc.find(f"{Q}ClinicalData")
    assert clinical is not None
    records = clinical.findall(f"{Q}AuditRecords/{Q}AuditRecord")
    assert len(records) > 100
    changes = [r.findtext(f"{Q}SourceID") or "" for r in records]
    assert any(c.startswith("adverse_event ") and "migraine (recorded live)" in c for c in changes)
    (signature,) = clinical.findall(f"{Q}Signatures/{Q}Signature")
    assert signature.find(f"{Q}UserRef").get("UserOID") == "USR.ivan"
    assert signature.find(f"{Q}SignatureRef").get("SignatureOID") == "SD.review"
    ivan = doc.find(f"{Q}AdminData/{Q}User[@OID='USR.ivan']")
    assert ivan is not None
    assert ivan.findtext(f"{Q}FullName") == "Ivan Petrov"
    assert doc.find(f"{Q}AdminData/{Q}SignatureDef[@OID='SD.review']") is not None
    # a blinded export masks the arm in the audit trail, even for the admin who asked for it
    blinded = _odm(signed_db, blinded=True, with_audit=True)
    assert b'arm: null -> \\"serum\\"' not in blinded
    assert b"IT.SUBJECT.arm" not in blinded
    identified = _odm(signed_db, with_audit=True)
    assert b"IT.SUBJECT.arm" in identified


def test_blinded_and_deidentified_variants(signed_db: str) -> None:
    stat = _odm(signed_db, actor=STATISTICIAN)
    for absent in ("IT.SUBJECT.arm", "IT.INJECTION.product", "IT.VISIT.visit_date",
                   "IT.ADVERSE_EVENT.onset_date", "IT.UNBLINDING.username", "CL.ARM"):  # fmt: skip
        assert f'"{absent}"'.encode() not in stat, absent
    assert b'"IT.VISIT.week"' in stat
    with pytest.raises(ValidationError, match="--with-audit"):
        _odm(signed_db, deidentified=True, with_audit=True)


def test_a_bad_value_is_refused_with_line_subject_and_item(signed_db: str, tmp_path: Path) -> None:
    text = _odm(signed_db).decode()
    bad = tmp_path / "bad.xml"
    bad.write_text(
        text.replace('ItemOID="IT.ADVERSE_EVENT.severity" Value="mild"',
                     'ItemOID="IT.ADVERSE_EVENT.severity" Value="grave"', 1),
        encoding="utf-8",
    )  # fmt: skip
    line = next(n for n, t in enumerate(bad.read_text().splitlines(), 1) if '"grave"' in t)
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        with pytest.raises(ValidationError) as err:
            copy.exports.import_odm("COPY", bad, actor=ADMIN)
        assert copy.studies.all() == []  # nothing written
        # a de-identified file lacks required items (the dates): refused, naming one
        deid = tmp_path / "deid.xml"
        deid.write_bytes(_odm(signed_db, deidentified=True))
        with pytest.raises(
            ValidationError, match="item given_on: got None; expected the item present"
        ):
            copy.exports.import_odm("COPY", deid, actor=ADMIN)
    finally:
        copy.close()
    message = str(err.value)
    assert message.startswith(f"ODM line {line} SubjectKey ")
    assert "IG.ADVERSE_EVENT item severity: got 'grave'; expected one of mild" in message


def test_cli_odm_export_and_import(
    signed_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exp.xml"
    args = ["export", "--db", signed_db, "--study", STUDY, "--format", "odm", "--out", str(out)]
    done = runner.invoke(app, [*args, "--with-audit"])
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"<?xml")
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    done = runner.invoke(app, ["import", str(out), "--format", "odm", "--db", copy, "--study", "C"])
    assert done.exit_code == 0, done.output
    assert "imported ODM file into study C: 1 sites, 12 subjects" in done.output
    with pytest.raises(SystemExit) as exc:
        main(["export", "--db", signed_db, "--study", STUDY, "--format", "sdtm",
              "--out", str(tmp_path / "s"), "--with-audit"])  # fmt: skip
    assert exc.value.code == 2
    assert "--with-audit: got 'sdtm'; expected --format odm" in capsys.readouterr().err


def _store(url: str) -> Store:
    return open_store(url, clock=lambda: TODAY)


def test_tidy_frame_of_the_copy_keeps_its_columns(signed_db: str) -> None:
    """The visit frame the round trip compares is not empty (a comparison that can fail)."""
    store = _store(signed_db)
    try:
        frame = store.exports.long(STUDY, actor=ADMIN)
    finally:
        store.close()
    assert frame.height > 40
    assert frame.schema["easi"] == pl.Float64


def test_informed_consent_in_odm(signed_db: str) -> None:
    """Consent documents as a repeating reference item group, consents as a repeating item
    group of the subject's common event, linked to their document by its record number; a
    de-identified file keeps whether consent was withdrawn, no date and no name."""
    doc = etree.fromstring(_odm(signed_db))
    mdv = doc.find(f"{Q}Study/{Q}MetaDataVersion")
    assert mdv is not None
    documents = mdv.find(f"{Q}ItemGroupDef[@OID='IG.CONSENT_DOCUMENT']")
    assert documents is not None
    assert (documents.get("IsReferenceData"), documents.get("Repeating")) == ("Yes", "Yes")
    subject_event = mdv.find(f"{Q}StudyEventDef[@OID='SE.SUBJECT']")
    assert subject_event is not None
    assert "F.CONSENT" in {r.get("FormOID") for r in subject_event}
    group = "ItemGroupData[@ItemGroupOID='IG.CONSENT_DOCUMENT']"
    reference = doc.findall(f"{Q}ReferenceData/{Q}{group}")
    assert [g.get("ItemGroupRepeatKey") for g in reference] == ["1", "2", "3"]
    consents = doc.findall(f".//{Q}SubjectData/{Q}StudyEventData[@StudyEventOID='SE.SUBJECT']"
                           f"/{Q}FormData[@FormOID='F.CONSENT']/{Q}ItemGroupData")  # fmt: skip
    values = [{i.get("ItemOID"): i.get("Value") for i in g} for g in consents]
    assert [v["IT.CONSENT.document"] for v in values] == ["1", "3", "2"]
    assert next(v["IT.CONSENT.consented_at"] for v in values) == "2024-01-10T08:30:00+00:00"
    assert [v.get("IT.CONSENT.withdrawn_on") for v in values] == [None, None, "2024-04-02"]
    stat = _odm(signed_db, actor=STATISTICIAN)
    assert b"IT.CONSENT.withdrawn" in stat
    assert b"moved away" not in stat
    assert b"2024-04-02" not in stat
    assert b"Dr Ana Ruiz" not in stat


def test_a_consent_breaking_the_consent_rules_is_refused(signed_db: str, tmp_path: Path) -> None:
    """The import checks consent with the consent service's rules (``study.consent``): a
    consent signed before its document took effect (1.0 en: 2023-11-01), a withdrawal dated
    before the subject's consent; all or nothing, the error names the line and subject."""
    text = _odm(signed_db).decode()
    early = text.replace('Value="2024-01-10T08:30:00+00:00"', 'Value="2023-10-31T08:30:00+00:00"')
    withdrawn = text.replace('ItemOID="IT.CONSENT.withdrawn_on" Value="2024-04-02"',
                             'ItemOID="IT.CONSENT.withdrawn_on" Value="2024-01-01"')  # fmt: skip
    assert early != text
    assert withdrawn != text
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        for bad, expected in (
            (early, "expected a date on or after 2023-11-01, when version 1.0 took effect"),
            (withdrawn, "expected a date on or after the consent (2024-01-12)"),
        ):
            path = tmp_path / "bad.xml"
            path.write_text(bad, encoding="utf-8")
            with pytest.raises(ValidationError, match=re.escape(expected)) as err:
                copy.exports.import_odm("COPY", path, actor=ADMIN)
            assert str(err.value).startswith("ODM line "), str(err.value)
            assert "SubjectKey " in str(err.value)
            assert "IG.CONSENT" in str(err.value)
            assert copy.studies.all() == []  # nothing written
    finally:
        copy.close()
