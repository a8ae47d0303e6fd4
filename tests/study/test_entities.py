"""The entity registry: one declaration per record type, converters with clear errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autoserum.errors import ValidationError
from autoserum.study import entities
from autoserum.study.entities import REGISTRY, EntitySpec, Field, entity
from autoserum.study.rules import NOTE_MAX, TERM_MAX

RECORD_TYPES = (
    "subject", "visit", "assessment", "lab", "injection", "adverse_event", "con_med",
    "deviation", "unblinding",
)  # fmt: skip


def test_the_public_surface_is_pinned() -> None:
    assert set(entities.__all__) == {
        "REGISTRY", "TEXT_COLUMN_MAX", "EntitySpec", "Field", "Kind", "Parent", "entity",
        "CODE_MAX", "CONSENT_REGISTRY", "PRODUCT_CHAIN", "PROCESS_CODE_PREFIXES", "SIDES",
        "PRODUCT_DEVIATION",
        "STORAGE_KINDS",
        "PHOTO_MEDIA_TYPES", "PHOTO_REGIONS", "PHOTO_SOURCE_TYPES",
        "PRO_FREQUENCIES", "REVIEWED_TYPES", "REVIEW_REGISTRY",
    }  # fmt: skip


@pytest.mark.parametrize("name", RECORD_TYPES)
def test_every_record_type_is_declared_once_with_unique_field_names(name: str) -> None:
    spec = entity(name)
    assert spec.name == name
    assert len(set(spec.names)) == len(spec.names)
    assert all(f.kind != "choice" or f.choices for f in spec.fields)
    assert all(f.kind != "text" or f.max_length for f in spec.fields), "every text is bounded"


def test_an_unknown_record_type_names_the_known_ones() -> None:
    with pytest.raises(ValidationError) as err:
        entity("adverse_events")
    assert err.value.field == "entity"
    assert "adverse_event" in err.value.expected


@pytest.mark.parametrize(
    ("entity_name", "field", "value", "expected"),
    [
        ("adverse_event", "severity", "grave", "one of mild, moderate, severe"),
        ("adverse_event", "serious", "maybe", "true or false"),
        ("adverse_event", "onset_date", "2026-02-30", "an ISO date YYYY-MM-DD"),
        ("adverse_event", "term", "   ", "a non-empty text"),
        ("adverse_event", "term", None, f"a non-empty text of at most {TERM_MAX} characters"),
        ("subject", "age", "200", "a number from 0 to 130 years"),
        ("subject", "facts", [1], "a mapping of names to values"),
        ("deviation", "days", "1.5", "a whole number"),
        ("lab", "value", "abc", "a number"),
    ],
)
def test_a_bad_value_is_refused_naming_field_value_and_expectation(
    entity_name: str, field: str, value: object, expected: str
) -> None:
    with pytest.raises(ValidationError) as err:
        entity(entity_name).field(field).convert(value)
    assert (err.value.field, err.value.expected) == (field, expected)
    assert err.value.value == value or str(err.value.value).startswith(str(value).strip()[:5])


def test_text_is_trimmed_and_bounded_by_the_declared_limit() -> None:
    term = entity("adverse_event").field("term")
    assert term.convert("  headache ") == "headache"
    assert term.convert("x" * TERM_MAX) == "x" * TERM_MAX
    with pytest.raises(ValidationError) as err:
        term.convert("x" * (TERM_MAX + 1))
    assert err.value.expected == f"at most {TERM_MAX} characters"
    assert entity("deviation").field("description").max_length == NOTE_MAX


def test_values_are_typed_by_kind() -> None:
    ae = entity("adverse_event")
    values = ae.convert(
        {
            "term": " rash ",
            "severity": "mild",
            "serious": "yes",
            "related": "possible",
            "outcome": "recovered",
            "onset_date": "2026-03-01",
            "onset_week": "2.5",
        }
    )
    assert values == {
        **dict.fromkeys(f.name for f in ae.editable),  # every editable field; missing: None
        "term": "rash",
        "onset_date": dt.date(2026, 3, 1),
        "onset_week": Decimal("2.5"),
        "severity": "mild",
        "serious": True,
        "related": "possible",
        "outcome": "recovered",
    }
    at = entity("unblinding").field("at").convert("2026-03-01T10:00:00+02:00")
    assert at == dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def test_a_full_record_needs_its_required_fields_a_partial_one_only_those_given() -> None:
    ae = entity("adverse_event")
    with pytest.raises(ValidationError) as err:
        ae.convert({"term": "rash"})
    assert err.value.field == "severity"
    assert ae.convert({"outcome": "fatal"}, partial=True) == {"outcome": "fatal"}


def test_a_field_that_may_not_be_set_names_those_that_may() -> None:
    with pytest.raises(ValidationError) as err:
        entity("lab").convert({"flag": "high"}, partial=True)
    assert err.value.field == "lab.flag"
    assert err.value.expected == "one of ref_high, ref_low, unit, value"


def test_masked_fields_are_those_that_reveal_the_arm() -> None:
    masked = {
        (spec.name, f.name) for spec in REGISTRY.values() for f in spec.fields
        if f.masked_for_blinded
    }  # fmt: skip
    assert masked == {
        ("subject", "arm"), ("subject", "allocation_id"), ("injection", "product"),
        # an aliquot's (AL-) or a draw's (BD-) code: only an active arm has one
        ("injection", "product_code"),
        # the blinded kit: what the unblinded preparer put in it, and who the preparer was
        ("preparation", "product"), ("preparation", "prepared_by"),
    }  # fmt: skip


def test_a_field_declared_on_a_copy_leaves_the_registry_alone() -> None:
    ae = entity("adverse_event")
    copy = ae.with_field(Field("rechallenge", "text", "Rechallenge result", max_length=200))
    assert isinstance(copy, EntitySpec)
    assert copy.names[-1] == "rechallenge"
    assert "rechallenge" not in entity("adverse_event").names
