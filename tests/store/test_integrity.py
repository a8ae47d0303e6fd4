"""Data-integrity rules enforced by the store on every write path (issue 10, item 7), on SQLite
and PostgreSQL: each defect of the issue refused with the field, the value and what was
expected, and nothing written. The clock is fixed (``TODAY``), never the wall clock."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import polars as pl
import pytest
from sqlalchemy import text

from autoserum.analysis import study_from_frames
from autoserum.errors import AutoserumError, PermissionDeniedError, ValidationError
from autoserum.store import Actor, Store, open_store
from autoserum.study.status import SubjectStatus

from .helpers import ADMIN, COORDINATOR, ELIGIBLE, INVESTIGATOR

TODAY = date(2026, 6, 30)
SCREENED = "2026-03-01"
STUDY = "AST"


@pytest.fixture
def store(db_url: str) -> Any:
    st = open_store(db_url, clock=lambda: TODAY)
    try:
        yield st
    finally:
        st.close()


def _study(store: Store) -> None:
    store.studies.create(STUDY, "ast-nahm2023", actor=ADMIN, seed=7, allocation_n=8)
    store.studies.add_site(STUDY, "s01", "Seoul", actor=ADMIN)


def _enrolled(store: Store, sid: str = "S1") -> str:
    store.subjects.screen(STUDY, "s01", sid, ELIGIBLE, actor=COORDINATOR, screened_on=SCREENED)
    return store.subjects.randomise(STUDY, sid, actor=ADMIN)


def _refused(call: Any, field: str) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        call()
    assert err.value.field == field, str(err.value)
    assert err.value.http_status == 422
    assert err.value.exit_code == 2
    assert "UNIQUE" not in str(err.value)
    assert "constraint" not in str(err.value)
    return err.value


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


# --- subjects -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["A/013", "A 015#2", "x" * 300, "=1+1", "-A1", "@A1"])
def test_subject_ids_outside_the_pattern_are_refused(store: Store, bad: str) -> None:
    _study(store)
    _refused(lambda: store.subjects.screen(STUDY, "s01", bad, ELIGIBLE, actor=ADMIN), "subject_id")
    assert _count(store, "subjects") == 0


def test_a_screening_scorad_of_500_is_refused(store: Store) -> None:
    _study(store)
    facts = {**ELIGIBLE, "scorad": 500}
    err = _refused(
        lambda: store.subjects.screen(STUDY, "s01", "S1", facts, actor=ADMIN), "facts.scorad"
    )
    assert "103" in err.expected
    assert _count(store, "subjects") == 0


def test_an_age_of_200_at_screening_is_refused(store: Store) -> None:
    _study(store)
    facts = {**ELIGIBLE, "age": 200}
    _refused(lambda: store.subjects.screen(STUDY, "s01", "S1", facts, actor=ADMIN), "facts.age")


def test_screening_records_the_screening_visit_with_its_assessments(store: Store) -> None:
    _study(store)
    facts = {**ELIGIBLE, "easi": 21.5}
    store.subjects.screen(STUDY, "s01", "S1", facts, actor=COORDINATOR, screened_on=SCREENED)
    detail = store.subjects.detail(STUDY, "S1", actor=ADMIN)
    assert [(v.visit_code, v.visit_date) for v in detail.visits] == [
        ("screening", date(2026, 3, 1))
    ]
    totals = {a.instrument: a.total for a in detail.assessments}
    assert totals == {
        "scorad": Fraction(40),
        "easi": Fraction(43, 2),
    }  # as typed at screening, not re-typed


def test_a_screening_date_after_today_is_refused(store: Store) -> None:
    _study(store)
    call = lambda: store.subjects.screen(  # noqa: E731
        STUDY, "s01", "S1", ELIGIBLE, actor=ADMIN, screened_on="2026-07-01"
    )
    _refused(call, "screened_on")
    assert _count(store, "subjects") == 0


def test_randomisation_with_an_unknown_rule_is_refused(store: Store) -> None:
    _study(store)
    facts = {k: v for k, v in ELIGIBLE.items() if k != "atopic_dermatitis"}
    store.subjects.screen(STUDY, "s01", "S1", facts, actor=COORDINATOR, screened_on=SCREENED)
    err = _refused(lambda: store.subjects.randomise(STUDY, "S1", actor=ADMIN), "eligibility")
    assert "unknown atopic_dermatitis" in str(err.value)
    status = store.subjects.detail(STUDY, "S1", actor=ADMIN).subject.status
    assert status == SubjectStatus.SCREENED.value


def test_an_investigator_override_with_a_reason_randomises_and_is_recorded(store: Store) -> None:
    _study(store)
    facts = {k: v for k, v in ELIGIBLE.items() if k != "atopic_dermatitis"}
    store.subjects.screen(STUDY, "s01", "S1", facts, actor=COORDINATOR, screened_on=SCREENED)
    with pytest.raises(PermissionDeniedError):
        store.subjects.randomise(
            STUDY, "S1", actor=COORDINATOR, override_reason="diagnosis confirmed by phone"
        )
    store.subjects.randomise(
        STUDY, "S1", actor=INVESTIGATOR, override_reason="  diagnosis confirmed by dermatologist "
    )
    detail = store.subjects.detail(STUDY, "S1", actor=ADMIN)
    assert detail.subject.status == SubjectStatus.ENROLLED.value
    [override] = [d for d in detail.deviations if d.kind == "eligibility_override"]
    assert "unknown atopic_dermatitis" in override.description
    assert "diagnosis confirmed by dermatologist" in override.description
    trail = store.audit.trail(STUDY, actor=ADMIN)
    assert any(
        r.entity == "deviation" and r.username == "ivan" and "dermatologist" in (r.new_value or "")
        for r in trail
    )


# --- visits, injections, labs -------------------------------------------------------------


def test_visit_dates_in_the_future_or_before_screening_are_refused(store: Store) -> None:
    _study(store)
    _enrolled(store)
    add = store.records.add_visit
    err = _refused(lambda: add(STUDY, "S1", "baseline", "2026-07-01", actor=ADMIN), "visit_date")
    assert "2026-06-30" in err.expected
    err = _refused(lambda: add(STUDY, "S1", "baseline", "1990-01-01", actor=ADMIN), "visit_date")
    assert "screening (2026-03-01)" in err.expected
    assert _count(store, "visits") == 1  # the screening visit only


@pytest.mark.parametrize("volume", ["-5", "0", "5000"])
def test_injection_volumes_outside_the_protocol_maximum_are_refused(
    store: Store, volume: str
) -> None:
    _study(store)
    _enrolled(store)
    call = lambda: store.records.add_injection(  # noqa: E731
        STUDY, "S1", "2026-03-09", actor=ADMIN, volume_ml=volume
    )
    err = _refused(call, "volume_ml")
    assert "10 mL" in err.expected
    assert _count(store, "injections") == 0


def test_injection_dates_in_the_future_or_1990_are_refused(store: Store) -> None:
    _study(store)
    _enrolled(store)
    for when in ("2027-01-01", "1990-05-05"):
        call = lambda w=when: store.records.add_injection(STUDY, "S1", w, actor=ADMIN)  # noqa: E731
        _refused(call, "given_on")
    assert _count(store, "injections") == 0


def test_a_negative_il10_is_refused(store: Store) -> None:
    _study(store)
    _enrolled(store)
    call = lambda: store.records.add_lab(  # noqa: E731
        STUDY, "S1", "screening", "il10", "-5", "pg/mL", actor=ADMIN
    )
    _refused(call, "il10.value")
    assert _count(store, "labs") == 0


def test_a_second_ige_at_a_visit_is_refused_with_a_plain_message(store: Store) -> None:
    _study(store)
    _enrolled(store)
    add = store.records.add_lab
    add(STUDY, "S1", "screening", "ige", "120", "kU/L", actor=ADMIN)
    err = _refused(
        lambda: add(STUDY, "S1", "screening", "ige", "130", "kU/L", actor=ADMIN), "analyte"
    )
    assert "recorded already" in err.expected
    assert _count(store, "labs") == 1


# --- adverse events, con-meds -------------------------------------------------------------


def test_a_20000_character_ae_term_is_refused(store: Store) -> None:
    _study(store)
    _enrolled(store)
    call = lambda: store.records.add_adverse_event(  # noqa: E731
        STUDY, "S1", actor=ADMIN, term="x" * 20_000, severity="mild", serious=False,
        related="possible", outcome="recovered",
    )  # fmt: skip
    err = _refused(call, "term")
    assert len(str(err)) < 300
    assert _count(store, "adverse_events") == 0


def test_ae_onset_in_the_future_and_con_med_end_before_start_are_refused(store: Store) -> None:
    _study(store)
    _enrolled(store)
    ae = lambda: store.records.add_adverse_event(  # noqa: E731
        STUDY, "S1", actor=ADMIN, term="headache", severity="mild", serious=False,
        related="possible", outcome="recovered", onset_date="2026-12-24",
    )  # fmt: skip
    _refused(ae, "onset_date")
    med = lambda: store.records.add_con_med(  # noqa: E731
        STUDY, "S1", actor=ADMIN, name="cetirizine", start_date="2026-03-05",
        end_date="2026-03-01",
    )  # fmt: skip
    _refused(med, "end_date")


# --- assessments --------------------------------------------------------------------------


def test_an_easi_with_only_the_age_is_refused_with_the_items_named(store: Store) -> None:
    _study(store)
    _enrolled(store)
    store.records.add_visit(STUDY, "S1", "baseline", "2026-03-09", actor=ADMIN)
    call = lambda: store.records.add_assessment(  # noqa: E731
        STUDY, "S1", "baseline", "easi", {"age": 30}, actor=ADMIN
    )
    err = _refused(call, "head_neck.erythema")
    assert "head_neck.area" in err.expected
    assert _count(store, "assessments") == 1  # the screening SCORAD only


def test_an_empty_poem_is_refused_unless_recorded_not_done(store: Store) -> None:
    _study(store)
    _enrolled(store)
    store.records.add_visit(STUDY, "S1", "baseline", "2026-03-09", actor=ADMIN)
    add = store.records.add_assessment
    _refused(lambda: add(STUDY, "S1", "baseline", "poem", {}, actor=ADMIN), "itch")
    store.records.assessment_not_done(
        STUDY, "S1", "baseline", "poem", actor=ADMIN, reason="patient left early"
    )
    detail = store.subjects.detail(STUDY, "S1", actor=ADMIN)
    assert not [a for a in detail.assessments if a.instrument == "poem"]
    [dev] = [d for d in detail.deviations if d.kind == "assessment_not_done"]
    assert "poem" in dev.description
    assert "patient left early" in dev.description


def test_a_visit_and_its_assessment_are_one_transaction(store: Store) -> None:
    _study(store)
    _enrolled(store)
    add = store.records.add_assessment
    bad = {"itch": 9}
    with pytest.raises(ValidationError):
        add(STUDY, "S1", "baseline", "poem", bad, actor=ADMIN, visit_date="2026-03-09")
    assert _count(store, "visits") == 1  # no baseline visit left behind
    answers = {"itch": 2, "sleep": 1, "bleeding": 0, "oozing": 0, "cracking": 1, "flaking": 2}
    saved = add(STUDY, "S1", "baseline", "poem", answers, actor=ADMIN, visit_date="2026-03-09")
    assert saved.total == Fraction(6)  # one missing item scores 0 (POEM's rule)
    assert _count(store, "visits") == 2


# --- corrections ----------------------------------------------------------------------------


def test_corrections_obey_the_same_rules(store: Store) -> None:
    _study(store)
    _enrolled(store)
    visit = store.records.add_visit(STUDY, "S1", "baseline", "2026-03-09", actor=ADMIN)
    lab = store.records.add_lab(STUDY, "S1", "baseline", "il10", "5", "pg/mL", actor=ADMIN)
    injection = store.records.add_injection(
        STUDY, "S1", "2026-03-09", actor=ADMIN, volume_ml="5", visit_code="baseline"
    )
    subject = store.subjects.detail(STUDY, "S1", actor=ADMIN).subject
    update = store.records.update
    cases: list[tuple[str, int, int, dict[str, Any], str]] = [
        ("lab", lab.id, 1, {"value": "-5"}, "il10.value"),
        ("injection", injection.id, 1, {"volume_ml": "5000"}, "volume_ml"),
        ("injection", injection.id, 1, {"given_on": "2027-01-01"}, "given_on"),
        ("visit", visit.id, 1, {"visit_date": "2026-12-31"}, "visit_date"),
        ("visit", visit.id, 1, {"visit_date": "1990-01-01"}, "visit_date"),
        ("subject", subject.id, subject.version, {"age": "200"}, "age"),
        ("subject", subject.id, subject.version, {"facts": {"scorad": 500}}, "facts.scorad"),
    ]
    for entity, record_id, version, changes, field in cases:
        call = lambda e=entity, i=record_id, v=version, c=changes: update(  # noqa: E731
            STUDY, e, i, c, actor=ADMIN, reason="typo", expected_version=v
        )
        _refused(call, field)


# --- import and the database read ----------------------------------------------------------


def _frame(**overrides: Any) -> pl.DataFrame:
    row: dict[str, Any] = {
        "subject_id": "S1",
        "arm": "serum",
        "site": "s01",
        "week": 0,
        "visit": "baseline",
        "visit_date": "2026-03-09",
        "age": 30,
        "easi": 20,
    }
    row.update(overrides)
    return pl.DataFrame([row])


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"age": 200}, "age"),
        ({"visit_date": "2026-07-01"}, "visit_date"),
        ({"subject_id": "A/013"}, "subject_id"),
        ({"il10": -5}, "il10"),
    ],
)
def test_import_refuses_what_analysis_refuses(
    store: Store, override: dict[str, Any], field: str
) -> None:
    frame = _frame(**override)
    with pytest.raises(ValidationError) as err:
        store.exports.import_long(STUDY, frame, actor=ADMIN, protocol="ast-nahm2023")
    assert err.value.field == field
    assert "line 2" in str(err.value)
    assert _count(store, "studies") == 0


def test_a_database_read_names_study_subject_and_visit(store: Store) -> None:
    store.exports.import_long(STUDY, _frame(), actor=ADMIN, protocol="ast-nahm2023")
    with store.engine.begin() as conn:  # a value that predates the rules
        conn.execute(text("UPDATE subjects SET age = '200'"))
    visits = store.exports.long(STUDY, actor=ADMIN)
    with pytest.raises(AutoserumError) as err:
        study_from_frames(visits, None, f"study {STUDY}")
    assert str(err.value).startswith(f"study {STUDY}, subject S1, visit baseline, column 'age'")
    assert "line 1" not in str(err.value)


def test_the_default_clock_is_injectable_per_store(db_url: str) -> None:
    early = open_store(db_url, clock=lambda: date(2026, 3, 5))
    try:
        _study(early)
        early.subjects.screen(STUDY, "s01", "S1", ELIGIBLE, actor=ADMIN, screened_on="2026-03-05")
        _refused(
            lambda: early.records.add_visit(STUDY, "S1", "baseline", "2026-03-06", actor=ADMIN),
            "visit_date",
        )
    finally:
        early.close()
    _ = Actor


def test_an_age_disagreeing_with_the_date_of_birth_is_refused(store: Store) -> None:
    _study(store)
    facts = {**ELIGIBLE, "age": 40, "date_of_birth": "1996-05-01"}  # 29 on 2026-03-01
    call = lambda: store.subjects.screen(  # noqa: E731
        STUDY, "s01", "S1", facts, actor=ADMIN, screened_on=SCREENED
    )
    err = _refused(call, "facts.age")
    assert "29 years" in err.expected


def test_reasons_are_bounded(store: Store) -> None:
    _study(store)
    _enrolled(store)
    call = lambda: store.subjects.withdraw(STUDY, "S1", actor=ADMIN, reason="x" * 3000)  # noqa: E731
    _refused(call, "reason")
    status = store.subjects.detail(STUDY, "S1", actor=ADMIN).subject.status
    assert status == SubjectStatus.ENROLLED.value
