"""The chain of identity in the core: the aliquot label code with its ISO 7064 MOD 97-10 check
value, and the refusals of an injection (another subject's, used, disposed, expired, thawed too
often)."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import pytest

from autoserum.errors import ValidationError
from autoserum.study.aliquots import (
    AliquotState,
    check_value,
    label_code,
    parse_label_code,
    refusal,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BODY = "AST:AST-01:AL-0003"


def test_the_check_value_is_iso_7064_mod_97_10() -> None:
    # ISO 7064 MOD 97-10: the number followed by the two check digits is 1 modulo 97
    digits = "".join(f"{int(c, 36) if c.isalnum() else 36 + '.-_:'.index(c):02d}" for c in BODY)
    assert int(digits + check_value(BODY)) % 97 == 1


def test_every_single_mistyped_character_is_caught() -> None:
    code = check_value(BODY)
    alphabet = string.ascii_uppercase + string.digits + ".-_:"
    for i, ch in enumerate(BODY):
        for other in alphabet:
            if other != ch:
                assert check_value(BODY[:i] + other + BODY[i + 1 :]) != code, (i, other)


def test_every_swap_of_neighbours_is_caught() -> None:
    code = check_value(BODY)
    for i in range(len(BODY) - 1):
        swapped = BODY[:i] + BODY[i + 1] + BODY[i] + BODY[i + 2 :]
        if swapped != BODY:
            assert check_value(swapped) != code, i


def test_a_label_code_round_trips() -> None:
    code = label_code("AST", "AST-01", "AL-0003")
    assert parse_label_code(f"  {code}\n") == ("AST", "AST-01", "AL-0003")


@pytest.mark.parametrize(
    "code",
    [
        "AS1:AST:AST-02:AL-0003:74",  # subject changed, check kept
        "AS1:AST:AST-01:AL-0003",  # no check value
        "AS2:AST:AST-01:AL-0003:74",  # unknown format
        "AST-01",
        None,
    ],
)
def test_a_wrong_code_is_refused_naming_the_field(code: object) -> None:
    with pytest.raises(ValidationError) as err:
        parse_label_code(code)
    assert err.value.field == "aliquot_code"


def test_an_identifier_with_the_separator_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        label_code("AST", "AST:01", "AL-1")
    assert err.value.field == "subject_id"


A = AliquotState("AL-1", "AST-01", NOW + timedelta(days=7), max_thaws=1)


@pytest.mark.parametrize(
    ("aliquot", "subject", "reason"),
    [
        (A, "AST-01", None),
        (A, "AST-02", "aliquot AL-1 belongs to subject AST-01, not to AST-02"),
        (AliquotState("AL-1", "AST-01", NOW), "AST-01",
         "aliquot AL-1 expired at 2026-03-02T10:00:00+00:00"),
        (AliquotState("AL-1", "AST-01", NOW + timedelta(days=1), used=True), "AST-01",
         "aliquot AL-1 was already injected"),
        (AliquotState("AL-1", "AST-01", NOW + timedelta(days=1), disposed=True), "AST-01",
         "aliquot AL-1 was disposed of"),
        (AliquotState("AL-1", "AST-01", NOW + timedelta(days=1), thaws=2, max_thaws=1), "AST-01",
         "aliquot AL-1 was thawed 2 times (the protocol allows 1)"),
    ],
)  # fmt: skip
def test_an_injection_refuses_an_aliquot_that_may_not_be_given(
    aliquot: AliquotState, subject: str, reason: str | None
) -> None:
    assert refusal(aliquot, subject_id=subject, at=NOW) == reason
