"""FHIR R4 (issue 15, item 6): a transaction Bundle that the fhir.resources models accept, with
a Questionnaire per instrument (DLQI q7b enableWhen), responses, observations with LOINC for
the labs, pseudonymous patients; blinding and de-identification honoured."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pydantic
import pytest

from autoserum.cli import main
from autoserum.store import Actor, open_store
from autoserum.study.fhir import fhir_bundle, validate_bundle
from tests.exports.conftest import STUDY
from tests.store.helpers import ADMIN, STATISTICIAN, TODAY


def _bundle(url: str, actor: Actor = ADMIN) -> dict[str, Any]:
    store = open_store(url, clock=lambda: TODAY)
    try:
        content = store.exports.package(STUDY, actor=actor)
    finally:
        store.close()
    return fhir_bundle(content.descriptor["autoserum"]["study"], content.rows)


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_bundle_validates_and_holds_every_resource(study_db: str) -> None:
    bundle = _bundle(study_db)
    assert validate_bundle(bundle) == len(bundle["entry"])
    assert bundle["type"] == "transaction"
    assert len(_of(bundle, "Patient")) == len(_of(bundle, "ResearchSubject")) == 12
    assert len(_of(bundle, "ResearchStudy")) == 1
    assert {q["name"] for q in _of(bundle, "Questionnaire")} == {"EASI", "SCORAD", "DLQI"}
    # and it can fail: an observation without its required status, or with an element FHIR
    # does not define, is refused (fhir.resources does not check a code against its value set)
    for change in ({"status": None}, {"valueText": "x"}):
        bad = copy.deepcopy(bundle)
        observation = next(r for r in _of(bad, "Observation"))
        observation.update(change)
        if change.get("status", 0) is None:
            del observation["status"]
        with pytest.raises(pydantic.ValidationError):
            validate_bundle(bad)


def test_dlqi_q7b_is_enabled_when_q7_is_no(study_db: str) -> None:
    dlqi = next(q for q in _of(_bundle(study_db), "Questionnaire") if q["name"] == "DLQI")
    q7b = next(i for i in dlqi["item"] if i["linkId"] == "q7b")
    assert q7b["enableWhen"][0]["question"] == "q7"
    assert q7b["enableWhen"][0]["operator"] == "="
    assert q7b["enableWhen"][0]["answerCoding"]["code"] == "no"


def test_lab_observation_has_loinc_and_ucum(study_db: str) -> None:
    labs = [o for o in _of(_bundle(study_db), "Observation")
            if o["category"][0]["coding"][0]["code"] == "laboratory"]  # fmt: skip
    assert len(labs) == 1
    ige = labs[0]
    assert ige["code"]["coding"][0]["system"] == "http://loinc.org"
    assert ige["code"]["coding"][0]["code"] == "19113-0"  # LOINC: IgE [Units/volume] in S/P
    assert ige["valueQuantity"]["value"] == 1250.5
    assert ige["valueQuantity"]["system"] == "http://unitsofmeasure.org"


def test_patients_are_pseudonymous_and_blinding_holds(study_db: str) -> None:
    stat = _bundle(study_db, actor=STATISTICIAN)
    assert validate_bundle(stat) > 0
    text = json.dumps(stat)
    assert all("assignedArm" not in r for r in _of(stat, "ResearchSubject"))
    assert "effectiveDateTime" not in text
    assert "authored" not in text
    for patient in _of(stat, "Patient"):
        assert set(patient) <= {"resourceType", "identifier", "gender"}
    full = _bundle(study_db)
    assert {r["assignedArm"] for r in _of(full, "ResearchSubject")} == {"serum", "placebo"}


def test_cli_fhir(study_db: str, tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    with pytest.raises(SystemExit) as exc:
        main(["export", "--db", study_db, "--study", STUDY, "--format", "fhir", "--out", str(out)])
    assert exc.value.code in (0, None)
    assert validate_bundle(json.loads(out.read_text(encoding="utf-8"))) > 0
