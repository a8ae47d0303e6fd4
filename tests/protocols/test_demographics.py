"""The protocol's ``[demographics]``: the categories of ethnicity and race a study collects,
the CDISC terms when the file is silent, and errors naming the field path."""

from __future__ import annotations

from typing import Any

import pytest

from autoserum.errors import ValidationError
from autoserum.protocols import load_protocol, parse_protocol_data
from autoserum.study.history import DEFAULT_ETHNICITIES, DEFAULT_RACES


def _with(demographics: Any) -> dict[str, Any]:
    data = load_protocol("ast-nahm2023").model_dump(mode="json", exclude={"demographics"})
    return {**data, "demographics": demographics}


def test_a_silent_protocol_gets_the_cdisc_terms() -> None:
    p = load_protocol("ast-nahm2023")
    assert (p.demographics.ethnicity, p.demographics.race) == (DEFAULT_ETHNICITIES, DEFAULT_RACES)
    assert "ASIAN" in p.demographics.race


def test_a_protocol_declares_its_own_categories() -> None:
    p = parse_protocol_data(_with({"race": ["KOREAN", "OTHER ASIAN", "OTHER"]}))
    assert p.demographics.race == ("KOREAN", "OTHER ASIAN", "OTHER")
    assert p.demographics.ethnicity == DEFAULT_ETHNICITIES


@pytest.mark.parametrize(
    ("demographics", "field", "value", "expected"),
    [
        ({"race": ["KOREAN", "korean"]}, "demographics.race[1]", "korean",
         "a category not declared twice"),
        ({"ethnicity": []}, "demographics.ethnicity", [], "at least 1 entries"),
        ({"race": ["x" * 61]}, "demographics.race[0]", "x" * 61,
         "a text of at most 60 characters"),
        ({"race": [""]}, "demographics.race[0]", "", "a non-empty text"),
        ({"races": ["A"]}, "demographics.races", ["A"], "no such field (check the spelling)"),
    ],
)  # fmt: skip
def test_bad_categories_name_the_field_path(
    demographics: Any, field: str, value: Any, expected: str
) -> None:
    with pytest.raises(ValidationError) as err:
        parse_protocol_data(_with(demographics))
    assert (err.value.field, err.value.value, err.value.expected) == (field, value, expected)
