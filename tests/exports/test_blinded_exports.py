"""Blinded exports leave out what reveals the arm (issue 13 item 6, issue 15 items 1 and 7).

In a double-blind serum-vs-saline study the saline arm's kits are filled without a blood draw,
so the product chain's records (draws, processings, aliquots, storage events, disposals) exist
only for the serum arm and a kit's or injection's link to them tells who got serum. A blinded
export carries what a blinded role sees in the web app (the entity registry's
``masked_for_blinded`` record types and fields, its ``masked_links``), no more: here every
subject of both arms has the same records, so that whatever remains cannot be told apart by
arm."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import frictionless
import polars as pl
import pytest
from lxml import etree

from autoserum.errors import ValidationError
from autoserum.store import Store, open_store, package_files, write_package
from autoserum.study.entities import PRODUCT_DEVIATION, REGISTRY
from autoserum.study.fhir import fhir_bundle
from autoserum.study.package import key_columns, link_column, package_types
from tests.exports.conftest import NOW
from tests.store.helpers import ADMIN, PREPARER, TODAY, double_blind_study, enrolled

STUDY = "DB-1"
MASKED_TYPES = {s.table for s in REGISTRY.values() if s.masked_for_blinded}
"""The record types whose presence reveals the arm (the registry's)."""
MASKED_COLUMNS = {
    s.table: {link_column(link) for link in s.masked_links}
    | {f.export or f.name for f in s.fields if f.masked_for_blinded}
    for s in REGISTRY.values()
}
"""Per file, the columns that reveal the arm (masked links and fields, the registry's)."""
ARMS = {"serum", "placebo"}


def build(store: Store) -> dict[str, str]:
    """``ast-nahm2023`` (autologous serum vs saline, double-blind), six subjects randomised
    (the seeded list gives both arms); each serum subject's blood drawn, processed and made
    into two aliquots (one frozen, one disposed), a kit filled from the first; each saline
    subject's kit filled with saline; every subject injected once by the kit's code. The first
    serum subject's processing clotted too short (a ``product_process`` deviation) and a
    monitor's query on its blood draw (their existence would reveal the arm). Every subject
    also has a second kit (serum from the first aliquot, or saline) disposed of by its code
    (``disposals.preparation_id``), a kit's disposal of either arm. Returns each subject's
    arm."""
    double_blind_study(store, STUDY)
    arms = {sid: enrolled(store, STUDY, sid) for sid in ("S1", "S2", "S3", "S4", "S5", "S6")}
    assert set(arms.values()) == ARMS, arms
    queried = False
    for subject, arm in sorted(arms.items()):
        if arm == "serum":
            draw = store.product.draw(STUDY, subject, actor=PREPARER, volume_ml="40")
            processing = store.product.process(
                STUDY, draw.code, actor=PREPARER, clotting_minutes=20 if not queried else 30,
                centrifuge_g=1500, centrifuge_minutes=10,
            )  # fmt: skip
            made = store.product.make_aliquots(STUDY, processing.id, actor=PREPARER, count=2)
            store.product.storage_event(STUDY, made[1].code, "frozen", actor=PREPARER,
                                        temperature=-20)  # fmt: skip
            store.product.dispose(STUDY, made[1].code, actor=PREPARER, reason="dropped")
            kit = store.product.prepare_kit(
                STUDY, subject, actor=PREPARER, aliquot_code=made[0].code, volume_ml="5"
            )
            spare = store.product.prepare_kit(
                STUDY, subject, actor=PREPARER, aliquot_code=made[0].code, volume_ml="5"
            )
            if not queried:
                store.queries.open(STUDY, "blood_draw", draw.id, "Tube type?", actor=ADMIN)
                queried = True
        else:
            kit = store.product.prepare_kit(STUDY, subject, actor=PREPARER, volume_ml="5")
            spare = store.product.prepare_kit(STUDY, subject, actor=PREPARER, volume_ml="5")
        store.product.dispose(STUDY, spare.code, actor=PREPARER, reason="label smudged")
        store.records.add_injection(
            STUDY, subject, TODAY, actor=ADMIN, volume_ml="5", product_code=kit.code
        )
    return arms


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('blinded') / 'study.db'}"
    store = open_store(url, clock=lambda: TODAY, now=lambda: NOW)
    try:
        arms = build(store)
    finally:
        store.close()
    return url, arms


def _store(url: str) -> Store:
    return open_store(url, clock=lambda: TODAY, now=lambda: NOW)


def _files(url: str, **kw: bool) -> dict[str, bytes]:
    store = _store(url)
    try:
        return package_files(store.exports.package(STUDY, actor=ADMIN, **kw))
    finally:
        store.close()


def _csv(files: dict[str, bytes], name: str) -> pl.DataFrame:
    return pl.read_csv(files[name], infer_schema=False) if files[name].strip() else pl.DataFrame()


def test_the_unblinded_package_holds_the_chain(built: tuple[str, dict[str, str]]) -> None:
    """The fixture's chain is there unblinded (so the blinded test below can fail): two serum
    subjects' draws and four aliquots, the serum kits linked to their aliquots, and every
    subject's spare kit's disposal linked to its kit."""
    url, arms = built
    files = _files(url)
    serum = sum(1 for a in arms.values() if a == "serum")
    assert _csv(files, "blood_draws.csv").height == serum
    assert _csv(files, "aliquots.csv").height == 2 * serum
    kits = _csv(files, "preparations.csv")
    assert kits.filter(pl.col("aliquot").is_not_null()).height == 2 * serum
    disposals = _csv(files, "disposals.csv")
    assert {"aliquot", "preparation", "blood_draw"} <= set(disposals.columns)
    assert disposals.filter(pl.col("preparation").is_not_null()).height == len(arms)
    assert disposals.filter(pl.col("aliquot").is_not_null()).height == serum
    assert "blood_draw" in _csv(files, "queries.csv")["entity"].to_list()
    assert PRODUCT_DEVIATION in _csv(files, "deviations.csv")["category"].to_list()


def test_the_blinded_package_cannot_tell_the_arms_apart(
    built: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """No file of a record type whose presence reveals the arm, no masked column, no record
    about a left-out record (the query on a draw); every remaining file has as many rows per
    subject in either arm, and the same values but for the subject, record numbers and codes;
    frictionless validates it (its foreign keys name only files it holds)."""
    url, arms = built
    files = _files(url, blinded=True)
    desc = json.loads(files["datapackage.json"])
    held = {r["name"] for r in desc["resources"]}
    assert held == {s.table for s in package_types(blinded=True)}
    chain = {"blood_draws", "processings", "aliquots", "storage_events", "disposals"}
    assert chain == MASKED_TYPES
    assert not held & MASKED_TYPES
    assert not {n for n in files if n.split(".")[0] in MASKED_TYPES}
    for resource in desc["resources"]:
        names = {f["name"] for f in resource["schema"]["fields"]}
        assert not names & MASKED_COLUMNS.get(resource["name"], set()), resource["name"]
        for fk in resource["schema"].get("foreignKeys", []):
            assert fk["reference"]["resource"] in held, (resource["name"], fk)
    assert {"aliquot", "blood_draw", "product", "prepared_by"}.isdisjoint(
        _csv(files, "preparations.csv").columns
    )
    assert {"aliquot", "draw", "product"}.isdisjoint(_csv(files, "injections.csv").columns)
    assert "blood_draw" not in files["queries.csv"].decode()
    assert PRODUCT_DEVIATION.encode() not in files["deviations.csv"]
    # the query on a draw and its message are left out, the automatic checks' queries stay
    full = _files(url)
    queries, messages = _csv(files, "queries.csv"), _csv(files, "query_messages.csv")
    assert queries.height == _csv(full, "queries.csv").height - 1
    assert messages.height == _csv(full, "query_messages.csv").height - 1
    chain = {s.name for s in REGISTRY.values() if s.masked_for_blinded}
    assert not set(queries["entity"].to_list()) & chain
    assert set(messages["query"].to_list()) <= set(queries["record"].to_list())
    by_arm: dict[str, dict[str, Counter[tuple[Any, ...]]]] = {}
    for resource in desc["resources"]:
        frame = _csv(files, resource["path"])
        if frame.is_empty() or "subject_id" not in frame.columns:
            continue
        # what a row says beyond who it is about: record numbers and label codes differ
        ignored = {"subject_id", "record", "preparation", "code", "product_code", "target"}
        kept = [c for c in frame.columns if c not in ignored]
        for row in frame.iter_rows(named=True):
            arm = arms.get(row["subject_id"] or "")
            if arm is None:
                continue
            key = tuple(row[c] for c in kept)
            by_arm.setdefault(resource["name"], {}).setdefault(arm, Counter())[key] += 1
    per_subject = Counter(arms.values())
    assert by_arm["preparations"]
    assert by_arm["injections"]
    for name, seen in by_arm.items():
        if name in ("subjects", "queries", "query_messages"):
            continue  # a subject's own data; the fixture's only query was about a draw
        # as many rows per subject in either arm, with the same values
        shapes = {
            arm: Counter({k: n / per_subject[arm] for k, n in c.items()}) for arm, c in seen.items()
        }
        assert shapes.get("serum") == shapes.get("placebo"), name
    for text in (files[n] for n in files if n.endswith(".csv")):
        assert b"serum" not in text
        assert b"saline" not in text
    write_package(_package(url, blinded=True), tmp_path / "blind")
    report = frictionless.validate(str(tmp_path / "blind" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def _package(url: str, **kw: bool) -> Any:
    store = _store(url)
    try:
        return store.exports.package(STUDY, actor=ADMIN, **kw)
    finally:
        store.close()


def test_blinded_export_import_export_is_byte_identical(
    built: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """A blinded package imports into a new study (no arms, no product chain; the products
    and the kits' preparer it lacks recorded as ``none`` and ``blinded``), and the copy's
    blinded package is the same bytes."""
    url, _ = built
    first = tmp_path / "first.zip"
    write_package(_package(url, blinded=True), first)
    copy = _store(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        counts = copy.exports.import_package(STUDY, first, actor=ADMIN)
        write_package(copy.exports.package(STUDY, actor=ADMIN, blinded=True), tmp_path / "2.zip")
        unblinded = package_files(copy.exports.package(STUDY, actor=ADMIN))
    finally:
        copy.close()
    assert (counts["subjects"], counts["preparations"], counts["injections"]) == (6, 12, 6)
    assert counts["blood_draws"] == counts["aliquots"] == counts["disposals"] == 0
    assert first.read_bytes() == (tmp_path / "2.zip").read_bytes()
    # what the copy lost: the arms, the chain, the kits' sources, the products given
    assert _csv(unblinded, "subjects.csv")["arm"].to_list() == [None] * 6
    assert _csv(unblinded, "blood_draws.csv").is_empty()
    kits = _csv(unblinded, "preparations.csv")
    assert set(kits["product"].to_list()) == {"none"}
    assert set(kits["prepared_by"].to_list()) == {"blinded"}
    assert kits["aliquot"].to_list() == [None] * 12
    assert set(_csv(unblinded, "injections.csv")["product"].to_list()) == {"none"}


def test_the_chain_with_kit_disposals_round_trips_unblinded(
    built: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """The unblinded package of the chain (aliquots' and kits' disposals, migration 0029)
    imports into a new store and exports the same bytes again."""
    url, arms = built
    first = tmp_path / "first.zip"
    write_package(_package(url), first)
    copy = _store(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        counts = copy.exports.import_package(STUDY, first, actor=ADMIN)
        write_package(copy.exports.package(STUDY, actor=ADMIN), tmp_path / "2.zip")
    finally:
        copy.close()
    serum = sum(1 for a in arms.values() if a == "serum")
    assert counts["disposals"] == len(arms) + serum
    assert first.read_bytes() == (tmp_path / "2.zip").read_bytes()


def test_a_blinded_package_of_the_chain_keys_is_refused_only_for_a_missing_key(
    built: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """An unblinded package still needs its link columns: an injections file without its
    ``aliquot`` column is refused, naming the file and column (so the tolerance is the
    blinded package's only)."""
    url, _ = built
    out = tmp_path / "full"
    write_package(_package(url), out)
    path = out / "injections.csv"
    frame = pl.read_csv(path, infer_schema=False).drop("aliquot")
    path.write_text(frame.write_csv(), encoding="utf-8")
    copy = _store(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        with pytest.raises(ValidationError, match=r"injections\.csv column aliquot"):
            copy.exports.import_package(STUDY, out, actor=ADMIN)
    finally:
        copy.close()
    assert "aliquot" in key_columns(REGISTRY["injection"])


# --- the other formats' blinded variants ---------------------------------------------------


def test_blinded_sdtm_has_ec_and_no_chain(
    built: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """SDTM of a blinded export: EC (masked treatment), no EX, no dataset or variable of the
    product chain, no product name."""
    from datetime import UTC, datetime

    from autoserum.study.cdisc import write_sdtm

    url, _ = built
    content = _package(url, blinded=True)
    meta = content.descriptor["autoserum"]
    write_sdtm(meta["study"], content.rows, tmp_path, masked=meta["blinded"],
               created=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    names = {p.name for p in tmp_path.glob("*.xpt")}
    assert "ec.xpt" in names
    assert "ex.xpt" not in names
    design = {"ta.xpt", "te.xpt", "tv.xpt", "ti.xpt", "ts.xpt"}  # the protocol's, public
    for path in tmp_path.glob("*.xpt"):
        if path.name in design:
            continue
        data = path.read_bytes()
        for word in (rb"(?<!AUTO)SERUM", rb"SALINE", rb"AL-0", rb"BD-0"):
            assert not re.search(word, data, re.IGNORECASE), (path.name, word)


def test_blinded_odm_has_no_chain_records_nor_kit_links(built: tuple[str, dict[str, str]]) -> None:
    """The blinded ODM file (with its audit trail) holds no item group data of the product
    chain, no kit or injection link to it, no audit record of the chain."""
    url, _ = built
    store = _store(url)
    try:
        blinded = store.exports.odm(STUDY, actor=ADMIN, blinded=True, with_audit=True)
        full = store.exports.odm(STUDY, actor=ADMIN, with_audit=True)
    finally:
        store.close()

    def data_groups(xml: bytes) -> tuple[set[str], set[str]]:
        doc = etree.parse(io.BytesIO(xml))
        groups = {e.get("ItemGroupOID") for e in doc.iter() if str(e.tag).endswith("ItemGroupData")}
        items = {e.get("ItemOID") for e in doc.iter() if str(e.tag).endswith("}ItemData")}
        return {g for g in groups if g}, {i for i in items if i}

    groups, items = data_groups(full)
    chain = {g for g in groups if any(t in g.upper() for t in ("BLOOD_DRAW", "ALIQUOT"))}
    assert chain  # the check can fail: the unblinded file holds them
    links = {i for i in items if i.upper().endswith((".ALIQUOT", ".BLOOD_DRAW"))}
    assert links
    groups, items = data_groups(blinded)
    assert not {g for g in groups if any(t in g.upper() for t in ("BLOOD_DRAW", "ALIQUOT"))}
    assert not {i for i in items if i.upper().endswith((".ALIQUOT", ".BLOOD_DRAW", ".DRAW"))}
    clinical = blinded.split(b"<ClinicalData")[1].split(b"<AuditRecords")[0]
    assert not re.search(rb"(?<!auto)serum|saline", clinical)
    # nor does its audit trail (the inserts of draws, aliquots, ...)
    audit = blinded.split(b"<AuditRecords")[1] if b"<AuditRecords" in blinded else b""
    assert b"blood_draw" in full.split(b"<AuditRecords")[1]
    assert audit
    for word in (b"blood_draw", b"aliquot_id", b"processing", b"storage_event", b"disposal",
                 PRODUCT_DEVIATION.encode()):  # fmt: skip
        assert word not in audit, word
    # each kit's insert has as many audit records whatever its arm (a serum kit's aliquot_id,
    # set for it only, would otherwise show, its value masked)
    kits = Counter(re.findall(rb"preparation (\d+) insert", audit))
    assert len(kits) == 12  # two kits a subject (one disposed of)
    assert len(set(kits.values())) == 1, kits
    # nor does its metadata declare them (a form it never fills)
    for oid in (b'"IG.BLOOD_DRAW"', b'"IG.ALIQUOT"', b'"IT.PREPARATION.aliquot"'):
        assert oid in full
        assert oid not in blinded


def test_blinded_redcap_has_no_chain_records_nor_kit_links(
    built: tuple[str, dict[str, str]],
) -> None:
    url, _ = built
    store = _store(url)
    try:
        blinded = store.exports.redcap(STUDY, actor=ADMIN, blinded=True)
        full = store.exports.redcap(STUDY, actor=ADMIN)
    finally:
        store.close()

    def used(files: dict[str, bytes]) -> tuple[set[str], set[str]]:
        records = pl.read_csv(files["records.csv"], infer_schema=False)
        forms = set(records["redcap_repeat_instrument"].drop_nulls().to_list())
        filled = {c for c in records.columns if records[c].drop_nulls().len()}
        return forms, filled

    forms, filled = used(full)
    assert {"blood_draw", "aliquot"} <= forms
    assert "preparation_aliquot" in filled
    forms, filled = used(blinded)
    assert not forms & {"blood_draw", "processing", "aliquot", "storage_event", "disposal"}
    assert not {c for c in filled if c.endswith(("_aliquot", "_blood_draw", "_draw"))}
    assert b"serum" not in blinded["records.csv"]
    forms = {
        str(f) for f in pl.read_csv(full["data_dictionary.csv"], infer_schema=False)[:, 1].to_list()
    }
    assert {"blood_draw", "aliquot"} <= forms
    dictionary = pl.read_csv(blinded["data_dictionary.csv"], infer_schema=False)
    assert not set(dictionary[:, 1].to_list()) & {"blood_draw", "processing", "aliquot"}
    assert "preparation_aliquot" not in dictionary[:, 0].to_list()


def test_blinded_fhir_has_no_product(built: tuple[str, dict[str, str]]) -> None:
    url, _ = built
    content = _package(url, blinded=True)
    bundle = fhir_bundle(content.descriptor["autoserum"]["study"], content.rows)
    public = ("ResearchStudy", "Questionnaire")  # the study's title and the instruments
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] in public:
            continue
        text = json.dumps(entry)
        for word in (r"(?<!auto)serum", "saline", "AL-0", "BD-0", "blood_draw", "aliquot"):
            assert not re.search(word, text, re.IGNORECASE), (word, text[:200])


def test_a_blinded_package_zip_names_no_chain_file(
    built: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, _ = built
    write_package(_package(url, blinded=True), tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        stems = {n.split(".")[0] for n in archive.namelist()}
    assert not stems & MASKED_TYPES
