"""Responder definitions (source: the specification, § Responders and meaningful change).

Every expected value follows from the definitions there, computed by hand next to the case;
comparisons are exact (Fraction) — no tolerance.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from autoserum.errors import ValidationError
from autoserum.instruments import score
from autoserum.instruments.responders import (
    MCID,
    RESPONDER_DEFINITIONS,
    absolute_change,
    iga_success,
    is_responder,
    percent_improvement,
)

F = Fraction


def test_percent_and_absolute_change_are_exact() -> None:
    # (baseline − visit) / baseline × 100, exact: (14 − 12.7)/14·100 = 65/7
    assert percent_improvement(14, 12.7) == F(65, 7)
    assert percent_improvement(0, 0) is None  # undefined when baseline is 0
    assert absolute_change(10, 6) == -4


@pytest.mark.parametrize(
    ("code", "baseline", "value", "expected"),
    [
        ("easi_50", 20, 10, True),  # exactly 50 % counts (≥)
        ("easi_50", 20, 10.05, False),
        ("easi_75", 20, 5, True),
        ("easi_90", 20, 2, True),
        ("easi_100", 20, 0, True),
        ("easi_100", 20, 0.1, False),
        ("scorad_50", 60, 30, True),
        ("scorad_75", 60, 15.1, False),
        ("oscorad_35", 40, 26, True),  # 35 % exactly
        ("dlqi_4", 10, 6, True),
        ("dlqi_4", 10, 7, False),
        ("poem_4", 12, 9, False),
        ("poem_3", 12, 9, True),
        ("pp_nrs_4", 8, 4, True),
        ("pp_nrs_3", 8, 5, True),
        ("easi_50", 0, 0, None),  # baseline 0: undefined
        ("easi_50", None, 3, None),
    ],
)
def test_responders(
    code: str, baseline: float | None, value: float | None, expected: object
) -> None:
    assert is_responder(code, baseline, value) is expected


def test_iga_success_switch_says_which_definition() -> None:
    assert iga_success(3, 1).success
    assert iga_success(3, 1).definition == "viga_0_1_and_2_grade_improvement"
    assert not iga_success(2, 1).success  # only one grade below baseline
    relaxed = iga_success(2, 1, require_two_grades=False)
    assert relaxed.success
    assert relaxed.definition == "viga_0_1"
    assert is_responder("iga_success", 2, 1) is False
    assert is_responder("iga_success", 2, 1, iga_require_two_grades=False) is True
    with pytest.raises(ValidationError):
        iga_success(5, 1)


def test_scores_as_inputs() -> None:
    base = score("pp_nrs", {"score": 8})
    assert is_responder("pp_nrs_4", base, score("pp_nrs", {"score": 3})) is True
    assert is_responder("pp_nrs_4", base, score("pp_nrs", {})) is None


def test_definitions_and_mcids_are_declared() -> None:
    assert set(RESPONDER_DEFINITIONS) == {
        "easi_50",
        "easi_75",
        "easi_90",
        "easi_100",
        "scorad_50",
        "scorad_75",
        "oscorad_35",
        "dlqi_4",
        "poem_4",
        "poem_3",
        "pp_nrs_4",
        "pp_nrs_3",
        "iga_success",
    }
    # spec: EASI 6.6, SCORAD 8.7, oSCORAD 8.2, POEM 3.4, DLQI 4 — not all confirmed
    assert {k: v.value for k, v in MCID.items()} == {
        "easi": F(66, 10),
        "scorad": F(87, 10),
        "oscorad": F(82, 10),
        "poem": F(34, 10),
        "dlqi": F(4),
    }
    assert all(m.status == "commonly_quoted" for m in MCID.values())
    with pytest.raises(ValidationError):
        is_responder("easi_60", 1, 1)
