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
    COORDINATOR,
    ELIGIBLE,
    INVESTIGATOR,
    MONITOR,
    READERS,
    SCREENED_ON,
    STATISTICIAN,
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
    store.subjects.screen(study, "s01", "S01", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    assert store.subjects.randomise(study, "S01", actor=COORDINATOR) == MASK
    store.records.add_injection(study, "S01", "2026-03-02", actor=COORDINATOR, volume_ml="5")
    arm = store.subjects.all(study, actor=ADMIN)[0].arm
    assert arm in {"serum", "placebo"}
    for actor in READERS:
        assert [s.arm for s in store.subjects.all(study, actor=actor)] == [MASK]
        detail = store.subjects.detail(study, "S01", actor=actor)
        assert detail.subject.arm == MASK
        assert [i.product for i in detail.injections] == [MASK]
        trail = store.audit.trail(study, actor=actor)
        # the protocol and the list header name the arms; no record may tie one to a subject
        shown = repr([(r.field, r.old_value, r.new_value) for r in trail if r.subject_id])
        assert "20260301" not in repr(trail)
        assert f"'{arm}'" not in shown
        assert "'saline'" not in shown
        assert "'serum'" not in shown
    assert set(store.subjects.consort(study, actor=STATISTICIAN).arms) == {MASK}
    assert set(store.subjects.consort(study, actor=UNBLINDED_STATISTICIAN).arms) == {arm}


def test_open_label_studies_show_arms_to_everyone(store: Store) -> None:
    store.studies.create("ASIM", "asim-choi2024", actor=ADMIN, seed=1)
    store.studies.add_site("ASIM", "s01", "Seoul", actor=ADMIN)
    facts = {"atopic_dermatitis": True, "age": 30, "easi": 10}
    store.subjects.screen("ASIM", "s01", "A1", facts, screened_on=SCREENED_ON, actor=COORDINATOR)
    assert store.subjects.randomise("ASIM", "A1", actor=COORDINATOR) == "serum"
    assert store.subjects.all("ASIM", actor=MONITOR)[0].arm == "serum"


def test_ineligible_subjects_are_not_randomised(store: Store) -> None:
    study = double_blind_study(store)
    store.subjects.screen(
        study, "s01", "S01", {**ELIGIBLE, "scorad": 10}, screened_on=SCREENED_ON, actor=COORDINATOR
    )
    with pytest.raises(ValidationError, match="failed severity"):
        store.subjects.randomise(study, "S01", actor=COORDINATOR)
    assert store.subjects.all(study, actor=ADMIN)[0].status is SubjectStatus.SCREENED


def test_statuses_follow_the_allowed_transitions(store: Store) -> None:
    study = double_blind_study(store)
    store.subjects.screen(study, "s01", "S01", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    with pytest.raises(StateError, match="screened -> treatment"):
        store.subjects.transition(study, "S01", "treatment", actor=COORDINATOR)
    store.subjects.randomise(study, "S01", actor=COORDINATOR)
    with pytest.raises(StateError, match="enrolled -> run_in"):  # no run-in in this protocol
        store.subjects.transition(study, "S01", "run_in", actor=COORDINATOR)
    for status in ("treatment", "follow_up", "completed"):
        store.subjects.transition(study, "S01", status, actor=COORDINATOR)
    with pytest.raises(StateError, match="completed -> withdrawn"):
        store.subjects.withdraw(study, "S01", actor=INVESTIGATOR, reason="moved away")
    with pytest.raises(ValidationError, match="status"):
        store.subjects.transition(study, "S01", "finished", actor=COORDINATOR)


def test_a_run_in_protocol_goes_through_run_in(store: Store) -> None:
    store.studies.create("ASIM", "asim-choi2024", actor=ADMIN, seed=1)
    store.studies.add_site("ASIM", "s01", "Seoul", actor=ADMIN)
    store.subjects.screen(
        "ASIM",
        "s01",
        "A1",
        {"atopic_dermatitis": True, "age": 30, "easi": 10},
        screened_on=SCREENED_ON,
        actor=ADMIN,
    )
    store.subjects.randomise("ASIM", "A1", actor=ADMIN)
    with pytest.raises(StateError, match="enrolled -> treatment"):
        store.subjects.transition("ASIM", "A1", "treatment", actor=ADMIN)
    store.subjects.transition("ASIM", "A1", "run_in", actor=ADMIN)
    store.subjects.transition("ASIM", "A1", "treatment", actor=ADMIN)


def test_withdrawal_needs_a_reason_and_keeps_it(store: Store) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S01")
    with pytest.raises(PermissionDeniedError, match="may not withdraw"):  # the table: no
        store.subjects.withdraw(study, "S01", actor=COORDINATOR, reason="moved away")
    with pytest.raises(ValidationError, match="reason"):
        store.subjects.withdraw(study, "S01", actor=INVESTIGATOR, reason="")
    subject = store.subjects.withdraw(study, "S01", actor=INVESTIGATOR, reason="consent withdrawn")
    assert subject.status is SubjectStatus.WITHDRAWN
    assert subject.withdrawal_reason == "consent withdrawn"
    with pytest.raises(StateError, match="no new data"):
        store.records.add_visit(study, "S01", "baseline", "2026-03-02", actor=COORDINATOR)


def test_emergency_unblinding_is_audited_and_visible_to_the_admin(store: Store) -> None:
    study = double_blind_study(store)
    arm = enrolled(store, study, "S01")
    with pytest.raises(PermissionDeniedError):
        store.subjects.unblind(study, "S01", actor=COORDINATOR, reason="severe reaction")
    with pytest.raises(ValidationError, match="reason"):
        store.subjects.unblind(study, "S01", actor=INVESTIGATOR, reason=" ")
    assert (
        store.subjects.unblind(
            study, "S01", actor=INVESTIGATOR, reason="anaphylaxis, treating physician"
        )
        == arm
    )
    [event] = store.subjects.unblindings(study, actor=ADMIN)
    assert (event.subject_id, event.username, event.reason) == (
        "S01",
        "ivan",
        "anaphylaxis, treating physician",
    )
    assert store.subjects.detail(study, "S01", actor=MONITOR).subject.unblinded is True
    trail = store.audit.trail(study, actor=ADMIN, entity="unblinding")
    assert {r.reason for r in trail} == {"anaphylaxis, treating physician"}
    with pytest.raises(PermissionDeniedError):
        store.subjects.unblindings(study, actor=INVESTIGATOR)


def test_site_restriction(store: Store) -> None:
    study = double_blind_study(store)
    store.studies.add_site(study, "s02", "Busan", actor=ADMIN)
    enrolled(store, study, "S01")
    enrolled(store, study, "B01", site="s02")
    assert [s.subject_id for s in store.subjects.all(study, actor=COORDINATOR)] == ["S01"]
    # another site's subject is answered exactly like a missing one (least disclosure)
    with pytest.raises(NotFoundError, match=r"^no subject 'B01' in study 'AST'$"):
        store.subjects.detail(study, "B01", actor=COORDINATOR)
    with pytest.raises(NotFoundError, match=r"^no subject 'B99' in study 'AST'$"):
        store.subjects.detail(study, "B99", actor=COORDINATOR)
    with pytest.raises(PermissionDeniedError):
        store.subjects.screen(
            study, "s02", "B02", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR
        )
    with pytest.raises(PermissionDeniedError):
        store.subjects.screen(study, "s01", "X1", ELIGIBLE, screened_on=SCREENED_ON, actor=MONITOR)
    assert {r.subject_id for r in store.audit.trail(study, actor=COORDINATOR)} <= {None, "S01"}


def test_consort_flow_counts_statuses(store: Store) -> None:
    study = double_blind_study(store)
    store.subjects.screen(study, "s01", "F1", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    store.subjects.transition(
        study, "F1", "screen_failed", actor=COORDINATOR, reason="eczema herpeticum"
    )
    arms = [enrolled(store, study, f"S{i}") for i in range(4)]
    store.subjects.withdraw(study, "S0", actor=INVESTIGATOR, reason="lost to follow-up")
    flow = store.subjects.consort(study, actor=ADMIN)
    assert (flow.assessed, flow.excluded, flow.enrolled) == (5, 1, 4)
    assert sum(a.allocated for a in flow.arms.values()) == 4
    assert flow.arms[arms[0]].withdrawn == 1
    blinded = store.subjects.consort(study, actor=MONITOR)
    assert list(blinded.arms) == [MASK]
    assert blinded.arms[MASK].allocated == 4


def test_unknown_names_are_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.subjects.all("nope", actor=ADMIN)
    study = double_blind_study(store)
    with pytest.raises(NotFoundError):
        store.subjects.detail(study, "nobody", actor=ADMIN)
    with pytest.raises(StateError, match="exists already"):
        double_blind_study(store)
