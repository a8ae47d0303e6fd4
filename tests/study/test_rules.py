"""The data-integrity rules of the core (``autoserum.study.rules``, ``study.labs``) and the one
tidy validator (``autoserum.study.tidy``): each defect of issue 10 refused with the field, the
value and what was expected. The store, API and import tests check the same rules on every
path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoserum.errors import ValidationError
from autoserum.instruments import score
from autoserum.protocols import load_protocol
from autoserum.study import tidy
from autoserum.study.labs import ANALYTES, check_plausible
from autoserum.study.rules import (
    NOTE_MAX,
    SUBJECT_ID_PATTERN,
    TERM_MAX,
    bounded_text,
    check_age,
    check_not_before,
    check_not_future,
    check_order,
    check_randomisable,
    check_scorable,
    check_subject_id,
    check_volume,
    missing_items,
)

TODAY = date(2026, 3, 31)


@pytest.mark.parametrize(
    "bad", ["A/013", "A 015#2", "x" * 300, "=1+1", "+A1", "-A1", "@A1", "", "A\n1", "é1"]
)
def test_subject_ids_that_a_url_or_a_spreadsheet_would_break_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_subject_id("subject_id", bad)
    assert err.value.field == "subject_id"
    assert "letters, digits" in err.value.expected
    assert len(str(err.value)) < 200  # a 300-character id is shown shortened


@pytest.mark.parametrize("good", ["A-013", "S1", "ASIM-001", "s01.007", "X_1", "9" * 32])
def test_subject_ids_of_the_documented_pattern_pass(good: str) -> None:
    assert check_subject_id("subject_id", good) == good


@given(st.from_regex(SUBJECT_ID_PATTERN, fullmatch=True))
def test_every_id_of_the_pattern_passes(value: str) -> None:
    assert check_subject_id("subject_id", value) == value


def test_dates_after_today_are_refused_with_todays_date_named() -> None:
    assert check_not_future("visit_date", TODAY, today=TODAY) == TODAY
    with pytest.raises(ValidationError) as err:
        check_not_future("visit_date", date(2026, 4, 1), today=TODAY)
    assert err.value.value == "2026-04-01"
    assert "2026-03-31" in err.value.expected


def test_dates_before_screening_or_study_start_are_refused() -> None:
    with pytest.raises(ValidationError) as err:
        check_not_before("visit_date", date(1990, 1, 1), date(2026, 1, 5), what="screening")
    assert err.value.value == "1990-01-01"
    assert err.value.expected == "a date on or after screening (2026-01-05)"
    assert check_not_before("visit_date", date(2026, 1, 5), None, what="screening")


def test_an_end_before_its_start_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        check_order("start_date", date(2026, 2, 1), "end_date", date(2026, 1, 1))
    assert err.value.field == "end_date"
    assert check_order("start_date", date(2026, 1, 1), "end_date", None)


def test_age_is_bounded_and_agrees_with_a_birth_date() -> None:
    with pytest.raises(ValidationError):
        check_age("age", Decimal(200))
    with pytest.raises(ValidationError):
        check_age("age", Decimal(-1))
    born, on = date(1990, 6, 1), date(2021, 1, 1)
    assert check_age("age", Decimal(30), born=born, on=on) == 30
    with pytest.raises(ValidationError) as err:
        check_age("age", Decimal(31), born=born, on=on)
    assert "30 years" in err.value.expected


@pytest.mark.parametrize("volume", ["-5", "0", "5000", "10.01"])
def test_injection_volumes_outside_zero_and_the_maximum_are_refused(volume: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_volume("volume_ml", Decimal(volume), maximum=Decimal(10), product="serum")
    assert err.value.field == "volume_ml"
    assert err.value.value == volume
    assert "at most 10 mL of serum" in err.value.expected


def test_every_arm_declares_a_maximum_volume_default_marked() -> None:
    for code in ("ast-nahm2023", "abt-pittler2003", "aigt-nahm2020"):
        for arm in load_protocol(code).arms:
            assert arm.max_volume.value == 10
            assert arm.max_volume.source == "autoserum default"
    assert check_volume("volume_ml", Decimal(5), maximum=Decimal(10), product="serum") == 5


@pytest.mark.parametrize(
    ("analyte", "value"), [("il10", "-5"), ("ige", "-0.1"), ("eosinophils_pct", "101")]
)
def test_lab_values_outside_plausibility_limits_are_refused(analyte: str, value: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_plausible(analyte, Decimal(value))
    assert err.value.field == f"{analyte}.value"
    assert err.value.value == value
    assert ANALYTES[analyte].unit in err.value.expected


def test_free_text_is_trimmed_and_bounded() -> None:
    assert bounded_text("term", "  headache  ", limit=TERM_MAX) == "headache"
    assert bounded_text("note", "   ", limit=NOTE_MAX, required=False) is None
    with pytest.raises(ValidationError) as err:
        bounded_text("term", "x" * 20_000, limit=TERM_MAX)
    assert err.value.expected == f"at most {TERM_MAX} characters"
    assert "20000 characters" in str(err.value.value)
    assert len(str(err.value)) < 200  # never the 20,000 characters back (the flash cookie)
    with pytest.raises(ValidationError):
        bounded_text("term", "  ", limit=TERM_MAX)


def test_randomisation_needs_every_rule_known_or_an_override() -> None:
    assert check_randomisable("S1", failed=[], unknown=[], override_reason=None) is None
    with pytest.raises(ValidationError) as err:
        check_randomisable("S1", failed=[], unknown=["atopic_dermatitis"], override_reason=None)
    assert "unknown atopic_dermatitis" in str(err.value.value)
    with pytest.raises(ValidationError):
        check_randomisable("S1", failed=["age"], unknown=[], override_reason="   ")
    reason = check_randomisable(
        "S1", failed=["age"], unknown=[], override_reason=" PI approved: 17 y 11 m "
    )
    assert reason == "PI approved: 17 y 11 m"


def test_an_easi_with_only_the_age_is_refused_with_the_items_named() -> None:
    payload = {"age": 30}
    with pytest.raises(ValidationError) as err:
        check_scorable("easi", payload, score("easi", payload))
    assert err.value.field == "head_neck.erythema"  # the first item of the form
    assert "head_neck.area" in err.value.expected
    assert "not done" in err.value.expected


def test_an_empty_poem_is_refused_and_one_missing_item_is_allowed() -> None:
    with pytest.raises(ValidationError) as err:
        check_scorable("poem", {}, score("poem", {}))
    assert err.value.field == "itch"
    assert "two or more unanswered" in err.value.expected
    answers = {"itch": 2, "sleep": 1, "bleeding": 0, "oozing": 0, "cracking": 1, "flaking": 2}
    result = check_scorable("poem", answers, score("poem", answers))
    assert result.total is not None
    assert missing_items("poem", answers) == ["dryness"]


# --- the one tidy validator -------------------------------------------------------------


def _text(**columns: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))


def test_file_errors_name_the_line_and_record_errors_name_study_subject_and_visit() -> None:
    frame = _text(
        subject_id=["S1", "S1"], week=["0", "4"], visit=["baseline", "week_4"], age=["200", "200"]
    )
    with pytest.raises(ValidationError) as err:
        tidy.validate_visits(frame, "visits.csv")
    assert err.value.location == "visits.csv, line 2, column 'age'"
    with pytest.raises(ValidationError) as err:
        tidy.validate_visits(frame, "study AST", first_line=None)
    assert err.value.location == "study AST, subject S1, visit baseline, column 'age'"
    assert "line 1" not in str(err.value)


def test_record_errors_from_item_scoring_name_the_subject_and_visit() -> None:
    frame = _text(subject_id=["S1"], week=["4"], visit=["week_4"], poem_itch=["9"])
    with pytest.raises(ValidationError) as err:
        tidy.validate_visits(frame, "study AST", first_line=None)
    assert err.value.location == "study AST, subject S1, visit week_4, column 'poem_itch'"


@pytest.mark.parametrize(
    ("column", "value"),
    [("subject_id", "A/013"), ("subject_id", "=1+1"), ("il10", "-5"), ("age", "200")],
)
def test_the_validator_applies_the_integrity_rules_of_the_core(column: str, value: str) -> None:
    cells: dict[str, list[str | None]] = {"subject_id": ["S1"], "week": ["0"], column: [value]}
    with pytest.raises(ValidationError) as err:
        tidy.validate_visits(_text(**cells), "f.csv")
    assert err.value.field == column


def test_an_ae_term_of_20000_characters_is_refused_by_the_validator() -> None:
    frame = _text(
        subject_id=["S1"], term=["x" * 20_000], severity=["mild"], serious=["false"],
        related=["possible"], outcome=["recovered"],
    )  # fmt: skip
    with pytest.raises(ValidationError) as err:
        tidy.validate_adverse_events(frame, "f.ae.csv")
    assert err.value.field == "term"
    assert len(str(err.value)) < 200


def test_the_public_surface_of_the_tidy_module_is_pinned() -> None:
    assert set(tidy.__all__) == {
        "AE_COLUMNS",
        "AE_SCHEMA",
        "CONMED_COLUMNS",
        "CONMED_SCHEMA",
        "DERIVED_TOTALS",
        "FORMULA_TRIGGERS",
        "neutralise_cell",
        "neutralise_formulas",
        "restore_formulas",
        "INSTRUMENT_PARAMETERS",
        "INSTRUMENT_RANGES",
        "ITEM_PREFIXES",
        "LAB_UNITS",
        "LINE",  # the line-number column of validate_visits(lines=True) (the bulk import)
        "PRO_SCHEMA",  # the self-report entries' file (daily and weekly rows)
        "SUBJECT_COLUMNS",
        "SUBJECT_LEVEL",
        "TOTAL_COLUMNS",
        "VISIT_COLUMNS",
        "Column",
        "Kind",
        "as_text_frame",
        "export_column",
        "export_columns",
        "integer_items",
        "item_columns",
        "total_range",
        "validate_adverse_events",
        "validate_con_meds",
        "validate_visits",
        "visit_columns",
    }
