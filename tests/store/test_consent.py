"""Informed consent in the store, on both engines: documents, consents, withdrawal, re-consent,
and the gate on every writer after the pre-screen (nothing written when it refuses)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from autoserum.errors import NotFoundError, PermissionDeniedError, StateError, ValidationError
from autoserum.store import Store
from autoserum.store.replay import current_state, replay_audit
from tests.store.helpers import (
    ADMIN,
    COORDINATOR,
    ELIGIBLE,
    INVESTIGATOR,
    MONITOR,
    SCREENED_ON,
    double_blind_study,
)

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4 synthetic consent form v1"
SIGNED = "2026-02-16T09:30:00+01:00"


def _study(store: Store) -> str:
    name = double_blind_study(store)
    store.consent.add_document(name, "1.0", "en", "2026-01-05", actor=ADMIN, content=PDF)
    store.subjects.screen(name, "s01", "S01", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    return name


def _rows(store: Store, study: str) -> int:
    return len(store.audit.raw_rows(study))


def test_documents_are_registered_by_admins_with_the_file_hash(store: Store) -> None:
    name = double_blind_study(store)
    doc = store.consent.add_document(
        name, "1.0", "en", "2026-01-05", actor=ADMIN, content=PDF, title="ICF main study"
    )
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    store.consent.add_document(name, "1.0", "de", date(2026, 1, 5), actor=ADMIN, sha256="AB" * 32)
    assert [(d.document_version, d.language) for d in store.consent.documents(name)] == [
        ("1.0", "en"),
        ("1.0", "de"),
    ]
    with pytest.raises(PermissionDeniedError):
        store.consent.add_document(
            name, "2.0", "en", "2026-04-01", actor=INVESTIGATOR, sha256="a" * 64
        )
    with pytest.raises(StateError, match="exists already"):
        store.consent.add_document(name, "1.0", "en", "2026-04-01", actor=ADMIN, sha256="a" * 64)
    bad = [
        ({"sha256": "xyz"}, "sha256"),
        ({"sha256": None}, "sha256"),
        ({"sha256": "a" * 64, "content": PDF}, "sha256"),  # the digest does not match the file
    ]
    for kwargs, field in bad:
        with pytest.raises(ValidationError) as err:
            store.consent.add_document(name, "3.0", "en", "2026-04-01", actor=ADMIN, **kwargs)  # type: ignore[arg-type]
        assert err.value.field == field
    with pytest.raises(ValidationError) as err:
        store.consent.add_document(
            name, "3.0", "english", "2026-04-01", actor=ADMIN, sha256="a" * 64
        )
    assert err.value.field == "language"
    assert len(store.consent.documents(name)) == 2


def test_randomisation_and_collection_are_refused_before_consent(store: Store) -> None:
    name = _study(store)
    before = _rows(store, name)
    refused: list[Callable[[], object]] = [
        lambda: store.subjects.randomise(name, "S01", actor=INVESTIGATOR),
        lambda: store.subjects.transition(name, "S01", "enrolled", actor=INVESTIGATOR),
        lambda: store.records.add_visit(name, "S01", "baseline", "2026-03-02", actor=COORDINATOR),
        lambda: store.records.add_assessment(
            name, "S01", "screening", "pp_nrs", {"score": 3}, actor=COORDINATOR
        ),
        lambda: store.records.add_adverse_event(
            name,
            "S01",
            actor=COORDINATOR,
            term="itch",
            severity="mild",
            serious=False,
            related="possible",
            outcome="recovering",
        ),
        lambda: store.records.add_con_med(name, "S01", actor=COORDINATOR, name="cetirizine"),
    ]
    for call in refused:
        with pytest.raises(ValidationError) as err:
            call()
        assert err.value.field == "consent"
        assert "S01" in err.value.expected
    assert _rows(store, name) == before  # nothing written
    assert store.consent.of_subject(name, "S01", actor=COORDINATOR).state.status == "none"


def test_consent_opens_collection_and_withdrawal_closes_it(store: Store) -> None:
    name = _study(store)
    consent = store.consent.record(
        name, "S01", "1.0", SIGNED, actor=COORDINATOR, obtained_by="Dr Kim",
        witness="Nurse Lee", components={"photographs": True, "sample_storage": False},
    )  # fmt: skip
    assert consent.consented_at == datetime(2026, 2, 16, 8, 30, tzinfo=UTC)
    assert consent.components == {"photographs": True, "sample_storage": False}
    assert store.subjects.randomise(name, "S01", actor=INVESTIGATOR) == "blinded"
    store.records.add_visit(name, "S01", "baseline", "2026-03-02", actor=COORDINATOR)
    store.records.add_assessment(name, "S01", "baseline", "pp_nrs", {"score": 4}, actor=COORDINATOR)
    store.records.add_visit(name, "S01", "week_4", "2026-03-30", actor=COORDINATOR)
    state = store.consent.withdraw(
        name, "S01", "2026-04-10", actor=COORDINATOR, reason="no longer wishes to take part"
    )
    assert (state.state.status, state.state.withdrawn_on) == ("withdrawn", date(2026, 4, 10))
    before = _rows(store, name)
    with pytest.raises(ValidationError) as err:  # after the withdrawal date: no collection
        store.records.add_visit(name, "S01", "week_8", "2026-04-27", actor=COORDINATOR)
    assert err.value.field == "consent"
    assert "withdrawn on 2026-04-10" in str(err.value)
    with pytest.raises(ValidationError):  # the con-med is recorded today, after withdrawal
        store.records.add_con_med(name, "S01", actor=COORDINATOR, name="cetirizine")
    assert _rows(store, name) == before
    # data collected before the withdrawal (a visit dated before it) may still be entered
    store.records.add_assessment(name, "S01", "week_4", "pp_nrs", {"score": 2}, actor=COORDINATOR)
    with pytest.raises(StateError, match="withdrew consent already"):
        store.consent.withdraw(name, "S01", "2026-04-11", actor=COORDINATOR, reason="again")
    with pytest.raises(StateError, match="withdrew consent"):
        store.consent.record(name, "S01", "1.0", SIGNED, actor=COORDINATOR, obtained_by="Dr Kim")
    detail = store.consent.of_subject(name, "S01", actor=ADMIN)
    assert detail.to_dict()["consents"][0]["withdrawal_reason"] == "no longer wishes to take part"


def test_a_new_document_version_flags_re_consent(store: Store) -> None:
    name = _study(store)
    store.consent.record(name, "S01", "1.0", SIGNED, actor=COORDINATOR, obtained_by="Dr Kim")
    store.subjects.screen(name, "s01", "S02", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    store.consent.add_document(name, "2.0", "en", "2026-04-01", actor=ADMIN, sha256="cd" * 32)
    flags = {c.subject_id: c.state.status for c in store.consent.overview(name, actor=MONITOR)}
    assert flags == {"S01": "reconsent", "S02": "none"}  # TODAY is after 1 April
    early = store.consent.overview(name, actor=ADMIN, on=date(2026, 3, 31))
    assert early[0].state.status == "valid"
    with pytest.raises(ValidationError) as err:  # version 2.0 is not in effect on 16 Feb
        store.consent.record(name, "S02", "2.0", SIGNED, actor=COORDINATOR, obtained_by="Dr Kim")
    assert err.value.field == "consented_at"
    store.consent.record(
        name, "S01", "2.0", "2026-04-02T10:00:00+09:00", actor=COORDINATOR, obtained_by="Dr Kim"
    )
    state = store.consent.of_subject(name, "S01", actor=ADMIN).state
    assert (state.status, state.signed_version, state.current) == ("valid", "2.0", "2.0")


def test_consent_input_is_checked_and_site_scoped(store: Store) -> None:
    name = _study(store)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"consented_at": "2026-02-16 09:30"}, "consented_at"),  # no UTC offset
        ({"consented_at": "2026-12-01T09:30+00:00"}, "consented_at"),  # after today
        ({"document_version": "9.9"}, "document_version"),
        ({"obtained_by": " "}, "obtained_by"),
        ({"components": {"tattoo": True}}, "components"),
        ({"components": {"photographs": "yes"}}, "components.photographs"),
    ]
    before = _rows(store, name)  # refused input writes nothing
    for change, field in cases:
        kwargs: dict[str, Any] = {
            "document_version": "1.0",
            "consented_at": SIGNED,
            "obtained_by": "Dr Kim",
        }
        kwargs.update(change)
        with pytest.raises(ValidationError) as err:
            store.consent.record(name, "S01", actor=COORDINATOR, **kwargs)
        assert err.value.field == field
    with pytest.raises(PermissionDeniedError):
        store.consent.record(name, "S01", "1.0", SIGNED, actor=MONITOR, obtained_by="x")
    assert _rows(store, name) == before
    store.studies.add_site(name, "s02", "Busan", actor=ADMIN)
    store.subjects.screen(name, "s02", "B01", ELIGIBLE, screened_on=SCREENED_ON, actor=ADMIN)
    with pytest.raises(NotFoundError):  # another site's subject: answered like a missing one
        store.consent.record(name, "B01", "1.0", SIGNED, actor=COORDINATOR, obtained_by="x")
    with pytest.raises(NotFoundError):
        store.consent.of_subject(name, "B01", actor=COORDINATOR)
    assert [c.subject_id for c in store.consent.overview(name, actor=COORDINATOR)] == ["S01"]
    assert not [r for r in store.audit.raw_rows(name) if r.entity == "consent"]


def test_a_study_without_consent_documents_is_not_gated_and_import_refuses_a_gated_one(
    store: Store,
) -> None:
    name = double_blind_study(store, "OPEN")
    store.subjects.screen(name, "s01", "S01", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    store.subjects.randomise(name, "S01", actor=INVESTIGATOR)  # no documents: not gated
    gated = _study(store)
    frame = pl.read_csv(ROOT / "demo" / "store-visits.csv", infer_schema=False)
    before = _rows(store, gated)
    with pytest.raises(ValidationError) as err:
        store.exports.import_long(gated, frame, actor=ADMIN)
    assert (err.value.field, err.value.value) == ("study", gated)
    assert "consent" in err.value.expected
    assert _rows(store, gated) == before


def test_consents_are_audited_and_replayed(store: Store) -> None:
    name = _study(store)
    store.consent.record(name, "S01", "1.0", SIGNED, actor=COORDINATOR, obtained_by="Dr Kim")
    store.consent.withdraw(name, "S01", "2026-03-01", actor=COORDINATOR, reason="moved away")
    rows = store.audit.raw_rows(name)
    entities = {(r.entity, r.action) for r in rows}
    assert {
        ("consent_document", "insert"),
        ("consent", "insert"),
        ("consent", "update"),
    } <= entities
    withdrawal = [r for r in rows if r.entity == "consent" and r.field == "withdrawn_on"]
    assert withdrawal[-1].reason == "moved away"
    assert withdrawal[-1].username == COORDINATOR.username
    assert replay_audit(rows) == current_state(store, name)


def test_consents_are_exported_and_counted_in_the_consort_flow(store: Store) -> None:
    from tests.store.helpers import STATISTICIAN

    name = _study(store)
    store.subjects.screen(name, "s01", "S02", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    store.subjects.screen(name, "s01", "S03", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    store.consent.record(
        name, "S01", "1.0", SIGNED, actor=COORDINATOR, obtained_by="Dr Kim",
        witness="Nurse Lee", components={"photographs": True, "sample_storage": False},
    )  # fmt: skip
    store.consent.record(name, "S02", "1.0", SIGNED, actor=COORDINATOR, obtained_by="Dr Kim")
    store.consent.withdraw(name, "S02", "2026-03-01", actor=COORDINATOR, reason="moved away")
    flow = store.subjects.consort(name, actor=MONITOR)
    assert (flow.assessed, flow.consented, flow.consent_withdrawn) == (3, 2, 1)
    assert flow.to_dict()["consented"] == 2
    plain = double_blind_study(store, "PLAIN")
    assert store.subjects.consort(plain, actor=ADMIN).consented is None  # not managed
    frame = store.exports.consents(name, actor=ADMIN)
    assert frame.columns[:4] == ["subject_id", "site", "document_version", "language"]
    assert frame["subject_id"].to_list() == ["S01", "S02"]
    first = frame.row(0, named=True)
    assert first["consented_at"] == "2026-02-16T08:30:00+00:00"
    assert (first["component_photographs"], first["component_sample_storage"]) == (True, False)
    assert first["component_genetic_testing"] is None
    assert first["witness"] == "Nurse Lee"
    assert frame.row(1, named=True)["withdrawn_on"] == date(2026, 3, 1)
    blinded = store.exports.consents(name, actor=STATISTICIAN)
    assert blinded["witness"].to_list() == [None, None]  # people's names left out
    assert blinded["obtained_by"].to_list() == [None, None]
    assert "arm" not in blinded.columns
