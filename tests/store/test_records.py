"""Clinical records through the service API on both engines: visit windows and deviations,
scored assessments, labs in UCUM units, injections, AEs, con-meds, corrections with reasons
and optimistic concurrency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from autoserum.errors import ConflictError, PermissionDeniedError, StateError, ValidationError
from autoserum.store import Store
from tests.store.helpers import ADMIN, COORDINATOR, MONITOR, double_blind_study, enrolled

EASI_14 = {  # docs/instruments.md, EASI worked example 1: 0.8 + 3.6 + 1.2 + 8.4 = 14.0
    "head_neck": {
        "erythema": 2,
        "induration": 1,
        "excoriation": 1,
        "lichenification": 0,
        "area": 2,
    },
    "upper_limbs": {
        "erythema": 2,
        "induration": 2,
        "excoriation": 1,
        "lichenification": 1,
        "area": 3,
    },
    "trunk": {"erythema": 1, "induration": 1, "excoriation": 0, "lichenification": 0, "area": 2},
    "lower_limbs": {
        "erythema": 2,
        "induration": 2,
        "excoriation": 2,
        "lichenification": 1,
        "area": 3,
    },
}


@pytest.fixture
def study(store: Store) -> str:
    name = double_blind_study(store)
    enrolled(store, name, "S01")
    store.record_visit(name, "S01", "baseline", "2026-03-02", COORDINATOR)
    return name


def test_visits_are_placed_in_their_window(store: Store, study: str) -> None:
    on_time = store.record_visit(study, "S01", "week_4", date(2026, 4, 1), COORDINATOR)
    assert (on_time.earliest, on_time.latest) == (date(2026, 3, 27), date(2026, 4, 2))  # day 28 ±3
    assert not on_time.out_of_window
    late = store.record_visit(study, "S01", "week_8", date(2026, 5, 8), COORDINATOR)
    # day 0 = 2026-03-02; day 56 = 2026-04-27, window +7 → last on-time day 2026-05-04
    assert (late.latest, late.deviation_days, late.version) == (date(2026, 5, 4), 4, 1)
    [deviation] = store.subject_detail(study, "S01", MONITOR).deviations
    assert (deviation.kind, deviation.days, deviation.visit_id) == ("visit_window", 4, late.id)


def test_visits_before_day_0_are_checked_once_day_0_is_known(store: Store) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S02")
    early = store.record_visit(study, "S02", "screening", "2026-01-01", COORDINATOR)
    assert early.earliest is None  # day 0 not known yet
    store.record_injection(study, "S02", "2026-03-02", COORDINATOR, volume_ml=5, site="deltoid")
    [visit] = store.subject_detail(study, "S02", ADMIN).visits
    # screening: day -14 window -14/+13 around 2026-02-16 → earliest 2026-02-02
    assert (visit.earliest, visit.deviation_days) == (date(2026, 2, 2), -32)


def test_a_visit_is_recorded_once_and_must_be_of_the_plan(store: Store, study: str) -> None:
    with pytest.raises(StateError, match="recorded already"):
        store.record_visit(study, "S01", "baseline", "2026-03-02", COORDINATOR)
    with pytest.raises(ValidationError, match="visit_code"):
        store.record_visit(study, "S01", "week_99", "2026-03-02", COORDINATOR)
    with pytest.raises(ValidationError, match="visit_date"):
        store.record_visit(study, "S01", "week_4", "02/03/2026", COORDINATOR)


def test_assessments_are_scored_exactly(store: Store, study: str) -> None:
    rec = store.record_assessment(
        study, "S01", "baseline", "easi", {**EASI_14, "age": 34}, COORDINATOR
    )
    assert rec.total == Fraction(14)  # docs/instruments.md EASI worked example 1: 14.0
    assert rec.band == "moderate"
    with pytest.raises(ValidationError, match=r"head_neck\.erythema"):
        store.record_assessment(
            study,
            "S01",
            "baseline",
            "easi",
            {**EASI_14, "head_neck": {**EASI_14["head_neck"], "erythema": 0.5}},
            COORDINATOR,
        )
    with pytest.raises(StateError, match="not recorded yet"):
        store.record_assessment(study, "S01", "week_4", "easi", EASI_14, COORDINATOR)


def test_easi_uses_the_subject_age(store: Store, study: str) -> None:
    subject = store.subjects(study, ADMIN)[0]
    store.update_record("subject", subject.id, {"age": 5}, subject.version, "typo", ADMIN)
    rec = store.record_assessment(study, "S01", "baseline", "easi", EASI_14, COORDINATOR)
    assert rec.total == Fraction(127, 10)  # docs/instruments.md EASI worked example 2 (age 5): 12.7
    assert rec.payload == EASI_14  # stored as given


def test_labs_are_converted_exactly_and_flagged(store: Store, study: str) -> None:
    eos = store.record_lab(
        study, "S01", "baseline", "eosinophils", 650, "/uL", COORDINATOR, ref_low=0, ref_high=500
    )
    # 650 cells/µL = 0.65 × 10⁹/L (UCUM: /uL = 10*6/L, exact); range 0–0.5 × 10⁹/L
    assert (eos.value, eos.unit, eos.ref_high, eos.flag) == (
        Decimal("0.65"),
        "10*9/L",
        Decimal("0.5"),
        "high",
    )
    ige = store.record_lab(study, "S01", "baseline", "ige", "1200", "IU/mL", COORDINATOR)
    assert (ige.value, ige.unit, ige.flag) == (Decimal("1200"), "k[IU]/L", None)
    with pytest.raises(ValidationError, match=r"eosinophils\.unit"):
        store.record_lab(study, "S01", "baseline", "eosinophils", 4, "%", COORDINATOR)
    with pytest.raises(ValidationError, match=r"ige\.unit"):
        store.record_lab(study, "S01", "baseline", "ige", 100, "ng/mL", COORDINATOR)


def test_injections_adverse_events_and_con_meds(store: Store, study: str) -> None:
    inj = store.record_injection(
        study, "S01", "2026-03-02", COORDINATOR, volume_ml="5", site="gluteal_left", lot="P-001"
    )
    assert (inj.volume_ml, inj.site, inj.lot, inj.given_by) == (
        Decimal("5"),
        "gluteal_left",
        "P-001",
        "cora",
    )
    ae = store.record_adverse_event(
        study, "S01", COORDINATOR, term="injection site pain", severity="mild", serious=False,
        related="probable", outcome="recovered", onset_date="2026-03-03",
    )  # fmt: skip
    assert ae.onset_date == date(2026, 3, 3)
    with pytest.raises(ValidationError, match="severity"):
        store.record_adverse_event(
            study, "S01", COORDINATOR, term="x", severity="grade 2", serious=False,
            related="possible", outcome="unknown",
        )  # fmt: skip
    cm = store.record_con_med(
        study, "S01", COORDINATOR, name="cetirizine", dose="10 mg", route="oral"
    )
    detail = store.subject_detail(study, "S01", ADMIN)
    assert [a.term for a in detail.adverse_events] == ["injection site pain"]
    assert [c.id for c in detail.con_meds] == [cm.id]
    assert [i.product for i in detail.injections] in (["serum"], ["saline"])
    with pytest.raises(PermissionDeniedError):
        store.record_con_med(study, "S01", MONITOR, name="x")


def test_corrections_need_a_reason_and_the_current_version(store: Store, study: str) -> None:
    ae = store.record_adverse_event(
        study, "S01", COORDINATOR, term="headache", severity="mild", serious=False,
        related="unlikely", outcome="recovering",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="reason"):
        store.update_record(
            "adverse_event", ae.id, {"severity": "moderate"}, ae.version, "", COORDINATOR
        )
    updated = store.update_record(
        "adverse_event", ae.id, {"severity": "moderate"}, ae.version, "re-graded", COORDINATOR
    )
    assert (updated.severity, updated.version) == ("moderate", ae.version + 1)
    with pytest.raises(ConflictError, match="version"):
        store.update_record(
            "adverse_event", ae.id, {"outcome": "recovered"}, ae.version, "x", ADMIN
        )
    with pytest.raises(ValidationError, match=r"adverse_event\.colour"):
        store.update_record("adverse_event", ae.id, {"colour": "red"}, updated.version, "x", ADMIN)
    trail = store.audit_trail(study, entity="adverse_event", record_id=ae.id, actor=MONITOR)
    change = [(r.field, r.old_value, r.new_value, r.reason) for r in trail if r.action == "update"]
    assert change == [("severity", "mild", "moderate", "re-graded"), ("version", 1, 2, "re-graded")]


def test_corrections_recompute_derived_values(store: Store, study: str) -> None:
    lab = store.record_lab(
        study, "S01", "baseline", "eosinophils", "0.3", "10*9/L", COORDINATOR, ref_high="0.5"
    )
    fixed = store.update_record(
        "lab", lab.id, {"value": "0.7"}, lab.version, "transcription", COORDINATOR
    )
    assert fixed.flag == "high"
    visit = store.subject_detail(study, "S01", ADMIN).visits[0]
    moved = store.update_record(
        "visit", visit.id, {"visit_date": "2026-03-03"}, visit.version, "wrong day", ADMIN
    )
    assert moved.visit_date == date(2026, 3, 3)


def test_records_entered_in_error_are_deleted_with_a_reason(store: Store, study: str) -> None:
    cm = store.record_con_med(study, "S01", COORDINATOR, name="wrong patient")
    store.delete_record("con_med", cm.id, cm.version, "entered for the wrong subject", COORDINATOR)
    assert store.subject_detail(study, "S01", ADMIN).con_meds == ()
    [deleted] = [r for r in store.audit_trail(study, entity="con_med") if r.action == "delete"]
    assert deleted.old_value["name"] == "wrong patient"
    assert deleted.reason == "entered for the wrong subject"
