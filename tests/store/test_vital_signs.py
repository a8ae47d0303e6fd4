"""Vital signs per visit in the store (both engines): converted by the registry with their
plausibility limits (``study/vitals.py``), an impossible value refused naming the field, the
value and the range with nothing written, one record per visit, corrections audited with their
reason, the complete data package and the SDTM VS domain built from it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from autoserum.errors import StateError, ValidationError
from autoserum.store import Store
from autoserum.store.models import VitalSignRow
from autoserum.study.cdisc import sdtm_domains
from tests.store.helpers import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    STATISTICIAN,
    double_blind_study,
    enrolled,
)

SIGNS = {"systolic_bp": "128", "diastolic_bp": 82, "pulse": "64", "temperature": "36.8",
         "weight": "70.25", "height": "172"}  # fmt: skip


@pytest.fixture
def study(store: Store) -> str:
    name = double_blind_study(store)
    enrolled(store, name, "S01")
    store.records.add_visit(name, "S01", "baseline", "2026-03-02", actor=COORDINATOR)
    return name


def _count(store: Store) -> int:
    with store.engine.connect() as conn:
        return len(conn.execute(VitalSignRow.__table__.select()).all())


def test_vital_signs_are_recorded_typed_and_shown(store: Store, study: str) -> None:
    vs = store.records.add_vital_signs(study, "S01", "baseline", actor=COORDINATOR, **SIGNS)
    assert (vs.systolic_bp, vs.diastolic_bp, vs.pulse) == (128, 82, 64)
    assert (vs.temperature, vs.weight, vs.height) == (
        Decimal("36.8"), Decimal("70.25"), Decimal("172"),
    )  # fmt: skip
    detail = store.subjects.detail(study, "S01", actor=INVESTIGATOR)  # blinded: not masked
    visit = next(v for v in detail.visits if v.visit_code == "baseline")
    assert [(s.visit_id, s.weight) for s in detail.vital_signs] == [(visit.id, Decimal("70.25"))]


IMPOSSIBLE = [  # (signs, field, value, what was expected): the ranges of study/vitals.py
    ({"systolic_bp": "1200"}, "systolic_bp", "1200", "a whole number from 50 to 300 mmHg"),
    ({"pulse": "0"}, "pulse", "0", "a whole number from 20 to 250 beats/min"),
    ({"temperature": "98.6"}, "temperature", "98.6", "a number from 30 to 45 °C"),
    ({"weight": "-3"}, "weight", "-3", "a number from 0.5 to 400 kg"),
    ({"height": "1.72"}, "height", "1.72", "a number from 30 to 250 cm"),
    ({"systolic_bp": "80", "diastolic_bp": "120"}, "diastolic_bp", "120",
     "below the systolic pressure (80 mmHg)"),
    ({"pulse": "seventy"}, "pulse", "seventy", "a number"),
    ({}, "vital_sign", None,
     "at least one of systolic_bp, diastolic_bp, pulse, temperature, weight, height"),
]  # fmt: skip


def test_an_impossible_value_is_refused_naming_field_value_and_range(
    store: Store, study: str
) -> None:
    for signs, field, value, expected in IMPOSSIBLE:
        with pytest.raises(ValidationError) as err:
            store.records.add_vital_signs(study, "S01", "baseline", actor=COORDINATOR, **signs)
        assert (err.value.field, err.value.value, err.value.expected) == (field, value, expected)
    assert _count(store) == 0


def test_one_record_per_visit_and_corrections_are_audited(store: Store, study: str) -> None:
    vs = store.records.add_vital_signs(study, "S01", "baseline", actor=COORDINATOR, pulse=70)
    with pytest.raises(ValidationError, match="without vital signs"):
        store.records.add_vital_signs(study, "S01", "baseline", actor=COORDINATOR, pulse=71)
    with pytest.raises(StateError, match="visit 'week_4' of subject 'S01' is not recorded yet"):
        store.records.add_vital_signs(study, "S01", "week_4", actor=COORDINATOR, pulse=71)
    fixed = store.records.update(
        study, "vital_sign", vs.id, {"pulse": "76", "systolic_bp": "121", "diastolic_bp": "79"},
        actor=INVESTIGATOR, reason="re-measured after rest", expected_version=vs.version,
    )  # fmt: skip
    assert (fixed.version, fixed.pulse, fixed.systolic_bp) == (2, 76, 121)
    with pytest.raises(ValidationError, match="below the systolic pressure"):
        store.records.update(
            study, "vital_sign", vs.id, {"diastolic_bp": "130"},
            actor=INVESTIGATOR, reason="typo", expected_version=fixed.version,
        )  # fmt: skip
    with pytest.raises(ValidationError, match="a whole number from 20 to 250"):
        store.records.update(
            study, "vital_sign", vs.id, {"pulse": "400"},
            actor=INVESTIGATOR, reason="typo", expected_version=fixed.version,
        )  # fmt: skip
    trail = store.audit.trail(study, actor=ADMIN, entity="vital_sign")
    changes = {(r.field, r.old_value, r.new_value) for r in trail if r.action == "update"}
    assert changes == {
        ("pulse", 70, 76), ("systolic_bp", None, 121), ("diastolic_bp", None, 79),
        ("version", 1, 2),
    }  # fmt: skip
    assert {r.reason for r in trail if r.action == "update"} == {"re-measured after rest"}
    # the refused writes left nothing: one record inserted, then corrected once
    assert {(r.action, r.record_id, r.txn) for r in trail if r.action == "insert"} == {
        ("insert", vs.id, next(r.txn for r in trail if r.action == "insert"))
    }


def test_the_package_and_sdtm_vs_carry_the_signs(store: Store, study: str) -> None:
    store.records.add_vital_signs(study, "S01", "baseline", actor=COORDINATOR, **SIGNS)
    content = store.exports.package(study, actor=STATISTICIAN)  # blinded, de-identified
    [row] = content.rows["vital_sign"]
    assert (row["subject_id"], row["visit"], row["systolic_bp"], row["weight"]) == (
        "S01", "baseline", 128, Decimal("70.25"),
    )  # fmt: skip
    vs = sdtm_domains(content.descriptor["autoserum"]["study"], content.rows)["VS"]
    # one row per sign, in the order of study/vitals.py, CDISC test codes and units
    assert vs.select("VSSEQ", "VSTESTCD", "VSORRES", "VSORRESU", "VSSTRESN").rows() == [
        (1.0, "SYSBP", "128", "mmHg", 128.0),
        (2.0, "DIABP", "82", "mmHg", 82.0),
        (3.0, "PULSE", "64", "beats/min", 64.0),
        (4.0, "TEMP", "36.8", "C", 36.8),
        (5.0, "WEIGHT", "70.25", "kg", 70.25),
        (6.0, "HEIGHT", "172", "cm", 172.0),
    ]
    assert set(vs["USUBJID"].to_list()) == {f"{study}-S01"}
    assert set(vs["VISIT"].to_list()) == {"BASELINE, INJECTION 1"}  # the protocol's label
    assert vs["VSDTC"].null_count() == vs.height  # de-identified: no dates
