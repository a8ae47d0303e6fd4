"""Data queries, automatic checks, source-data verification and electronic signatures in the
store, on SQLite and PostgreSQL: every step audited; a correction after verification or
signature clears or invalidates it in the same transaction."""

from __future__ import annotations

import functools
from datetime import date

import pytest
from sqlalchemy import update

from autoserum.accounts import hash_password
from autoserum.errors import (
    NotFoundError,
    PermissionDeniedError,
    StateError,
    ValidationError,
)
from autoserum.store import Actor, Store
from autoserum.store.models import SignatureRow
from tests.store.helpers import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    SiteInEveryStudy,
    double_blind_study,
    enrolled,
)

MONITOR_S01 = Actor("mona", "monitor", SiteInEveryStudy("s01"))
MONITOR_S02 = Actor("moritz", "monitor", SiteInEveryStudy("s02"))
PASSWORD = "correct horse battery staple"


@functools.cache
def _hash() -> str:
    return hash_password(PASSWORD)


def _study(store: Store) -> str:
    study = double_blind_study(store)
    enrolled(store, study, "S-001")
    return study


def test_query_lifecycle_with_a_linked_correction(store: Store) -> None:
    study = _study(store)
    visit = store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    q = store.queries.open(
        study, "visit", visit.id, "Date differs from the source", actor=MONITOR_S01,
        field="visit_date",
    )  # fmt: skip
    assert (q.status, q.opened_by, q.field, q.subject_id) == ("open", "mona", "visit_date", "S-001")
    # site staff answer with the correction: made in the same transaction, linked
    answered = store.queries.answer(
        study, q.id, "Corrected from the source", actor=COORDINATOR,
        changes={"visit_date": "2026-03-03"}, record_version=visit.version,
    )  # fmt: skip
    assert answered.status == "answered"
    link = answered.messages[-1].correction
    now = next(v for v in store.subjects.detail(study, "S-001", actor=ADMIN).visits
               if v.id == visit.id)  # fmt: skip
    assert link == {"entity": "visit", "record_id": visit.id, "version": now.version,
                    "fields": ["visit_date"]}  # fmt: skip
    assert now.visit_date == date(2026, 3, 3)
    assert now.version > visit.version
    trail = [r for r in store.audit.trail(study, actor=ADMIN) if r.entity == "visit"]
    assert any(
        r.field == "visit_date"
        and r.new_value == "2026-03-03"
        and f"query {q.id}" in (r.reason or "")
        for r in trail
    )
    closed = store.queries.close(study, q.id, "Verified", actor=MONITOR_S01)
    assert closed.status == "closed"
    assert closed.closed_at is not None
    reopened = store.queries.reopen(study, q.id, "Still unclear", actor=MONITOR_S01)
    assert reopened.status == "open"
    assert reopened.closed_at is None
    cancelled = store.queries.cancel(study, q.id, "Raised in error", actor=MONITOR_S01)
    assert cancelled.status == "cancelled"
    assert [m.kind for m in cancelled.messages] == ["open", "answer", "close", "reopen", "cancel"]
    assert [m.author for m in cancelled.messages] == ["mona", "cora", "mona", "mona", "mona"]
    with pytest.raises(StateError, match="cancelled query cannot be answered"):
        store.queries.answer(study, q.id, "late", actor=COORDINATOR)
    # every step is in the audit trail
    trail = store.audit.trail(study, actor=ADMIN)
    ours = {r.record_id for r in trail if r.entity == "query_message" and r.field == "query_id"
            and r.new_value == q.id}  # fmt: skip
    kinds = [r.new_value for r in trail
             if r.entity == "query_message" and r.field == "kind"
             and r.record_id in ours]  # fmt: skip
    assert kinds == ["open", "answer", "close", "reopen", "cancel"]


def test_who_may_move_a_query(store: Store) -> None:
    study = _study(store)
    visit = store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    with pytest.raises(PermissionDeniedError):
        store.queries.open(study, "visit", visit.id, "?", actor=COORDINATOR)
    with pytest.raises(NotFoundError):  # another site's record is not found
        store.queries.open(study, "visit", visit.id, "?", actor=MONITOR_S02)
    with pytest.raises(ValidationError, match="field"):
        store.queries.open(study, "visit", visit.id, "?", actor=MONITOR_S01, field="nope")
    q = store.queries.open(study, "visit", visit.id, "Please check", actor=MONITOR_S01)
    with pytest.raises(PermissionDeniedError):
        store.queries.answer(study, q.id, "mine", actor=MONITOR_S01)
    with pytest.raises(PermissionDeniedError):
        store.queries.close(study, q.id, "done", actor=COORDINATOR)
    with pytest.raises(NotFoundError):
        store.queries.get(study, q.id, actor=MONITOR_S02)
    assert store.queries.list(study, actor=MONITOR_S02) == []
    mine = [x.id for x in store.queries.list(study, actor=INVESTIGATOR) if x.rule is None]
    assert mine == [q.id]
    (row,) = store.queries.summary(study, actor=MONITOR_S01)
    total = len(store.queries.list(study, actor=MONITOR_S01, status="open"))
    assert (row["site"], row["open"], row["max_open_age_days"]) == ("s01", total, 0)


def test_checks_raise_one_query_per_finding_on_write(store: Store) -> None:
    study = _study(store)
    store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    # week 4 is planned on day 28 (window ± 3 days in ast-nahm2023): 10 days late
    store.records.add_visit(study, "S-001", "week_4", "2026-04-09", actor=COORDINATOR)
    store.records.add_lab(study, "S-001", "baseline", "eosinophils", "7.5", "10^9/L",
                          actor=COORDINATOR)  # fmt: skip
    queries = store.queries.list(study, actor=ADMIN)
    rules = sorted(q.rule or "" for q in queries)
    assert "visit_window" in rules
    assert "lab_limits" in rules
    window = next(q for q in queries if q.rule == "visit_window")
    assert window.opened_by == "system:check:visit_window"
    assert window.field == "visit_date"
    authors = {r.username for r in store.audit.trail(study, actor=ADMIN) if r.entity == "query"}
    assert {"system:check:visit_window", "system:check:lab_limits"} <= authors
    before = len(store.queries.list(study, actor=ADMIN))
    assert store.checks.run(study, actor=ADMIN) == [] or all(
        f["rule"] == "missing_assessment" for f in store.checks.run(study, actor=ADMIN)
    )
    again = store.checks.run(study, actor=ADMIN)
    assert again == []  # idempotent: nothing new on a second run
    assert len(store.queries.list(study, actor=ADMIN)) >= before


def test_missing_assessment_and_ae_before_consent(store: Store) -> None:
    study = _study(store)
    store.consent.add_document(study, "1.0", "en", "2026-01-05", actor=ADMIN, sha256="ab" * 32)
    store.consent.record(study, "S-001", "1.0", "2026-02-20T09:00:00+00:00", actor=COORDINATOR,
                         obtained_by="Dr Kim")  # fmt: skip
    store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    store.records.add_adverse_event(
        study, "S-001", actor=COORDINATOR, term="eczema herpeticum", severity="moderate",
        serious=False, related="unlikely", outcome="recovered", onset_date=date(2026, 2, 20),
    )  # fmt: skip
    assert not [q for q in store.queries.list(study, actor=ADMIN) if q.rule == "ae_before_consent"]
    ae = store.records.add_adverse_event(
        study, "S-001", actor=COORDINATOR, term="headache", severity="mild",
        serious=False, related="unlikely", outcome="recovered", onset_date=date(2026, 2, 18),
    )  # fmt: skip
    early = [q for q in store.queries.list(study, actor=ADMIN) if q.rule == "ae_before_consent"]
    assert [(q.entity, q.record_id, q.field) for q in early] == [
        ("adverse_event", ae.id, "onset_date")
    ]
    missing = [q for q in store.queries.list(study, actor=ADMIN) if q.rule == "missing_assessment"]
    # the baseline plans SCORAD and EASI; neither is recorded 7 days after (today 2026-06-30)
    assert {q.text.split(" ")[0] for q in missing} >= {"scorad", "easi"}
    assert store.checks.run(study, actor=ADMIN) == []  # raised on write already: nothing new


def test_sdv_and_its_clearing_by_a_later_change(store: Store) -> None:
    study = _study(store)
    visit = store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    ae = store.records.add_adverse_event(
        study, "S-001", actor=COORDINATOR, term="headache", severity="mild",
        serious=False, related="unlikely", outcome="recovered",
    )  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        store.sdv.verify(study, "adverse_event", ae.id, actor=COORDINATOR)
    with pytest.raises(NotFoundError):
        store.sdv.verify(study, "adverse_event", ae.id, actor=MONITOR_S02)
    done = store.sdv.verify(study, "adverse_event", ae.id, actor=MONITOR_S01)
    assert done["active"]
    assert done["verified_by"] == "mona"
    with pytest.raises(StateError, match="verified already"):
        store.sdv.verify(study, "adverse_event", ae.id, actor=MONITOR_S01)
    store.sdv.verify(study, "visit", visit.id, actor=MONITOR_S01)
    progress = store.sdv.progress(study, actor=MONITOR_S01)
    assert progress["plan"] == "targeted"  # the AD default: eligibility, consent, primary, AEs
    (site,) = progress["sites"]
    # required: the subject (eligibility), the screening SCORAD (the primary endpoint) and the
    # AE; the visit is not in the targeted plan
    assert (site["required"], site["verified"]) == (3, 1)
    store.records.update(study, "adverse_event", ae.id, {"severity": "moderate"},
                         actor=COORDINATOR, reason="re-graded",
                         expected_version=ae.version)  # fmt: skip
    (cleared,) = store.sdv.verifications(study, actor=ADMIN, active=False)[:1]
    assert not cleared["active"]
    assert "re-graded" in cleared["cleared_reason"]
    assert store.sdv.progress(study, actor=MONITOR_S01)["sites"][0]["verified"] == 0
    audit = [r for r in store.audit.trail(study, actor=ADMIN)
             if r.entity == "verification" and r.field == "cleared_at"]  # fmt: skip
    assert len(audit) == 1
    assert audit[0].username == "cora"


def test_signature_bound_to_its_content_and_invalidated_by_a_change(store: Store) -> None:
    study = _study(store)
    store.accounts.create_user("ivan", _hash(), "investigator", frozenset({(study, "s01")}),
                               actor=ADMIN)  # fmt: skip
    ivan = Actor("ivan", "investigator", frozenset({(study, "s01")}))
    # the printed name is the account's full name (21 CFR 11.50), never typed: none, no signature
    with pytest.raises(ValidationError, match="full_name: got None; expected the full name"):
        store.signatures.sign(study, "casebook", actor=ivan, password=PASSWORD,
                              meaning="approval", subject_id="S-001")  # fmt: skip
    store.accounts.update_user("ivan", {"full_name": " Ivan Petrov "}, actor=ADMIN,
                               reason="printed name for signatures")  # fmt: skip
    assert store.accounts.get_user("ivan").full_name == "Ivan Petrov"  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="printed_name: got 'Someone Else'"):
        store.signatures.sign(study, "casebook", actor=ivan, password=PASSWORD,
                              meaning="approval", printed_name="Someone Else",
                              subject_id="S-001")  # fmt: skip
    visit = store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    with pytest.raises(PermissionDeniedError):
        store.signatures.sign(study, "casebook", actor=ivan, password="wrong", meaning="approval",
                              subject_id="S-001")  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        store.signatures.sign(study, "casebook", actor=COORDINATOR, password=PASSWORD,
                              meaning="approval", subject_id="S-001")  # fmt: skip
    with pytest.raises(ValidationError, match="meaning"):
        store.signatures.sign(study, "casebook", actor=ivan, password=PASSWORD, meaning="ok",
                              subject_id="S-001")  # fmt: skip
    sig = store.signatures.sign(
        study, "casebook", actor=ivan, password=PASSWORD, meaning="approval",
        timezone="Asia/Seoul", subject_id="S-001",
    )  # fmt: skip
    vsig = store.signatures.sign(
        study, "visit", actor=ivan, password=PASSWORD, meaning="review",
        subject_id="S-001", visit_code="baseline",
    )  # fmt: skip
    assert sig.valid
    assert vsig.valid
    assert len(sig.content_sha256) == 64
    assert sig.local_signed_at.utcoffset().total_seconds() == 9 * 3600  # type: ignore[union-attr]
    assert "Ivan Petrov (ivan), approval" in sig.manifestation
    assert "Asia/Seoul" in sig.manifestation
    # in the audit trail: who, meaning, the hash
    fields = {r.field: r.new_value for r in store.audit.trail(study, actor=ADMIN)
              if r.entity == "signature" and r.record_id == sig.id}  # fmt: skip
    assert fields["meaning"] == "approval"
    assert fields["printed_name"] == "Ivan Petrov"
    # a correction after signing invalidates both, visibly and audited
    store.records.update(study, "visit", visit.id, {"visit_date": "2026-03-03"},
                         actor=COORDINATOR, reason="typo",
                         expected_version=visit.version)  # fmt: skip
    now = {s.id: s for s in store.signatures.signatures(study, actor=ADMIN)}
    assert not now[sig.id].valid
    assert not now[vsig.id].valid
    assert "typo" in (now[sig.id].invalid_reason or "")


def test_a_signature_cannot_be_moved_to_another_record(store: Store) -> None:
    study = _study(store)
    enrolled(store, study, "S-002")
    store.accounts.create_user("ivan", _hash(), "investigator", frozenset({(study, "s01")}),
                               actor=ADMIN, full_name="Ivan Petrov")  # fmt: skip
    ivan = Actor("ivan", "investigator", frozenset({(study, "s01")}))
    sig = store.signatures.sign(
        study, "casebook", actor=ivan, password=PASSWORD, meaning="authorship",
        subject_id="S-001",
    )  # fmt: skip
    other = store.subjects.detail(study, "S-002", actor=ADMIN).subject.id
    with store.engine.begin() as conn:  # tampering beside the application
        conn.execute(update(SignatureRow).where(SignatureRow.id == sig.id).values(subject_pk=other))
    (moved,) = store.signatures.signatures(study, actor=ADMIN)
    assert moved.subject_id == "S-002"
    assert not moved.valid
    assert "differs" in (moved.invalid_reason or "")


def test_the_data_manager_moves_queries_but_touches_no_clinical_data(store: Store) -> None:
    """The data manager (issue 12): opens, closes, re-opens and cancels queries, runs the
    checks, sees SDV progress and exports; never answers, corrects, randomises, unblinds,
    verifies or signs; blinded."""
    dm = Actor("dana", "data_manager", SiteInEveryStudy("s01"))
    study = _study(store)
    visit = store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    q = store.queries.open(study, "visit", visit.id, "Date as in the source?", actor=dm)
    store.queries.answer(study, q.id, "Checked, correct", actor=COORDINATOR)
    assert store.queries.close(study, q.id, "Thanks", actor=dm).status == "closed"
    assert store.queries.reopen(study, q.id, "Once more", actor=dm).status == "open"
    assert store.queries.cancel(study, q.id, "Raised in error", actor=dm).status == "cancelled"
    store.checks.run(study, actor=dm)
    assert store.sdv.progress(study, actor=dm)
    assert "S-001" in store.exports.long(study, actor=dm)["subject_id"].to_list()
    refused = (
        lambda: store.queries.answer(study, q.id, "mine", actor=dm),
        lambda: store.records.add_visit(study, "S-001", "week_4", "2026-03-30", actor=dm),
        lambda: store.subjects.unblind(study, "S-001", actor=dm, reason="curious"),
        lambda: store.sdv.verify(study, "visit", visit.id, actor=dm),
    )
    for attempt in refused:
        with pytest.raises(PermissionDeniedError):
            attempt()
    (subject,) = [s for s in store.subjects.all(study, actor=dm) if s.subject_id == "S-001"]
    assert subject.arm == "blinded"
