"""Subject history in the store (both engines): demographics on the subject (a date of birth
or an age, the age derived from the date of birth on the screening date; ethnicity and race
among the protocol's categories; Fitzpatrick I-VI; age at onset of AD not above the age),
previous systemic treatments and atopic comorbidities as records; impossible values refused
naming the field, the value and what was expected, with nothing written; every change audited;
the complete data package carries them, a de-identified one without the date of birth."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from autoserum.errors import ValidationError
from autoserum.store import Store
from autoserum.store.models import ComorbidityRow, PriorTreatmentRow
from tests.store.helpers import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    SCREENED_ON,
    STATISTICIAN,
    double_blind_study,
    enrolled,
)


@pytest.fixture
def study(store: Store) -> str:
    name = double_blind_study(store)
    enrolled(store, name, "S01")  # screened 2026-02-16, age 30 (tests/store/helpers.py)
    return name


def _rows(store: Store, model: type[Any]) -> int:
    with store.engine.connect() as conn:
        return len(conn.execute(model.__table__.select()).all())


def test_demographics_are_recorded_and_the_age_derived_from_the_date_of_birth(
    store: Store, study: str
) -> None:
    # born 1995-08-01: 30 completed years on the screening date 2026-02-16 (hand-computed)
    subject = store.records.record_history(
        study, "S01", actor=COORDINATOR, birth_date="1995-08-01",
        ethnicity="NOT HISPANIC OR LATINO", race="ASIAN", fitzpatrick="III", ad_onset_age="2",
    )  # fmt: skip
    assert (subject.birth_date, subject.age) == (date(1995, 8, 1), Decimal(30))
    assert (subject.ethnicity, subject.race, subject.fitzpatrick) == (
        "NOT HISPANIC OR LATINO", "ASIAN", "III",
    )  # fmt: skip
    assert subject.ad_duration == Decimal(28)  # 30 - 2
    # a later date of birth gives a younger age (29 on 2026-02-16 for 1996-03-01)
    again = store.records.record_history(study, "S01", actor=COORDINATOR, birth_date="1996-03-01")
    assert again.age == Decimal(29)
    trail = store.audit.trail(study, actor=ADMIN, entity="subject")
    changes = {(r.field, r.old_value, r.new_value) for r in trail if r.action == "update"}
    assert ("fitzpatrick", None, "III") in changes
    assert ("birth_date", "1995-08-01", "1996-03-01") in changes
    assert ("age", "30", "29") in changes
    history = {"fitzpatrick", "birth_date", "ethnicity", "race", "ad_onset_age"}
    assert {r.reason for r in trail if r.field in history} == {"subject history"}


IMPOSSIBLE = [  # (values, field, value, what was expected)
    ({"birth_date": "2026-07-01"}, "birth_date", "2026-07-01", "a date not after 2026-02-16"),
    ({"birth_date": "1990-01-01", "age": "25"}, "age", "25",
     "36 years as on 2026-02-16 for a birth date of 1990-01-01"),
    ({"ad_onset_age": "31"}, "ad_onset_age", "31",
     "an age at onset not above the age (30 years)"),
    ({"fitzpatrick": "VII"}, "fitzpatrick", "VII", "one of I, II, III, IV, V, VI"),
    ({"ethnicity": "Martian"}, "ethnicity", "Martian",
     "one of HISPANIC OR LATINO, NOT HISPANIC OR LATINO, NOT REPORTED, UNKNOWN "
     "(the protocol's categories)"),
    ({"age": "200"}, "age", "200", "a number from 0 to 130 years"),
    ({"weight": "70"}, "weight", "70",
     "one of age, birth_date, sex, ethnicity, race, fitzpatrick, ad_onset_age"),
]  # fmt: skip


def test_impossible_history_is_refused_naming_field_value_and_expected(
    store: Store, study: str
) -> None:
    for values, field, value, expected in IMPOSSIBLE:
        with pytest.raises(ValidationError) as err:
            store.records.record_history(study, "S01", actor=COORDINATOR, **values)
        assert (err.value.field, err.value.value, err.value.expected) == (field, value, expected)
    subject = store.subjects.detail(study, "S01", actor=ADMIN).subject
    assert (subject.age, subject.birth_date, subject.fitzpatrick) == (Decimal(30), None, None)
    # the same rules on a correction of the subject
    with pytest.raises(ValidationError) as err:
        store.records.update(
            study, "subject", subject.id, {"ad_onset_age": "40"}, actor=INVESTIGATOR,
            reason="typo", expected_version=subject.version,
        )  # fmt: skip
    assert (err.value.field, err.value.value) == ("ad_onset_age", "40")


def test_the_protocol_declares_the_categories(store: Store, study: str) -> None:
    """A category outside the protocol's list is refused; the default lists are CDISC's."""
    store.records.record_history(study, "S01", actor=COORDINATOR, race="WHITE")
    with pytest.raises(ValidationError, match="the protocol's categories") as err:
        store.records.record_history(study, "S01", actor=COORDINATOR, race="Caucasian")
    assert (err.value.field, err.value.value) == ("race", "Caucasian")


def test_prior_treatments_and_comorbidities_are_records(store: Store, study: str) -> None:
    store.records.record_history(study, "S01", actor=COORDINATOR, birth_date="1995-08-01")
    treated = store.records.add_prior_treatment(
        study, "S01", actor=COORDINATOR, drug="ciclosporin", atc_code="L04AD01",
        start_year="2019", end_year="2021", response="partial", stop_reason="adverse_event",
    )  # fmt: skip
    assert (treated.drug_class, treated.start_year, treated.response) == (
        "systemic_immunosuppressant", 2019, "partial",
    )  # fmt: skip
    asthma = store.records.add_comorbidity(
        study, "S01", actor=COORDINATOR, condition="asthma", onset_age="6", ongoing="yes"
    )
    assert (asthma.condition, asthma.onset_age, asthma.ongoing) == ("asthma", Decimal(6), True)
    refused = [  # (entity, values, field, value)
        ("prior_treatment", {"drug": "ciclosporin", "start_year": "2021", "end_year": "2019"},
         "end_year", "2019"),
        ("prior_treatment", {"drug": "dupilumab", "start_year": "1990"}, "start_year", "1990"),
        ("prior_treatment", {"drug": "dupilumab", "start_year": "2027"}, "start_year", "2027"),
        ("prior_treatment", {"drug": "ciclosporin", "atc_code": "L04AD01", "drug_class": "tcs"},
         "drug_class", "tcs"),
        ("prior_treatment", {"drug": "x", "response": "excellent"}, "response", "excellent"),
        ("comorbidity", {"condition": "other"}, "detail", None),
        ("comorbidity", {"condition": "food_allergy", "onset_age": "31"}, "onset_age", "31"),
        ("comorbidity", {"condition": "eczema"}, "condition", "eczema"),
    ]  # fmt: skip
    for name, values, field, value in refused:
        with pytest.raises(ValidationError) as err:
            store.records.add(study, "S01", name, values, actor=COORDINATOR)
        assert (err.value.field, err.value.value) == (field, value), values
    assert (_rows(store, PriorTreatmentRow), _rows(store, ComorbidityRow)) == (1, 1)
    # a comorbidity's onset bounds the age: an age below it is refused
    subject = store.subjects.detail(study, "S01", actor=ADMIN).subject
    with pytest.raises(ValidationError) as err:
        store.records.record_history(study, "S01", actor=COORDINATOR, birth_date="2021-01-01")
    assert err.value.field == "age"
    # corrections checked and audited
    with pytest.raises(ValidationError):
        store.records.update(
            study, "prior_treatment", treated.id, {"end_year": "2010"}, actor=INVESTIGATOR,
            reason="typo", expected_version=treated.version,
        )  # fmt: skip
    fixed = store.records.update(
        study, "prior_treatment", treated.id, {"response": "good"}, actor=INVESTIGATOR,
        reason="source document", expected_version=treated.version,
    )  # fmt: skip
    assert (fixed.response, fixed.version) == ("good", 2)
    trail = store.audit.trail(study, actor=ADMIN, entity="prior_treatment")
    assert ("response", "partial", "good") in {(r.field, r.old_value, r.new_value) for r in trail}
    detail = store.subjects.detail(study, "S01", actor=INVESTIGATOR)
    assert [t.drug for t in detail.prior_treatments] == ["ciclosporin"]
    assert [c.condition for c in detail.comorbidities] == ["asthma"]
    assert subject.birth_date == date(1995, 8, 1)


def test_the_package_carries_the_history_a_deidentified_one_without_the_birth_date(
    store: Store, study: str
) -> None:
    store.records.record_history(
        study, "S01", actor=COORDINATOR, birth_date="1995-08-01", race="ASIAN", fitzpatrick="IV",
        ad_onset_age="1.5",
    )  # fmt: skip
    store.records.add_prior_treatment(
        study, "S01", actor=COORDINATOR, drug="methotrexate", atc_code="L04AX03",
        start_year="2020", response="none",
    )  # fmt: skip
    store.records.add_comorbidity(study, "S01", actor=COORDINATOR, condition="allergic_rhinitis")
    full = store.exports.package(study, actor=ADMIN)
    [subject] = full.rows["subject"]
    assert (subject["birth_date"], subject["age"], subject["race"], subject["fitzpatrick"]) == (
        date(1995, 8, 1), Decimal(30), "ASIAN", "IV",
    )  # fmt: skip
    deidentified = store.exports.package(study, actor=STATISTICIAN)
    [subject] = deidentified.rows["subject"]
    assert "birth_date" not in subject
    assert (subject["age"], subject["ad_onset_age"]) == (Decimal(30), Decimal("1.5"))
    [treatment] = deidentified.rows["prior_treatment"]
    assert (treatment["drug"], treatment["drug_class"], treatment["start_year"]) == (
        "methotrexate", "systemic_immunosuppressant", 2020,
    )  # fmt: skip
    [comorbidity] = deidentified.rows["comorbidity"]
    assert comorbidity["condition"] == "allergic_rhinitis"


def test_screening_derives_the_age_from_a_date_of_birth(store: Store) -> None:
    name = double_blind_study(store)
    facts = {"atopic_dermatitis": True, "scorad": 40, "sex": "M", "date_of_birth": "2000-02-17"}
    subject = store.subjects.screen(
        name, "s01", "S02", facts, screened_on=SCREENED_ON, actor=COORDINATOR
    )
    assert (subject.age, subject.birth_date) == (Decimal(25), date(2000, 2, 17))  # a day short
    with pytest.raises(ValidationError) as err:
        store.subjects.screen(
            name, "s01", "S03", {**facts, "date_of_birth": "2026-03-01"},
            screened_on=SCREENED_ON, actor=COORDINATOR,
        )  # fmt: skip
    assert (err.value.field, err.value.value) == ("facts.date_of_birth", "2026-03-01")
