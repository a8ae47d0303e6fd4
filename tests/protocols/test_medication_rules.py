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


@pytest.mark.parametrize("code", protocol_codes())
def test_every_autologous_arm_declares_its_product_process(code: str) -> None:
    """The product process of each autologous arm: published where the source gives it, an
    autoserum default (with a note) or unknown otherwise, never an invented published value."""
    for arm in load_protocol(code).arms:
        if arm.product not in ("whole_blood", "serum", "igg"):
            assert arm.process is None
            continue
        process = arm.process
        assert process is not None
        facts = [f for f in process.model_dump().values() if f is not None]
        assert all(f["source"] != "autoserum default" or f["note"] for f in facts)
        if arm.product == "whole_blood":
            limit = process.max_minutes_draw_to_injection
            assert limit is not None
            assert limit.value == 5
        if arm.product == "serum":
            assert process.freeze_thaw_max is not None
            assert process.storage_max_days is not None


def test_the_igg_process_is_the_published_protein_a_purification_of_400_ml() -> None:
    # Nahm 2020 abstract: total IgG purified with Protein A from about 400 mL of venous blood
    process = load_protocol("aigt-nahm2020").arm("igg").process
    assert process is not None
    assert process.draw_volume.describe() == "400 mL"
    assert process.draw_volume.source == "published"
    assert process.purification is not None
    assert "Protein A" in str(process.purification.value)
