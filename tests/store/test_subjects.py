"""Subjects through the service API on both engines: randomisation from the concealed list,
blinding, statuses and transitions, emergency unblinding, site restriction, CONSORT."""

from __future__ import annotations

import pytest

from autoserum.errors import (
    NotFoundError,
    PermissionDeniedError,
    StateError,
    ValidationError,
)
from autoserum.store import Store
from autoserum.study import MASK, SubjectStatus
from autoserum.study.randomisation import allocation_list, stratum_key
from tests.store.helpers import (
    ADMIN,
    BLINDED,
    COORDINATOR,
    ELIGIBLE,
    INVESTIGATOR,
    MONITOR,
    UNBLINDED_STATISTICIAN,
    double_blind_study,
    enrolled,
)


def test_randomisation_follows_the_concealed_list_of_the_site(store: Store) -> None:
    study = double_blind_study(store)
    arms = [enrolled(store, study, f"S{i:02d}") for i in range(1, 9)]
    expected = allocation_list(
        [("serum", 1), ("placebo", 1)], n=16, seed=20260301, strata=[stratum_key("s01")]
    )
    assert arms == [a.arm for a in expected[:8]]


def test_blinded_roles_never_see_an_arm(store: Store) -> None:
    study = double_blind_study(store)
    store.screen_subject(study, "s01", "S01", ELIGIBLE, COORDINATOR)
    assert store.randomise(study, "S01", COORDINATOR) == MASK
    store.record_injection(study, "S01", "2026-03-02", COORDINATOR, volume_ml="5")
    arm = store.subjects(study, ADMIN)[0].arm
    assert arm in {"serum", "placebo"}
    for actor in BLINDED:
        assert [s.arm for s in store.subjects(study, actor)] == [MASK]
        detail = store.subject_detail(study, "S01", actor)
        assert detail.subject.arm == MASK
        assert [i.product for i in detail.injections] == [MASK]
        trail = store.audit_trail(study, actor=actor)
        # the protocol and the list header name the arms; no record may tie one to a subject
        shown = repr([(r.field, r.old_value, r.new_value) for r in trail if r.subject_id])
        assert "20260301" not in repr(trail)
        assert f"'{arm}'" not in shown
        assert "'saline'" not in shown
        assert "'serum'" not in shown
    assert store.subject_detail(study, "S01", UNBLINDED_STATISTICIAN).subject.arm == arm
    assert "'blinded'" in repr(store.audit_trail(study))  # no actor: masked


def test_open_label_studies_show_arms_to_everyone(store: Store) -> None:
    store.create_study("ASIM", "asim-choi2024", ADMIN, seed=1)
    store.add_site("ASIM", "s01", "Seoul", ADMIN)
    facts = {"atopic_dermatitis": True, "age": 30, "easi": 10}
    store.screen_subject("ASIM", "s01", "A1", facts, COORDINATOR)
    assert store.randomise("ASIM", "A1", COORDINATOR) == "serum"
    assert store.subjects("ASIM", MONITOR)[0].arm == "serum"


def test_ineligible_subjects_are_not_randomised(store: Store) -> None:
    study = double_blind_study(store)
    store.screen_subject(study, "s01", "S01", {**ELIGIBLE, "scorad": 10}, COORDINATOR)
    with pytest.raises(StateError, match="not eligible: failed severity"):
        store.randomise(study, "S01", COORDINATOR)
    assert store.subjects(study, ADMIN)[0].status is SubjectStatus.SCREENED


def test_statuses_follow_the_allowed_transitions(store: Store) -> None:
    study = double_blind_study(store)
    store.screen_subject(study, "s01", "S01", ELIGIBLE, COORDINATOR)
    with pytest.raises(StateError, match="screened -> treatment"):
        store.transition_subject(study, "S01", "treatment", COORDINATOR)
    store.randomise(study, "S01", COORDINATOR)
    with pytest.raises(StateError, match="enrolled -> run_in"):  # no run-in in this protocol
        store.transition_subject(study, "S01", "run_in", COORDINATOR)
    for status in ("treatment", "follow_up", "completed"):
        store.transition_subject(study, "S01", status, COORDINATOR)
    with pytest.raises(StateError, match="completed -> withdrawn"):
        store.withdraw(study, "S01", "moved away", COORDINATOR)
    with pytest.raises(ValidationError, match="status"):
        store.transition_subject(study, "S01", "finished", COORDINATOR)


def test_a_run_in_protocol_goes_through_run_in(store: Store) -> None:
    store.create_study("ASIM", "asim-choi2024", ADMIN, seed=1)
    store.add_site("ASIM", "s01", "Seoul", ADMIN)
    store.screen_subject(
        "ASIM", "s01", "A1", {"atopic_dermatitis": True, "age": 30, "easi": 10}, ADMIN
    )
    store.randomise("ASIM", "A1", ADMIN)
    with pytest.raises(StateError, match="enrolled -> treatment"):
        store.transition_subject("ASIM", "A1", "treatment", ADMIN)
    store.transition_subject("ASIM", "A1", "run_in", ADMIN)
    store.transition_subject("ASIM", "A1", "treatment", ADMIN)


def test_withdrawal_needs_a_reason_and_keeps_it(store: Store) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S01")
    with pytest.raises(ValidationError, match="reason"):
        store.withdraw(study, "S01", "", COORDINATOR)
    subject = store.withdraw(study, "S01", "consent withdrawn", COORDINATOR)
    assert subject.status is SubjectStatus.WITHDRAWN
    assert subject.withdrawal_reason == "consent withdrawn"
    with pytest.raises(StateError, match="no new data"):
        store.record_visit(study, "S01", "baseline", "2026-03-02", COORDINATOR)


def test_emergency_unblinding_is_audited_and_visible_to_the_admin(store: Store) -> None:
    study = double_blind_study(store)
    arm = enrolled(store, study, "S01")
    with pytest.raises(PermissionDeniedError):
        store.unblind(study, "S01", "severe reaction", COORDINATOR)
    with pytest.raises(ValidationError, match="reason"):
        store.unblind(study, "S01", " ", INVESTIGATOR)
    assert store.unblind(study, "S01", "anaphylaxis, treating physician", INVESTIGATOR) == arm
    [event] = store.unblindings(study, ADMIN)
    assert (event.subject_id, event.username, event.reason) == (
        "S01",
        "ivan",
        "anaphylaxis, treating physician",
    )
    assert store.subject_detail(study, "S01", MONITOR).subject.unblinded is True
    trail = store.audit_trail(study, entity="unblinding", actor=ADMIN)
    assert {r.reason for r in trail} == {"anaphylaxis, treating physician"}
    with pytest.raises(PermissionDeniedError):
        store.unblindings(study, INVESTIGATOR)


def test_site_restriction(store: Store) -> None:
    study = double_blind_study(store)
    store.add_site(study, "s02", "Busan", ADMIN)
    enrolled(store, study, "S01")
    enrolled(store, study, "B01", site="s02")
    assert [s.subject_id for s in store.subjects(study, COORDINATOR)] == ["S01"]
    with pytest.raises(PermissionDeniedError):
        store.subject_detail(study, "B01", COORDINATOR)
    with pytest.raises(PermissionDeniedError):
        store.screen_subject(study, "s02", "B02", ELIGIBLE, COORDINATOR)
    with pytest.raises(PermissionDeniedError):
        store.screen_subject(study, "s01", "X1", ELIGIBLE, MONITOR)
    assert {r.subject_id for r in store.audit_trail(study, actor=COORDINATOR)} <= {None, "S01"}


def test_consort_flow_counts_statuses(store: Store) -> None:
    study = double_blind_study(store)
    store.screen_subject(study, "s01", "F1", ELIGIBLE, COORDINATOR)
    store.transition_subject(study, "F1", "screen_failed", COORDINATOR, "eczema herpeticum")
    arms = [enrolled(store, study, f"S{i}") for i in range(4)]
    store.withdraw(study, "S0", "lost to follow-up", COORDINATOR)
    flow = store.consort(study, ADMIN)
    assert (flow.assessed, flow.excluded, flow.enrolled) == (5, 1, 4)
    assert sum(a.allocated for a in flow.arms.values()) == 4
    assert flow.arms[arms[0]].withdrawn == 1
    blinded = store.consort(study, MONITOR)
    assert list(blinded.arms) == [MASK]
    assert blinded.arms[MASK].allocated == 4


def test_unknown_names_are_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.subjects("nope", ADMIN)
    study = double_blind_study(store)
    with pytest.raises(NotFoundError):
        store.subject_detail(study, "nobody", ADMIN)
    with pytest.raises(StateError, match="exists already"):
        double_blind_study(store)
