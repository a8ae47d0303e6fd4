"""Adverse events to ICH E2A in the store (both engines): seriousness criteria agreeing with
``serious``, relatedness to the product and to the procedure, expectedness and special
interest from the protocol's safety information, MedDRA code form, the SAE clock's start,
follow-ups as audited versions, and the serious events listed within the actor's reach."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from autoserum.errors import ValidationError
from autoserum.store import Store
from tests.store.helpers import ADMIN, COORDINATOR, INVESTIGATOR, double_blind_study, enrolled

AWARE = datetime(2026, 3, 20, 8, 30, tzinfo=UTC)
SAE = {
    "term": "injection site cellulitis", "severity": "severe", "serious": True,
    "sae_hospitalisation": True, "related": "possible", "related_procedure": "probable",
    "action_taken": "drug_interrupted", "outcome": "recovering", "onset_date": "2026-03-19",
    "aware_at": AWARE.isoformat(), "meddra_pt": "10007882", "narrative": "IV antibiotics",
}  # fmt: skip


@pytest.fixture
def study(store: Store) -> str:
    name = double_blind_study(store)
    enrolled(store, name, "S01")
    store.records.add_injection(name, "S01", "2026-03-02", actor=COORDINATOR, volume_ml="5")
    return name


def test_a_serious_event_is_recorded_to_e2a(store: Store, study: str) -> None:
    ae = store.records.add_adverse_event(study, "S01", actor=COORDINATOR, **SAE)
    assert (ae.serious, ae.sae_hospitalisation, ae.sae_death) == (True, True, False)
    assert (ae.related, ae.related_procedure, ae.action_taken) == (
        "possible", "probable", "drug_interrupted",
    )  # fmt: skip
    # the default reference safety information lists injection-site infection, not
    # cellulitis: unexpected; the term is of two special interests of the protocol
    assert ae.expected is False
    assert ae.aesi == "injection_site_reaction, infection"
    assert ae.aware_at == AWARE
    expected = store.records.add_adverse_event(
        study, "S01", actor=COORDINATOR, term="Injection-site haematoma", severity="mild",
        serious=False, related="not_related", related_procedure="definite", outcome="recovered",
        end_date="2026-03-05", onset_date="2026-03-02",
    )  # fmt: skip
    assert expected.expected is True
    assert expected.aware_at is None  # not serious: no clock
    listed = store.records.serious_events(study, actor=INVESTIGATOR)
    assert [(e.id, e.term) for e in listed] == [(ae.id, "injection site cellulitis")]


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"sae_hospitalisation": False}, "seriousness_criteria", "at least one criterion"),
        ({"serious": False}, "serious", r"true \(criteria given: hospitalisation\)"),
        ({"outcome": "fatal", "end_date": "2026-03-25"}, "seriousness_criteria", "death"),
        ({"end_date": "2026-03-10"}, "end_date", "not before onset"),
        ({"end_date": "2026-03-25"}, "outcome", "no end date"),
        ({"meddra_pt": "1000788"}, "meddra_pt", "eight digits"),
        ({"related_procedure": "maybe"}, "related_procedure", "one of not_related"),
        ({"aware_at": "2026-03-20 08:30"}, "aware_at", "UTC offset"),
        ({"reported_at": "2026-03-20T07:00+00:00"}, "reported_at", "not before"),
    ],
)
def test_an_inconsistent_event_is_refused_naming_the_field(
    store: Store, study: str, change: dict[str, object], field: str, expected: str
) -> None:
    with pytest.raises(ValidationError, match=expected) as err:
        store.records.add_adverse_event(study, "S01", actor=COORDINATOR, **{**SAE, **change})
    assert err.value.field == field
    assert store.subjects.detail(study, "S01", actor=ADMIN).adverse_events == ()


def test_a_serious_event_needs_the_time_the_site_became_aware(store: Store, study: str) -> None:
    values = {k: v for k, v in SAE.items() if k != "aware_at"}
    with pytest.raises(ValidationError, match="24-hour clock") as err:
        store.records.add_adverse_event(study, "S01", actor=COORDINATOR, **values)
    assert err.value.field == "aware_at"


def test_a_follow_up_is_a_new_audited_version(store: Store, study: str) -> None:
    ae = store.records.add_adverse_event(study, "S01", actor=COORDINATOR, **SAE)
    follow = store.records.update(
        study, "adverse_event", ae.id,
        {"outcome": "recovered", "end_date": "2026-03-27",
         "reported_at": "2026-03-20T15:00+00:00", "term": "injection site infection"},
        actor=INVESTIGATOR, reason="follow-up 1: discharged", expected_version=ae.version,
    )  # fmt: skip
    assert follow.version == ae.version + 1
    assert (follow.outcome, follow.end_date) == ("recovered", date(2026, 3, 27))
    assert follow.expected is True  # the new term is in the reference safety information
    trail = store.audit.trail(study, actor=ADMIN, entity="adverse_event")
    changes = {(r.field, r.old_value, r.new_value) for r in trail if r.action == "update"}
    assert ("outcome", "recovering", "recovered") in changes
    assert ("expected", False, True) in changes
    assert {r.reason for r in trail if r.action == "update"} == {"follow-up 1: discharged"}
    with pytest.raises(ValidationError, match="at least one criterion"):
        store.records.update(
            study, "adverse_event", ae.id, {"sae_hospitalisation": False},
            actor=INVESTIGATOR, reason="r", expected_version=follow.version,
        )  # fmt: skip
