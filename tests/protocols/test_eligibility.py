"""Eligibility: eligible, failed rules, unknown facts, rules without a published threshold."""

from __future__ import annotations

import pytest

from autoserum.errors import ValidationError
from autoserum.protocols import evaluate_eligibility, load_protocol

# Nahm 2020 (sources.md §1.4, registry NCT02835170): age ≥ 13, BSA ≥ 10%, SCORAD ≥ 25,
# 28-day washout of systemic drugs.
CANDIDATE = {
    "atopic_dermatitis": True,
    "age": 13,
    "bsa_percent": 10,
    "scorad": 25,
    "days_since_systemic_treatment": 28,
}


def test_eligible_on_the_boundaries() -> None:
    result = evaluate_eligibility(load_protocol("aigt-nahm2020"), CANDIDATE)
    assert result.eligible
    assert (result.failed, result.unknown, result.not_evaluable) == ([], [], [])


@pytest.mark.parametrize(
    ("fact", "value", "rule"),
    [
        ("age", 12, "age"),
        ("bsa_percent", 9.5, "bsa"),
        ("scorad", 24.9, "severity"),
        ("days_since_systemic_treatment", 27, "washout"),
        ("atopic_dermatitis", False, "diagnosis"),
    ],
)
def test_each_rule_fails_just_outside(fact: str, value: object, rule: str) -> None:
    result = evaluate_eligibility(load_protocol("aigt-nahm2020"), {**CANDIDATE, fact: value})
    assert not result.eligible
    assert result.failed == [rule]


def test_missing_facts_are_unknown_not_failed() -> None:
    facts = {k: v for k, v in CANDIDATE.items() if k != "scorad"} | {"bsa_percent": None}
    result = evaluate_eligibility(load_protocol("aigt-nahm2020"), facts)
    assert not result.eligible
    assert result.failed == []
    assert result.unknown == ["bsa_percent", "scorad"]


def test_unpublished_thresholds_are_not_evaluable() -> None:
    # Choi 2024: age criteria not reported; mild-to-moderate as EASI 1.1-21 (autoserum default).
    p = load_protocol("asim-choi2024")
    result = evaluate_eligibility(p, {"atopic_dermatitis": True, "easi": 21})
    assert result.eligible
    assert result.not_evaluable == ["age"]
    too_severe = evaluate_eligibility(p, {"atopic_dermatitis": True, "easi": 21.5})
    assert too_severe.failed == ["severity_max"]
    assert too_severe.to_json()["eligible"] is False


def test_wrong_fact_type_names_the_fact() -> None:
    with pytest.raises(ValidationError) as info:
        evaluate_eligibility(load_protocol("aigt-nahm2020"), {**CANDIDATE, "age": "thirteen"})
    assert info.value.field == "facts.age"
    with pytest.raises(ValidationError, match="true or false"):
        evaluate_eligibility(load_protocol("aigt-nahm2020"), {**CANDIDATE, "atopic_dermatitis": 1})
