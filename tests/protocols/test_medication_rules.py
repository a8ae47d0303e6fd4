"""The protocol's medication rules: rescue allowed and its criteria, prohibited medication, and
the findings (deviations) a con-med raises against them."""

from __future__ import annotations

import pytest

from autoserum.errors import ValidationError
from autoserum.protocols import (
    DEFAULT_MEDICATION,
    Medication,
    load_protocol,
    medication_findings,
    parse_protocol_data,
    protocol_codes,
)


@pytest.mark.parametrize("code", protocol_codes())
def test_every_library_protocol_declares_its_rules_as_autoserum_defaults(code: str) -> None:
    """No source reports co-treatment rules (sources.md: 'Co-treatments: NR'), so each rule in
    the library is marked as an autoserum default with a note, never as published."""
    rules = load_protocol(code).medication
    assert rules.rescue
    assert rules.prohibited
    for rule in (*rules.rescue, *rules.prohibited):
        assert rule.source == "autoserum default"
        assert rule.note
    assert rules.rescue_criteria.source == "autoserum default"
    # the same rules a file without the section gets (only the notes are the file's own)
    for mine, default in ((rules.rescue, DEFAULT_MEDICATION.rescue),
                          (rules.prohibited, DEFAULT_MEDICATION.prohibited)):  # fmt: skip
        assert [(r.atc, r.classes, r.max_potency_eu) for r in mine] == [
            (r.atc, r.classes, r.max_potency_eu) for r in default
        ]


def _findings(rules: Medication, **con_med: object) -> list[str]:
    base: dict[str, object] = {
        "drug": "x",
        "atc_code": None,
        "drug_class": None,
        "potency_eu": None,
        "rescue": False,
        "end_day": None,
    }
    return [f.kind for f in medication_findings(rules, **{**base, **con_med})]  # type: ignore[arg-type]


RULES = load_protocol("ast-nahm2023").medication


@pytest.mark.parametrize(
    ("con_med", "kinds"),
    [
        ({"atc_code": "L04AD01"}, ["prohibited_medication"]),  # ciclosporin, ongoing
        ({"atc_code": "L04AF03", "end_day": 0}, ["prohibited_medication"]),  # until day 0
        ({"atc_code": "L04AD01", "end_day": -1}, []),  # prior medication, stopped before
        ({"drug_class": "biologic"}, ["prohibited_medication"]),  # by class, no code
        ({"atc_code": "D07AC13", "rescue": True}, []),  # potent TCS: allowed rescue
        ({"atc_code": "D07AD01", "rescue": True}, ["rescue_not_allowed"]),  # very potent
        ({"atc_code": "D07AD01", "rescue": False}, []),  # not rescue, not prohibited
        ({"atc_code": "R06AE07", "rescue": True}, ["rescue_not_allowed"]),  # antihistamine
        (
            {"atc_code": "H02AB06", "rescue": True},
            ["prohibited_medication", "rescue_not_allowed"],
        ),
    ],
)
def test_a_con_med_is_judged_against_the_rules(
    con_med: dict[str, object], kinds: list[str]
) -> None:
    assert _findings(RULES, **con_med) == kinds


def test_a_finding_names_the_drug_and_the_rule() -> None:
    (finding,) = medication_findings(
        RULES,
        drug="ciclosporin",
        atc_code="L04AD01",
        drug_class=None,
        potency_eu=None,
        rescue=False,
        end_day=None,
    )
    assert "ciclosporin (L04AD01)" in finding.description
    assert "systemic treatments of atopic dermatitis" in finding.description


def _protocol_with(medication: dict[str, object]) -> dict[str, object]:
    data = load_protocol("ast-nahm2023").model_dump(mode="json")
    data["medication"] = medication
    return data


def test_a_users_protocol_declares_its_own_rescue_rules() -> None:
    data = _protocol_with(
        {
            "rescue_criteria": {"value": "EASI rise of 50%", "source": "published"},
            "rescue": [
                {
                    "description": "any topical steroid",
                    "classes": ["tcs"],
                    "source": "published",
                }
            ],
            "prohibited": [],
        }
    )
    rules = parse_protocol_data(data).medication
    assert _findings(rules, atc_code="D07AD01", rescue=True) == []
    assert _findings(rules, atc_code="L04AD01") == []


def test_a_protocol_without_rules_gets_the_defaults() -> None:
    data = load_protocol("ast-nahm2023").model_dump(mode="json")
    del data["medication"]
    assert parse_protocol_data(data).medication == DEFAULT_MEDICATION


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ({"atc": ["D7A"]}, "medication.rescue[0].atc[0]"),
        ({"classes": ["steroid"]}, "medication.rescue[0].classes[0]"),
        ({"max_potency_eu": "V"}, "medication.rescue[0].max_potency_eu"),
    ],
)
def test_a_bad_rule_names_its_field_path(rule: dict[str, object], path: str) -> None:
    data = _protocol_with(
        {
            "rescue_criteria": {"source": "unknown"},
            "rescue": [{"description": "r", "source": "published", **rule}],
        }
    )
    with pytest.raises(ValidationError) as err:
        parse_protocol_data(data)
    assert err.value.field == path
