"""The complete tidy data package (issue 15, item 1): every record type of the entity registry
and the records about the data (verifications, signatures, locks, queries; issue 12), a
Frictionless descriptor that validates, blinded and de-identified variants, the live adverse
event's onset week, and export → import → export giving the same bytes."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path

import frictionless
import polars as pl
import pytest
from typer.testing import CliRunner

from autoserum.accounts import hash_password
from autoserum.cli import app, main
from autoserum.errors import ValidationError
from autoserum.protocols import load_protocol
from autoserum.store import Actor, Store, open_store, package_files, write_package
from autoserum.study.entities import CONSENT_REGISTRY, REGISTRY, REVIEW_REGISTRY
from tests.exports.conftest import NOW, STUDY, build_study
from tests.store.helpers import ADMIN, MONITOR, STATISTICIAN, TODAY, double_blind_study, enrolled

runner = CliRunner()
PASSWORD = "correct horse battery staple"


def review_records(store: Store) -> None:
    """Records about the data on the export study: a casebook signature (review) invalidated
    by a later correction, a visit signature (authorship) and a study signature (approval)
    still valid; a lab and a visit verified, the lab's verification cleared by that
    correction; a record lock lifted and a subject lock; a query answered and closed, and a
    query on an assessment later deleted as entered in error (its target no longer stored)."""
    content = store.exports.package(STUDY, actor=ADMIN)
    subjects = content.rows["subject"]
    sites = frozenset({(STUDY, str(s["site"])) for s in subjects})
    store.accounts.create_user("ivan", hash_password(PASSWORD), "investigator", sites,
                               actor=ADMIN, full_name="Ivan Petrov")  # fmt: skip
    ivan = Actor("ivan", "investigator", sites)
    first, second = str(subjects[0]["subject_id"]), str(subjects[1]["subject_id"])
    detail = store.subjects.detail(STUDY, first, actor=ADMIN)
    lab = next(x for x in detail.labs if x.analyte == "ige" and x.ref_high is not None)
    visit = detail.visits[0]
    store.signatures.sign(STUDY, "casebook", actor=ivan, password=PASSWORD, meaning="review",
                          subject_id=first, timezone="Asia/Seoul")  # fmt: skip
    store.sdv.verify(STUDY, "lab", lab.id, actor=MONITOR)
    store.sdv.verify(STUDY, "visit", visit.id, actor=MONITOR)
    query = store.queries.open(STUDY, "lab", lab.id, "Value differs from the source",
                               actor=MONITOR, field="value")  # fmt: skip
    store.queries.answer(STUDY, query.id, "Corrected from the source", actor=ADMIN,
                         changes={"value": "1205.5"}, record_version=lab.version)  # fmt: skip
    store.queries.close(STUDY, query.id, "Verified", actor=MONITOR)
    other = store.subjects.detail(STUDY, second, actor=ADMIN)
    store.signatures.sign(STUDY, "visit", actor=ivan, password=PASSWORD, meaning="authorship",
                          subject_id=second, visit_code=other.visits[0].visit_code)  # fmt: skip
    ae = other.adverse_events[0] if other.adverse_events else None
    target = ("adverse_event", ae.id) if ae is not None else ("visit", other.visits[0].id)
    lock = store.locks.lock(STUDY, "record", actor=MONITOR, reason="SDV done",
                            entity=target[0], record_id=target[1])  # fmt: skip
    store.locks.unlock(STUDY, lock.id, actor=ADMIN, reason="correction requested")
    store.locks.lock(STUDY, "subject", actor=MONITOR, reason="casebook reviewed",
                     subject_id=str(subjects[2]["subject_id"]))  # fmt: skip
    third = store.subjects.detail(STUDY, str(subjects[3]["subject_id"]), actor=ADMIN)
    gone = third.assessments[0]
    store.queries.open(STUDY, "assessment", gone.id, "Entered twice?", actor=MONITOR)
    store.records.delete(STUDY, "assessment", gone.id, actor=ADMIN, reason="entered in error",
                         expected_version=gone.version)  # fmt: skip
    store.signatures.sign(STUDY, "study", actor=ivan, password=PASSWORD, meaning="approval")


def consent_records(store: Store) -> None:
    """Informed consent on the export study: three documents (1.0 and 2.0 in English, 1.0 in
    German), the first subject's consent to 1.0 (optional components, a witness whose name
    starts like a spreadsheet formula) and re-consent to 2.0; the fifth subject's consent to
    the German 1.0 given by a legally authorised representative, then withdrawn; the first
    consent verified by the monitor. Dates before the simulated visits (2024)."""
    content = store.exports.package(STUDY, actor=ADMIN)
    subjects = [str(s["subject_id"]) for s in content.rows["subject"]]
    store.consent.add_document(STUDY, "1.0", "en", "2023-11-01", actor=ADMIN,
                               content=b"ICF 1.0 en", title="Information and consent")  # fmt: skip
    store.consent.add_document(STUDY, "1.0", "de", "2023-11-15", actor=ADMIN, sha256="ab" * 32)
    store.consent.add_document(STUDY, "2.0", "en", "2024-05-01", actor=ADMIN, sha256="cd" * 32)
    first = store.consent.record(
        STUDY, subjects[0], "1.0", "2024-01-10T09:30:00+01:00", actor=ADMIN, language="en",
        obtained_by="Dr Ana Ruiz", witness="=Jo Bloggs",
        components={"photographs": True, "sample_storage": False},
    )  # fmt: skip
    store.consent.record(STUDY, subjects[0], "2.0", "2024-05-20T14:00:00+02:00", actor=ADMIN,
                         language="en", obtained_by="Dr Ana Ruiz")  # fmt: skip
    store.consent.record(STUDY, subjects[4], "1.0", "2024-01-12T10:00:00+01:00", actor=ADMIN,
                         language="de", obtained_by="Dr Ben Vogel",
                         representative="Ute Vogel (mother)")  # fmt: skip
    store.consent.withdraw(STUDY, subjects[4], "2024-04-02", actor=ADMIN, reason="moved away")
    assert first.id is not None
    store.sdv.verify(STUDY, "consent", first.id, actor=MONITOR)


@pytest.fixture(scope="module")
def study_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The export study (``tests/exports/conftest.py``) with informed consent and records
    about its data."""
    url = f"sqlite:///{tmp_path_factory.mktemp('package') / 'study.db'}"
    store = open_store(url, clock=lambda: TODAY, now=lambda: NOW)
    try:
        build_study(store)
        consent_records(store)
        review_records(store)
    finally:
        store.close()
    return url


def _package(url: str, actor: Actor = ADMIN, **kw: bool) -> dict[str, bytes]:
    store = open_store(url, clock=lambda: TODAY)
    try:
        return package_files(store.exports.package(STUDY, actor=actor, **kw))
    finally:
        store.close()


def _csv(files: dict[str, bytes], name: str) -> pl.DataFrame:
    return pl.read_csv(files[name], infer_schema=False)


def test_every_record_type_of_the_registry_is_a_resource(study_db: str) -> None:
    files = _package(study_db)
    desc = json.loads(files["datapackage.json"])
    every = [*REGISTRY.values(), *CONSENT_REGISTRY.values(), *REVIEW_REGISTRY.values()]
    assert [r["autoserum:entity"] for r in desc["resources"]] == [spec.name for spec in every]
    for spec in every:
        assert f"{spec.table}.csv" in files
        assert f"{spec.table}.parquet" in files
    lab = next(r for r in desc["resources"] if r["name"] == "labs")
    flag = next(f for f in lab["schema"]["fields"] if f["name"] == "flag")
    assert flag["constraints"]["enum"] == ["low", "normal", "high"]
    to_visit = {"resource": "visits", "fields": ["subject_id", "visit"]}
    assert {"fields": ["subject_id", "visit"], "reference": to_visit} in lab["schema"][
        "foreignKeys"
    ]
    # every record kind recorded in the fixture is there
    for name in ("con_meds", "deviations", "unblindings", "labs", "blood_draws", "processings"):
        assert _csv(files, f"{name}.csv").height == 1, name
    assert _csv(files, "aliquots.csv")["processing"].to_list() == ["1", "1"]
    # the second injection was given by its aliquot's code: linked by record number
    assert _csv(files, "injections.csv")["aliquot"].to_list() == [None, "1"]
    injections = next(r for r in desc["resources"] if r["name"] == "injections")
    to_aliquot = {"resource": "aliquots", "fields": ["record"]}
    assert {"fields": ["aliquot"], "reference": to_aliquot} in injections["schema"]["foreignKeys"]


def test_frictionless_validates_the_package(study_db: str, tmp_path: Path) -> None:
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        write_package(store.exports.package(STUDY, actor=ADMIN), tmp_path / "pkg")
    finally:
        store.close()
    report = frictionless.validate(str(tmp_path / "pkg" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # and it can fail: a severity outside the vocabulary is reported
    ae = tmp_path / "pkg" / "adverse_events.csv"
    ae.write_text(ae.read_text(encoding="utf-8").replace(",mild,", ",grave,", 1), encoding="utf-8")
    bad = frictionless.validate(str(tmp_path / "pkg" / "datapackage.json"))
    assert not bad.valid
    assert sorted({e[0] for e in bad.flatten(["type"])}) == ["constraint-error"]


def test_frictionless_validates_the_blinded_and_deidentified_packages(
    study_db: str, tmp_path: Path
) -> None:
    """The variants leave columns out; their descriptors, keys and foreign keys (consents to
    consent documents among them) still validate."""
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        write_package(store.exports.package(STUDY, actor=STATISTICIAN), tmp_path / "stat")
        write_package(store.exports.package(STUDY, actor=ADMIN, blinded=True), tmp_path / "blind")
    finally:
        store.close()
    for name in ("stat", "blind"):
        report = frictionless.validate(str(tmp_path / name / "datapackage.json"))
        assert report.valid, (name, report.flatten(["rowNumber", "fieldName", "type", "note"]))
        assert (tmp_path / name / "consents.csv").read_text(encoding="utf-8").count("\n") == 4


def test_export_import_export_is_byte_identical(study_db: str, tmp_path: Path) -> None:
    first = tmp_path / "first.zip"
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        write_package(store.exports.package(STUDY, actor=ADMIN), first)
    finally:
        store.close()
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    other = open_store(copy, clock=lambda: TODAY)
    try:
        counts = other.exports.import_package(STUDY, first, actor=ADMIN)
        write_package(other.exports.package(STUDY, actor=ADMIN), tmp_path / "second.zip")
    finally:
        other.close()
    assert counts["subjects"] == 12
    assert counts["assessments"] > 100
    # the records about the data are copied too (fixture ``review_records``)
    assert (counts["signatures"], counts["verifications"], counts["locks"]) == (3, 3, 2)
    # and the informed consent (fixture ``consent_records``)
    assert (counts["consent_documents"], counts["consents"]) == (3, 3)
    assert counts["queries"] >= 2
    assert counts["query_messages"] > counts["queries"]
    assert first.read_bytes() == (tmp_path / "second.zip").read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert "'=ST36" in archive.read("injections.csv").decode()  # neutralised in CSV


def test_blinded_and_deidentified_variants(study_db: str) -> None:
    blinded = _package(study_db, blinded=True)
    assert "arm" not in _csv(blinded, "subjects.csv").columns
    assert "product" not in _csv(blinded, "injections.csv").columns
    assert "seed" not in json.loads(blinded["datapackage.json"])["autoserum"]["study"]
    assert b"serum" not in blinded["subjects.csv"]
    # a statistician gets a blinded, de-identified package without asking
    stat = _package(study_db, actor=STATISTICIAN)
    subjects, visits = _csv(stat, "subjects.csv"), _csv(stat, "visits.csv")
    assert {"arm", "day0", "facts", "withdrawal_reason"}.isdisjoint(subjects.columns)
    assert {"visit_date", "earliest", "latest"}.isdisjoint(visits.columns)
    assert {"week", "day"} <= set(visits.columns)
    assert {"username", "at"}.isdisjoint(_csv(stat, "unblindings.csv").columns)
    assert "given_by" not in _csv(stat, "injections.csv").columns
    assert "onset_date" not in _csv(stat, "adverse_events.csv").columns
    meta = json.loads(stat["datapackage.json"])["autoserum"]
    assert meta["blinded"]
    assert meta["deidentified"]
    assert meta["study"]["start_date"] is None


def test_live_adverse_event_gets_its_onset_week(study_db: str) -> None:
    """Recorded with onset 2024-03-16, the subject's day 0 2024-03-09: week 7 days / 7 = 1.00."""
    ae = _csv(_package(study_db), "adverse_events.csv").filter(
        pl.col("term") == "migraine (recorded live)"
    )
    assert ae["onset_week"].to_list() == ["1.00"]
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        tidy = store.exports.adverse_events(STUDY, actor=ADMIN)
    finally:
        store.close()
    assert tidy.filter(pl.col("term") == "migraine (recorded live)")["onset_week"].to_list() == [
        1.0
    ]


def test_a_bad_cell_is_refused_with_file_line_and_column(study_db: str, tmp_path: Path) -> None:
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        write_package(store.exports.package(STUDY, actor=ADMIN), tmp_path / "pkg")
    finally:
        store.close()
    labs = tmp_path / "pkg" / "labs.csv"
    labs.write_text(labs.read_text(encoding="utf-8").replace(",high", ",sky-high"), "utf-8")
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        with pytest.raises(ValidationError) as err:
            copy.exports.import_package("COPY", tmp_path / "pkg", actor=ADMIN)
        assert copy.studies.all() == []  # nothing written
    finally:
        copy.close()
    assert str(err.value).startswith("labs.csv line 2 column flag: got 'sky-high'; expected one of")


def test_history_round_trips_and_an_undeclared_race_is_refused(
    study_db: str, tmp_path: Path
) -> None:
    """The fixture's history (tests/exports/conftest.py) is in the package and comes back; a
    race the protocol does not declare is refused naming the file and line, nothing written."""
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        write_package(store.exports.package(STUDY, actor=ADMIN), tmp_path / "pkg")
    finally:
        store.close()
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        counts = copy.exports.import_package("COPY", tmp_path / "pkg", actor=ADMIN)
        assert (counts["prior_treatments"], counts["comorbidities"]) == (1, 2)
        subjects = copy.subjects.all("COPY", actor=ADMIN)
        first = next(s for s in subjects if s.race is not None)
        assert (first.race, first.fitzpatrick, first.ad_onset_age) == (
            "ASIAN", "III", Decimal(2),
        )  # fmt: skip
        subjects_csv = tmp_path / "pkg" / "subjects.csv"
        subjects_csv.write_text(
            subjects_csv.read_text(encoding="utf-8").replace(",ASIAN,", ",Caucasian,"), "utf-8"
        )
        with pytest.raises(ValidationError) as err:
            copy.exports.import_package("COPY2", tmp_path / "pkg", actor=ADMIN)
        assert [s.name for s in copy.studies.all()] == ["COPY"]  # nothing written
    finally:
        copy.close()
    assert (err.value.field, err.value.value) == ("race", "Caucasian")
    assert err.value.location == "subjects.csv line 2"


def test_cli_package_export_and_import(
    study_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exp.zip"
    done = runner.invoke(
        app,
        ["export", "--db", study_db, "--study", STUDY, "--format", "package", "--out", str(out)],
    )
    assert done.exit_code == 0, done.output
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    done = runner.invoke(
        app, ["import", str(out), "--format", "package", "--db", copy, "--study", STUDY]
    )
    assert done.exit_code == 0, done.output
    assert "12 subjects" in done.output
    with pytest.raises(SystemExit) as exc:
        main(["export", "--db", study_db, "--study", STUDY, "--format", "sas"])
    assert exc.value.code == 2
    assert "--format: got 'sas'" in capsys.readouterr().err


def test_signatures_and_review_records_are_in_the_package(study_db: str) -> None:
    """Fixture ``review_records``: three signatures (the casebook's invalidated by the later
    correction), two verifications (the lab's cleared by it), two locks, four queries."""
    files = _package(study_db)
    signed = _csv(files, "signatures.csv")
    assert signed.columns[:4] == ["subject_id", "record", "visit", "level"]
    assert {"meaning", "printed_name", "signed_at", "content_sha256", "invalidated"} <= set(
        signed.columns
    )
    by_level = {r["level"]: r for r in signed.iter_rows(named=True)}
    assert set(by_level) == {"study", "casebook", "visit"}
    assert by_level["study"]["subject_id"] is None  # the whole study's signature
    casebook = by_level["casebook"]
    assert (casebook["meaning"], casebook["printed_name"]) == ("review", "Ivan Petrov")
    assert (casebook["invalidated"], by_level["visit"]["invalidated"]) == ("true", "false")
    assert casebook["invalidated_at"] is not None
    assert casebook["invalid_reason"].startswith("signed content changed")
    assert casebook["signed_at"].endswith("+00:00")  # UTC
    assert casebook["local_signed_at"].endswith("+09:00")  # Asia/Seoul
    assert len(casebook["content_sha256"]) == 64
    checks = _csv(files, "verifications.csv")
    assert sorted(zip(checks["entity"], checks["cleared"], strict=True)) == [
        ("consent", "false"), ("lab", "true"), ("visit", "false")
    ]  # fmt: skip
    # the lab verified is the lab queried and corrected: the same row of labs.csv
    queries = _csv(files, "queries.csv")
    corrected = queries.filter(pl.col("field") == "value")
    assert corrected["status"].to_list() == ["closed"]
    assert (
        corrected["target"].to_list()
        == checks.filter(pl.col("entity") == "lab")["target"].to_list()
    )
    labs = _csv(files, "labs.csv")
    row = int(corrected["target"][0])
    assert labs["analyte"][row - 1] == "ige"
    assert labs["value"][row - 1] == "1205.5"
    # the query on the assessment deleted as entered in error: its target is no longer stored
    gone = queries.filter(pl.col("entity") == "assessment", pl.col("opened_by") == "mona")
    assert gone["target"].to_list() == [None]
    messages = _csv(files, "query_messages.csv")
    thread = messages.filter(pl.col("query") == corrected["record"][0])
    assert thread["kind"].to_list() == ["open", "answer", "close"]
    assert json.loads(thread["correction"][1])["fields"] == ["value"]
    locks = _csv(files, "locks.csv")
    assert sorted(zip(locks["level"], locks["unlocked"], strict=True)) == [
        ("record", "true"), ("subject", "false")
    ]  # fmt: skip
    desc = json.loads(files["datapackage.json"])
    resource = next(r for r in desc["resources"] if r["name"] == "signatures")
    subject_key = next(f for f in resource["schema"]["fields"] if f["name"] == "subject_id")
    assert "constraints" not in subject_key  # a study's signature belongs to no subject
    meaning = next(f for f in resource["schema"]["fields"] if f["name"] == "meaning")
    assert meaning["constraints"]["enum"] == ["authorship", "review", "approval"]
    thread_fk = next(r for r in desc["resources"] if r["name"] == "query_messages")
    to_query = {"fields": ["query"], "reference": {"resource": "queries", "fields": ["record"]}}
    assert to_query in thread_fk["schema"]["foreignKeys"]


def test_review_records_in_the_blinded_and_deidentified_variants(study_db: str) -> None:
    """Blinded: the review records hold no arm (the signed hash leaves masked fields out), so
    they are the same as unblinded; de-identified: no names, no times, no free text."""
    full, blinded = _package(study_db), _package(study_db, blinded=True)
    for name in ("signatures", "verifications", "locks", "queries", "query_messages"):
        assert blinded[f"{name}.csv"] == full[f"{name}.csv"], name
    stat = _package(study_db, actor=STATISTICIAN)
    signed = _csv(stat, "signatures.csv")
    assert {"printed_name", "signer", "signed_at", "local_signed_at", "invalidated_at",
            "invalid_reason"}.isdisjoint(signed.columns)  # fmt: skip
    assert {"level", "meaning", "role", "content_sha256", "invalidated"} <= set(signed.columns)
    assert sorted(signed["invalidated"].to_list()) == ["false", "false", "true"]
    assert {"verified_by", "verified_at", "cleared_at", "cleared_reason"}.isdisjoint(
        _csv(stat, "verifications.csv").columns
    )
    assert {"locked_by", "locked_at", "unlocked_by"}.isdisjoint(_csv(stat, "locks.csv").columns)
    assert {"opened_by", "finding", "opened_at"}.isdisjoint(_csv(stat, "queries.csv").columns)
    assert {"author", "at", "text", "correction"}.isdisjoint(
        _csv(stat, "query_messages.csv").columns
    )


def test_a_derived_column_must_agree_with_its_source(study_db: str, tmp_path: Path) -> None:
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        write_package(store.exports.package(STUDY, actor=ADMIN), tmp_path / "pkg")
    finally:
        store.close()
    signed = tmp_path / "pkg" / "signatures.csv"
    lines = signed.read_text(encoding="utf-8").splitlines()
    # the study's signature (line 2) is valid: claim it was invalidated, without a time
    lines[1] = lines[1].replace(",false,,", ",true,,", 1)
    signed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        with pytest.raises(ValidationError) as err:
            copy.exports.import_package("COPY", tmp_path / "pkg", actor=ADMIN)
        assert copy.studies.all() == []  # nothing written
    finally:
        copy.close()
    assert str(err.value).startswith(
        "signatures.csv line 2 column invalidated: got 'true'; expected false"
    )


def test_informed_consent_is_in_the_package(study_db: str) -> None:
    """Fixture ``consent_records``: three documents, three consents (the fifth subject's
    withdrawn), linked to their documents by record number; the verification of a consent
    names its row of consents.csv."""
    files = _package(study_db)
    documents = _csv(files, "consent_documents.csv")
    assert documents.columns == [
        "record", "document_version", "language", "effective_on", "sha256", "title"
    ]  # fmt: skip
    assert list(zip(documents["document_version"], documents["language"], strict=True)) == [
        ("1.0", "en"), ("1.0", "de"), ("2.0", "en")
    ]  # fmt: skip
    consents = _csv(files, "consents.csv")
    assert consents.columns[:3] == ["subject_id", "record", "document"]
    first, again, withdrawn = consents.iter_rows(named=True)
    assert (first["document"], again["document"], withdrawn["document"]) == ("1", "3", "2")
    assert first["consented_at"] == "2024-01-10T08:30:00+00:00"  # 09:30+01:00 in UTC
    assert json.loads(first["components"]) == {"photographs": True, "sample_storage": False}
    assert first["witness"] == "'=Jo Bloggs"  # neutralised in CSV
    assert again["components"] is None  # no optional component asked
    assert (withdrawn["withdrawn_on"], withdrawn["withdrawal_reason"]) == (
        "2024-04-02",
        "moved away",
    )
    assert [r["withdrawn"] for r in (first, again, withdrawn)] == ["false", "false", "true"]
    assert withdrawn["representative"] == "Ute Vogel (mother)"
    checks = _csv(files, "verifications.csv").filter(pl.col("entity") == "consent")
    assert checks["target"].to_list() == ["1"]
    desc = json.loads(files["datapackage.json"])
    resource = next(r for r in desc["resources"] if r["name"] == "consents")
    keys = resource["schema"]["foreignKeys"]
    to_document = {"resource": "consent_documents", "fields": ["record"]}
    assert {"fields": ["document"], "reference": to_document} in keys
    to_subject = {"resource": "subjects", "fields": ["subject_id"]}
    assert {"fields": ["subject_id"], "reference": to_subject} in keys
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert fields["consented_at"]["type"] == "datetime"
    assert fields["components"]["type"] == "object"
    doc_fields = {
        f["name"]: f
        for f in next(r for r in desc["resources"] if r["name"] == "consent_documents")["schema"][
            "fields"
        ]
    }
    assert doc_fields["sha256"]["constraints"]["pattern"] == "[0-9a-f]{64}"


def test_consent_in_the_blinded_and_deidentified_variants(study_db: str) -> None:
    """Blinded: nothing of a consent reveals the arm, the files are the same; de-identified:
    no dates, no names of staff, witnesses or representatives, no withdrawal reason; whether
    consent was withdrawn stays."""
    full, blinded = _package(study_db), _package(study_db, blinded=True)
    for name in ("consent_documents", "consents"):
        assert blinded[f"{name}.csv"] == full[f"{name}.csv"], name
    stat = _package(study_db, actor=STATISTICIAN)
    assert _csv(stat, "consents.csv").columns == [
        "subject_id", "record", "document", "components", "withdrawn"
    ]  # fmt: skip
    assert "effective_on" not in _csv(stat, "consent_documents.csv").columns
    assert _csv(stat, "consents.csv")["withdrawn"].to_list() == ["false", "false", "true"]


def _import_error(study_db: str, tmp_path: Path, file: str, old: str, new: str) -> ValidationError:
    """The error of importing the package with ``old`` replaced by ``new`` (once) in ``file``;
    nothing is written."""
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        write_package(store.exports.package(STUDY, actor=ADMIN), tmp_path / "pkg")
    finally:
        store.close()
    path = tmp_path / "pkg" / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        with pytest.raises(ValidationError) as err:
            copy.exports.import_package("COPY", tmp_path / "pkg", actor=ADMIN)
        assert copy.studies.all() == []  # nothing written
    finally:
        copy.close()
    return err.value


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "line"),
    [
        # signed before version 1.0 (en) took effect on 2023-11-01
        ("consents.csv", "2024-01-10T08:30:00+00:00", "2023-10-31T08:30:00+00:00",
         "consented_at", 2),
        # signed after today (the store's clock: 2026-06-30)
        ("consents.csv", "2024-05-20T12:00:00+00:00", "2026-07-01T12:00:00+00:00",
         "consented_at", 3),
        # withdrawn before the consent, and in the future
        ("consents.csv", "2024-04-02,moved", "2024-01-01,moved", "withdrawn_on", 4),
        ("consents.csv", "2024-04-02,moved", "2026-07-01,moved", "withdrawn_on", 4),
        # an optional component autoserum does not know
        ("consents.csv", '""photographs""', '""selfies""', "components", 2),
        # the same version and language twice
        ("consent_documents.csv", "3,2.0,en", "3,1.0,en", "document_version", 4),
        # a language that is no BCP 47 tag (the registry's converter)
        ("consent_documents.csv", "2,1.0,de", "2,1.0,deutsch!", "language", 3),
    ],
)  # fmt: skip
def test_impossible_consent_is_refused_naming_file_and_line(
    study_db: str, tmp_path: Path, file: str, old: str, new: str, field: str, line: int
) -> None:
    err = _import_error(study_db, tmp_path, file, old, new)
    assert field in err.field
    assert f"{file} line {line}" in str(err)
    if (field, new) == ("withdrawn_on", "2024-01-01,moved"):  # as docs/exports.md quotes it
        assert str(err) == (
            "consents.csv line 4: withdrawn_on: got '2024-01-01'; expected a date on or after "
            "the consent (2024-01-12)"
        )


def test_a_withdrawal_must_be_that_of_every_consent_of_the_subject(
    study_db: str, tmp_path: Path
) -> None:
    """The service withdraws every consent of the subject: a package withdrawing one of two
    is refused (the first subject's second consent, withdrawn alone)."""
    err = _import_error(
        study_db,
        tmp_path,
        "consents.csv",
        "Dr Ana Ruiz,,,,,,false",
        "Dr Ana Ruiz,,,,2024-06-01,x,true",
    )
    assert (err.field, err.location) == ("withdrawn_on", "consents.csv line 3")
    assert err.expected == "the withdrawal (date and reason) of the subject's other consents"


def test_the_unblinded_package_carries_the_allocation_entries_taken(tmp_path: Path) -> None:
    """A double-blind study (``tests/store/helpers.py``) with three subjects randomised: the
    unblinded package names the entry of the concealed list each took (stratum, sequence);
    the copy marks them in the lists regenerated from the seed, so its next subject takes the
    fourth entry, as in the source; a blinded package carries neither the seed nor the
    entries; an entry whose arm is not the subject's is refused."""
    source = open_store(f"sqlite:///{tmp_path / 'source.db'}", clock=lambda: TODAY)
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        double_blind_study(source, "RND")
        for sid in ("S-001", "S-002", "S-003"):
            enrolled(source, "RND", sid)
        write_package(source.exports.package("RND", actor=ADMIN), tmp_path / "pkg")
        hidden = source.exports.package("RND", actor=ADMIN, blinded=True)
        copy.exports.import_package("RND", tmp_path / "pkg", actor=ADMIN)
        enrolled(copy, "RND", "S-004")
        enrolled(source, "RND", "S-004")
        after = copy.exports.package("RND", actor=ADMIN).descriptor["autoserum"]["study"]
        again = source.exports.package("RND", actor=ADMIN).descriptor["autoserum"]["study"]
        # the arm of S-001 changed in the package: not the arm of its entry
        subjects = _csv({"s": (tmp_path / "pkg" / "subjects.csv").read_bytes()}, "s")
        arms = {a.code for a in load_protocol("ast-nahm2023").arms}
        first = subjects.filter(pl.col("subject_id") == "S-001")["arm"][0]
        (other,) = arms - {first}
        changed = subjects.with_columns(
            pl.when(pl.col("subject_id") == "S-001")
            .then(pl.lit(other))
            .otherwise(pl.col("arm"))
            .alias("arm")
        )
        changed.write_csv(tmp_path / "pkg" / "subjects.csv")
        with pytest.raises(ValidationError) as err:
            copy.exports.import_package("BAD", tmp_path / "pkg", actor=ADMIN)
        assert [s.name for s in copy.studies.all()] == ["RND"]  # nothing written
    finally:
        source.close()
        copy.close()
    desc = json.loads((tmp_path / "pkg" / "datapackage.json").read_text(encoding="utf-8"))
    taken = desc["autoserum"]["study"]["allocations"]
    assert [(a["subject_id"], a["sequence"]) for a in taken] == [
        ("S-001", 1), ("S-002", 2), ("S-003", 3)
    ]  # fmt: skip
    assert {"seed", "allocations"}.isdisjoint(hidden.descriptor["autoserum"]["study"])
    assert after["allocations"] == again["allocations"]
    assert [(a["subject_id"], a["sequence"]) for a in after["allocations"]][-1] == ("S-004", 4)
    assert err.value.field == "datapackage.json autoserum.study.allocations[0]"
    assert str(err.value.expected).startswith(f"the entry of arm {other} (the subject's)")
