"""Concomitant medication in the core: ATC codes, classes, potencies, amounts, the shipped drug
list and the con-med table of the tidy format (its one validator)."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from autoserum.errors import ValidationError
from autoserum.study import medication as med
from autoserum.study import tidy


@pytest.mark.parametrize("code", ["D07AC13", "d07ad01", " L04AF02 ", "R06AE07"])
def test_a_full_atc_code_is_accepted_and_upper_cased(code: str) -> None:
    assert med.check_atc("atc_code", code) == code.strip().upper()


@pytest.mark.parametrize("code", ["D07AC1", "D07AC135", "X07AC13", "D7AC13", "D07A", "", 7])
def test_a_malformed_atc_code_is_refused_naming_field_value_and_rule(code: object) -> None:
    with pytest.raises(ValidationError) as err:
        med.check_atc("atc_code", code)
    assert err.value.field == "atc_code"
    assert err.value.value == code
    assert "e.g. D07AC13" in err.value.expected


@pytest.mark.parametrize("prefix", ["D", "D07", "D07A", "D07AC", "D07AC13"])
def test_a_rule_may_name_any_atc_level(prefix: str) -> None:
    assert med.check_atc_prefix("atc", prefix) == prefix


def test_every_shipped_drug_is_coded_consistently() -> None:
    """Each entry's ATC code is well formed and its class and European potency are those the
    WHO ATC group gives (D07AA-D07AD = classes I-IV); US classes only on topical steroids."""
    assert len({d.name for d in med.DRUGS}) == len(med.DRUGS)
    for drug in med.DRUGS:
        assert re.match(med.ATC_PATTERN, drug.atc), drug
        assert med.class_of_atc(drug.atc) == drug.drug_class, drug
        assert drug.drug_class in med.DRUG_CLASSES
        if drug.drug_class == "tcs":
            assert drug.potency_eu == med.potency_eu_of_atc(drug.atc)
        else:
            assert drug.potency_eu is None
            assert drug.potency_us is None
        assert drug.potency_us is None or drug.potency_us in med.POTENCY_US


def test_the_shipped_list_covers_the_classes_the_issue_names() -> None:
    classes = {d.drug_class for d in med.DRUGS}
    assert {"tcs", "tci", "antihistamine", "systemic_immunosuppressant", "biologic"} <= classes
    assert "jak_inhibitor" in classes
    assert {d.potency_eu for d in med.DRUGS if d.drug_class == "tcs"} == set(med.POTENCY_EU)
    assert med.drug("Dupilumab").atc == "D11AH05"


def test_potency_follows_the_atc_group() -> None:
    # WHO ATC: D07AA weak (I), D07AB moderately potent (II), D07AC potent (III), D07AD very (IV)
    assert [med.potency_eu_of_atc(c) for c in ("D07AA02", "D07AB01", "D07AC13", "D07AD01")] == [
        "I",
        "II",
        "III",
        "IV",
    ]
    assert med.potency_eu_of_atc("D11AH01") is None


def test_fingertip_units_are_half_a_gram() -> None:
    # Long & Finlay, Clin Exp Dermatol 1991;16:444-7: one adult FTU ~ 0.5 g
    assert med.grams_per_week(10, "ftu") == 5.0
    assert med.grams_per_week(12.5, "g") == 12.5
    assert med.grams_per_week(None, "g") is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"atc_code": "D07AC13", "drug_class": "tci"}, "drug_class"),
        ({"atc_code": "D07AC13", "potency_eu": "IV"}, "potency_eu"),
        ({"atc_code": "R06AE07", "potency_us": "V"}, "potency_us"),
        ({"drug_class": "biologic", "potency_eu": "I"}, "potency_eu"),
        ({"amount": 3.0}, "amount_unit"),
    ],
)
def test_contradicting_codes_are_refused(fields: dict[str, object], field: str) -> None:
    base: dict[str, object] = dict.fromkeys(
        ("atc_code", "drug_class", "potency_eu", "potency_us", "amount", "amount_unit")
    )
    with pytest.raises(ValidationError) as err:
        med.check_con_med(**{**base, **fields})  # type: ignore[arg-type]
    assert err.value.field == field


def _text(**columns: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame({k: pl.Series(v, dtype=pl.String) for k, v in columns.items()})


def test_the_validator_types_fills_and_defaults_a_con_med_table() -> None:
    frame = _text(
        subject_id=["S1", "S2"],
        drug=["mometasone furoate 0.1% cream", "cetirizine"],
        atc_code=["D07AC13", "R06AE07"],
        amount=["20", None],
        amount_unit=["ftu", None],
        start_date=["2024-02-01", "2023-05-01"],
        end_date=["2024-02-10", None],
        rescue=["TRUE", None],
    )
    typed = tidy.validate_con_meds(frame, "s.conmed.csv")
    assert typed.columns == list(tidy.CONMED_COLUMNS)
    assert typed.schema == pl.Schema(tidy.CONMED_SCHEMA)
    assert typed["drug_class"].to_list() == ["tcs", "antihistamine"]
    assert typed["potency_eu"].to_list() == ["III", None]
    assert typed["rescue"].to_list() == [True, False]
    assert typed["amount"].to_list() == [20.0, None]
    assert typed["start_date"].to_list() == [date(2024, 2, 1), date(2023, 5, 1)]


@pytest.mark.parametrize(
    ("cells", "field", "line"),
    [
        ({"atc_code": ["D07AC13", "d07"]}, "atc_code", 3),
        ({"potency_us": ["VIII", None]}, "potency_us", 2),
        ({"amount": ["-1", None], "amount_unit": ["g", None]}, "amount", 2),
        ({"amount": [None, "5"]}, "amount_unit", 3),
        ({"start_week": ["2", "1"], "end_week": ["1", None]}, "end_week", 2),
        ({"start_date": [None, "2024-03-02"], "end_date": [None, "2024-03-01"]}, "end_date", 3),
        ({"atc_code": ["D07AD01", None], "potency_eu": ["II", None]}, "potency_eu", 2),
        ({"rescue": ["yes", None]}, "rescue", 2),
    ],
)
def test_a_bad_con_med_cell_names_its_line_column_and_rule(
    cells: dict[str, list[str | None]], field: str, line: int
) -> None:
    frame = _text(subject_id=["S1", "S2"], drug=["a", "b"], **cells)
    with pytest.raises(ValidationError) as err:
        tidy.validate_con_meds(frame, "s.conmed.csv")
    assert err.value.field == field
    assert err.value.location == f"s.conmed.csv, line {line}, column {field!r}"


def test_a_con_med_of_an_unknown_subject_is_refused() -> None:
    frame = _text(subject_id=["S9"], drug=["cetirizine"])
    with pytest.raises(ValidationError) as err:
        tidy.validate_con_meds(frame, "s.conmed.csv", subjects=pl.Series(["S1"]))
    assert err.value.field == "subject_id"


def test_an_unknown_con_med_column_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        tidy.validate_con_meds(_text(subject_id=["S1"], drug=["x"], colour=["red"]), "f")
    assert err.value.field == "colour"
