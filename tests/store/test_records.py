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
from tests.store.helpers import (
    ADMIN,
    COORDINATOR,
    ELIGIBLE,
    MONITOR,
    double_blind_study,
    enrolled,
)

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
    store.records.add_visit(name, "S01", "baseline", "2026-03-02", actor=COORDINATOR)
    return name


def test_visits_are_placed_in_their_window(store: Store, study: str) -> None:
    on_time = store.records.add_visit(study, "S01", "week_4", date(2026, 4, 1), actor=COORDINATOR)
    assert (on_time.earliest, on_time.latest) == (date(2026, 3, 27), date(2026, 4, 2))  # day 28 ±3
    assert not on_time.out_of_window
    late = store.records.add_visit(study, "S01", "week_8", date(2026, 5, 8), actor=COORDINATOR)
    # day 0 = 2026-03-02; day 56 = 2026-04-27, window +7 → last on-time day 2026-05-04
    assert (late.latest, late.deviation_days, late.version) == (date(2026, 5, 4), 4, 1)
    [deviation] = store.subjects.detail(study, "S01", actor=MONITOR).deviations
    assert (deviation.kind, deviation.days, deviation.visit_id) == ("visit_window", 4, late.id)


def test_visits_before_day_0_are_checked_once_day_0_is_known(store: Store) -> None:
    study = double_blind_study(store)
    store.subjects.screen(
        study, "s01", "S02", ELIGIBLE, screened_on="2026-01-01", actor=COORDINATOR
    )
    store.subjects.randomise(study, "S02", actor=ADMIN)
    [early] = store.subjects.detail(study, "S02", actor=ADMIN).visits
    assert early.visit_code == "screening"  # recorded at screening
    assert early.earliest is None  # day 0 not known yet
    store.records.add_injection(
        study, "S02", "2026-03-02", actor=COORDINATOR, volume_ml=5, site="deltoid"
    )
    [visit] = store.subjects.detail(study, "S02", actor=ADMIN).visits
    # screening: day -14 window -14/+13 around 2026-02-16 → earliest 2026-02-02
    assert (visit.earliest, visit.deviation_days) == (date(2026, 2, 2), -32)


def test_a_visit_is_recorded_once_and_must_be_of_the_plan(store: Store, study: str) -> None:
    with pytest.raises(StateError, match="recorded already"):
        store.records.add_visit(study, "S01", "baseline", "2026-03-02", actor=COORDINATOR)
    with pytest.raises(ValidationError, match="visit_code"):
        store.records.add_visit(study, "S01", "week_99", "2026-03-02", actor=COORDINATOR)
    with pytest.raises(ValidationError, match="visit_date"):
        store.records.add_visit(study, "S01", "week_4", "02/03/2026", actor=COORDINATOR)


def test_assessments_are_scored_exactly(store: Store, study: str) -> None:
    rec = store.records.add_assessment(
        study,
        "S01",
        "baseline",
        "easi",
        {**EASI_14, "age": 34},
        actor=COORDINATOR,
    )
    assert rec.total == Fraction(14)  # docs/instruments.md EASI worked example 1: 14.0
    assert rec.band == "moderate"
    with pytest.raises(ValidationError, match=r"head_neck\.erythema"):
        store.records.add_assessment(
            study,
            "S01",
            "baseline",
            "easi",
            {**EASI_14, "head_neck": {**EASI_14["head_neck"], "erythema": 0.5}},
            actor=COORDINATOR,
        )
    with pytest.raises(StateError, match="not recorded yet"):
        store.records.add_assessment(study, "S01", "week_4", "easi", EASI_14, actor=COORDINATOR)


def test_easi_uses_the_subject_age(store: Store, study: str) -> None:
    subject = store.subjects.all(study, actor=ADMIN)[0]
    store.records.update(
        study,
        "subject",
        subject.id,
        {"age": 5},
        actor=ADMIN,
        reason="typo",
        expected_version=subject.version,
    )
    rec = store.records.add_assessment(study, "S01", "baseline", "easi", EASI_14, actor=COORDINATOR)
    assert rec.total == Fraction(127, 10)  # docs/instruments.md EASI worked example 2 (age 5): 12.7
    assert rec.payload == EASI_14  # stored as given


def test_labs_are_converted_exactly_and_flagged(store: Store, study: str) -> None:
    eos = store.records.add_lab(
        study,
        "S01",
        "baseline",
        "eosinophils",
        650,
        "/uL",
        actor=COORDINATOR,
        ref_low=0,
        ref_high=500,
    )
    # 650 cells/µL = 0.65 × 10⁹/L (UCUM: /uL = 10*6/L, exact); range 0–0.5 × 10⁹/L
    assert (eos.value, eos.unit, eos.ref_high, eos.flag) == (
        Decimal("0.65"),
        "10*9/L",
        Decimal("0.5"),
        "high",
    )
    ige = store.records.add_lab(study, "S01", "baseline", "ige", "1200", "IU/mL", actor=COORDINATOR)
    assert (ige.value, ige.unit, ige.flag) == (Decimal("1200"), "k[IU]/L", None)
    with pytest.raises(ValidationError, match=r"eosinophils\.unit"):
        store.records.add_lab(study, "S01", "baseline", "eosinophils", 4, "%", actor=COORDINATOR)
    with pytest.raises(ValidationError, match=r"ige\.unit"):
        store.records.add_lab(study, "S01", "baseline", "ige", 100, "ng/mL", actor=COORDINATOR)


def test_injections_adverse_events_and_con_meds(store: Store, study: str) -> None:
    inj = store.records.add_injection(
        study,
        "S01",
        "2026-03-02",
        actor=COORDINATOR,
        volume_ml="5",
        site="gluteal_left",
        lot="P-001",
    )
    assert (inj.volume_ml, inj.site, inj.lot, inj.given_by) == (
        Decimal("5"),
        "gluteal_left",
        "P-001",
        "cora",
    )
    ae = store.records.add_adverse_event(
        study,
        "S01",
        actor=COORDINATOR,
        term="injection site pain",
        severity="mild",
        serious=False,
        related="probable",
        outcome="recovered",
        onset_date="2026-03-03",
    )  # fmt: skip
    assert ae.onset_date == date(2026, 3, 3)
    with pytest.raises(ValidationError, match="severity"):
        store.records.add_adverse_event(
            study,
            "S01",
            actor=COORDINATOR,
            term="x",
            severity="grade 2",
            serious=False,
            related="possible",
            outcome="unknown",
        )  # fmt: skip
    cm = store.records.add_con_med(
        study,
        "S01",
        actor=COORDINATOR,
        name="cetirizine",
        dose="10 mg",
        route="oral",
    )
    detail = store.subjects.detail(study, "S01", actor=ADMIN)
    assert [a.term for a in detail.adverse_events] == ["injection site pain"]
    assert [c.id for c in detail.con_meds] == [cm.id]
    assert [i.product for i in detail.injections] in (["serum"], ["saline"])
    with pytest.raises(PermissionDeniedError):
        store.records.add_con_med(study, "S01", actor=MONITOR, name="x")
    # only the parts asked for are read; the others are empty, the subject is always there
    part = store.subjects.detail(study, "S01", actor=ADMIN, parts=("con_meds", "visits"))
    assert [c.id for c in part.con_meds] == [cm.id]
    assert part.visits == detail.visits != ()
    assert (part.adverse_events, part.injections, part.assessments) == ((), (), ())
    assert part.subject == detail.subject
    with pytest.raises(ValidationError, match="parts"):
        store.subjects.detail(study, "S01", actor=ADMIN, parts=("photos",))


def test_corrections_need_a_reason_and_the_current_version(store: Store, study: str) -> None:
    ae = store.records.add_adverse_event(
        study,
        "S01",
        actor=COORDINATOR,
        term="headache",
        severity="mild",
        serious=False,
        related="unlikely",
        outcome="recovering",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="reason"):
        store.records.update(
            study,
            "adverse_event",
            ae.id,
            {"severity": "moderate"},
            actor=COORDINATOR,
            reason="",
            expected_version=ae.version,
        )
    updated = store.records.update(
        study,
        "adverse_event",
        ae.id,
        {"severity": "moderate"},
        actor=COORDINATOR,
        reason="re-graded",
        expected_version=ae.version,
    )
    assert (updated.severity, updated.version) == ("moderate", ae.version + 1)
    with pytest.raises(ConflictError, match="version"):
        store.records.update(
            study,
            "adverse_event",
            ae.id,
            {"outcome": "recovered"},
            actor=ADMIN,
            reason="x",
            expected_version=ae.version,
        )
    with pytest.raises(ValidationError, match=r"adverse_event\.colour"):
        store.records.update(
            study,
            "adverse_event",
            ae.id,
            {"colour": "red"},
            actor=ADMIN,
            reason="x",
            expected_version=updated.version,
        )
    trail = store.audit.trail(study, actor=MONITOR, entity="adverse_event", record_id=ae.id)
    change = [(r.field, r.old_value, r.new_value, r.reason) for r in trail if r.action == "update"]
    assert change == [("severity", "mild", "moderate", "re-graded"), ("version", 1, 2, "re-graded")]


def test_corrections_recompute_derived_values(store: Store, study: str) -> None:
    lab = store.records.add_lab(
        study,
        "S01",
        "baseline",
        "eosinophils",
        "0.3",
        "10*9/L",
        actor=COORDINATOR,
        ref_high="0.5",
    )
    fixed = store.records.update(
        study,
        "lab",
        lab.id,
        {"value": "0.7"},
        actor=COORDINATOR,
        reason="transcription",
        expected_version=lab.version,
    )
    assert fixed.flag == "high"
    visit = store.subjects.detail(study, "S01", actor=ADMIN).visits[0]
    moved = store.records.update(
        study,
        "visit",
        visit.id,
        {"visit_date": "2026-03-03"},
        actor=ADMIN,
        reason="wrong day",
        expected_version=visit.version,
    )
    assert moved.visit_date == date(2026, 3, 3)


def test_records_entered_in_error_are_deleted_with_a_reason(store: Store, study: str) -> None:
    cm = store.records.add_con_med(study, "S01", actor=COORDINATOR, name="wrong patient")
    store.records.delete(
        study,
        "con_med",
        cm.id,
        actor=COORDINATOR,
        reason="entered for the wrong subject",
        expected_version=cm.version,
    )
    assert store.subjects.detail(study, "S01", actor=ADMIN).con_meds == ()
    [deleted] = [
        r for r in store.audit.trail(study, actor=ADMIN, entity="con_med") if r.action == "delete"
    ]
    assert deleted.old_value["name"] == "wrong patient"
    assert deleted.reason == "entered for the wrong subject"
