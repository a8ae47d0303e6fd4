"""The complete tidy data package (issue 15, item 1): every record type of the entity registry,
a Frictionless descriptor that validates, blinded and de-identified variants, the live adverse
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

from autoserum.cli import app, main
from autoserum.errors import ValidationError
from autoserum.store import Actor, open_store, package_files, write_package
from autoserum.study.entities import REGISTRY
from tests.exports.conftest import STUDY
from tests.store.helpers import ADMIN, STATISTICIAN, TODAY

runner = CliRunner()


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
    assert [r["autoserum:entity"] for r in desc["resources"]] == list(REGISTRY)
    for spec in REGISTRY.values():
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
