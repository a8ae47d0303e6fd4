"""The traps public calculators fall into, each pinned (source: the scoring specification)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from autoserum.errors import NotFoundError, ValidationError
from autoserum.instruments import display_value, get_instrument, instrument_codes, score
from tests.instruments.cases import DLQI_EXAMPLE, EASI_EXAMPLE, EASI_MAX, ZERO, easi_region, scorad

F = Fraction


def easi(age: Any = 30, **regions: Any) -> dict[str, Any]:
    base = {"head_neck": ZERO, "upper_limbs": ZERO, "trunk": ZERO, "lower_limbs": ZERO}
    return {"age": age, **base, **regions}


def test_child_lower_limb_multiplier_is_0_3() -> None:
    # spec § EASI table: lower_limbs 0.3 below 8 years: (3·4)·6·0.3 = 21.6, exact.
    lower = easi_region(3, 3, 3, 3, 6)
    assert score("easi", easi(7.99, lower_limbs=lower)).total == F(216, 10)
    # … and 0.4 from exactly 8.0 years: 28.8.
    assert score("easi", easi(8, lower_limbs=lower)).total == F(288, 10)


def test_easi_half_point_below_one_is_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        score("easi", easi(head_neck=easi_region(0.5, 0, 0, 0, 1)))
    assert err.value.field == "head_neck.erythema"
    assert "0, 1, 1.5, 2, 2.5, 3" in str(err.value)


def test_easi_area_percent_mapping_and_agreement() -> None:
    # spec § EASI: 9.99 % → area 1; 10 % → area 2; 0 % → 0 (region contributes 0).
    region = {"erythema": 2, "induration": 0, "excoriation": 0, "lichenification": 0}
    low = score("easi", easi(head_neck={**region, "area_percent": 9.99})).total
    high = score("easi", easi(head_neck={**region, "area_percent": 10})).total
    assert (low, high) == (F(2, 10), F(4, 10))  # 2·1·0.1 and 2·2·0.1, exact
    both = {**region, "area": 2, "area_percent": 29.9}
    assert score("easi", easi(head_neck=both)).total == F(4, 10)  # 29.9 % agrees with area 2
    with pytest.raises(ValidationError) as err:
        score("easi", easi(head_neck={**region, "area": 2, "area_percent": 30}))
    assert err.value.field == "head_neck.area_percent"


def test_easi_missing_rules() -> None:
    # area 0 → contributes 0 whatever its signs (even missing ones)
    payload = easi(head_neck={"area": 0})
    assert score("easi", payload).total == 0  # spec § EASI missing data: area 0 → 0
    missing = score("easi", easi(head_neck={"erythema": 1, "area": 1}))
    assert missing.total is None
    assert "head_neck.induration" in (missing.reason or "")
    no_age = {k: v for k, v in easi(**EASI_EXAMPLE).items() if k != "age"}
    assert score("easi", no_age).total is None


def test_scorad_uses_seven_b_over_two() -> None:
    # spec § SCORAD: A/5 + 7B/2 + C; A/5 + B/2 + C would give 12.5 here, not 27.5.
    assert score("scorad", scorad(20, (1, 1, 0, 1, 1, 1), 4, 2)).total == F(55, 2)


def test_scorad_objective_scored_without_c() -> None:
    payload = scorad(20, (1, 1, 0, 1, 1, 1), 4, 2)
    payload["pruritus"] = None
    result = score("scorad", payload)
    assert result.total is None
    assert result.extra["objective"] == F(43, 2)  # spec worked example 1: oSCORAD 21.5
    assert result.reason == "missing: pruritus"


def test_scorad_extent_regions_with_maxima() -> None:
    regions = {
        "head_neck": 4.5,
        "upper_limb_left": 0,
        "upper_limb_right": 0,
        "anterior_trunk": 9,
        "back": 6.5,
        "lower_limb_left": 0,
        "lower_limb_right": 0,
        "genitals": 0,
    }
    payload = scorad(0, (1, 1, 0, 1, 1, 1), 4, 2)
    del payload["extent"]
    result = score("scorad", {**payload, "extent_regions": regions})
    assert result.components["extent_a"] == 20  # 4.5 + 9 + 6.5, so spec worked example 1
    assert result.total == F(55, 2)  # spec § SCORAD worked example 1: 27.5, exact
    with pytest.raises(ValidationError) as err:
        score("scorad", {**payload, "extent_regions": {**regions, "head_neck": 9.5}})
    assert err.value.field == "extent_regions.head_neck"
    with pytest.raises(ValidationError):
        score("scorad", {**payload, "extent": 21, "extent_regions": regions})


def test_po_scorad_flag() -> None:
    payload = {**scorad(20, (1, 1, 0, 1, 1, 1), 4, 2), "patient_reported": True}
    result = score("scorad", payload)
    assert result.total == F(55, 2)  # spec: PO-SCORAD uses the same formula (example 1: 27.5)
    assert result.extra["patient_reported"] is True


def test_dlqi_not_relevant_rejected_on_q1_q2() -> None:
    for q in ("q1", "q2"):
        with pytest.raises(ValidationError) as err:
            score("dlqi", {**DLQI_EXAMPLE, q: "not_relevant"})
        assert err.value.field == q
        assert err.value.expected == "one of not_at_all, a_little, a_lot, very_much"
    # spec § DLQI example 1 (17) with q3 a_little (1) → not_relevant (0): 16, exact
    assert score("dlqi", {**DLQI_EXAMPLE, "q3": "not_relevant"}).total == 16


def test_dlqi_q7_logic() -> None:
    yes = {**DLQI_EXAMPLE, "q7": "yes"}
    del yes["q7b"]
    assert score("dlqi", yes).total == 19  # example 1 with q7 = yes (3 instead of 1)
    with pytest.raises(ValidationError) as err:
        score("dlqi", {**DLQI_EXAMPLE, "q7": "yes"})
    assert err.value.field == "q7b"
    # q7 = no without q7b: question 7 unanswered → the one-missing rule (scores 0)
    no_b = {**DLQI_EXAMPLE, "q7b": None}
    result = score("dlqi", no_b)
    assert result.total == 16  # example 1 (17) with q7 scoring 0 instead of 1
    assert result.components["work_school"] is None
    # … and with a second unanswered question, not scored
    assert score("dlqi", {**no_b, "q10": None}).total is None


def test_bands_on_exact_values() -> None:
    # EASI 1.05 is mild (> 1.0) although it rounds to 1 (head_neck signs 3+3+3+1.5, area 1).
    result = score("easi", easi(head_neck=easi_region(3, 3, 3, 1.5, 1)))
    assert result.total == F(105, 100)  # (3+3+3+1.5)·1·0.1 = 1.05, exact
    assert result.band == "mild"
    # SCORAD 24.98 is mild (< 25) although it displays as 25.0 at 1 decimal.
    s = score("scorad", scorad(0.4, (1, 1, 1, 1, 1, 1), 2, 1.9))
    assert s.total == F(2498, 100)  # 0.4/5 + 7·6/2 + 3.9 = 24.98, exact
    assert s.band == "mild"
    assert s.display_total() == "24.98"


def test_display_rounding_is_half_up() -> None:
    assert display_value(F(1, 20)) == "0.05"
    assert display_value(F(1, 3)) == "0.3"
    assert display_value(F(1, 6)) == "0.2"
    assert display_value(F(25, 100) + F(1, 1000)) == "0.3"
    assert display_value(F(14)) == "14.0"


def test_band_set_selection() -> None:
    payload = easi(**EASI_MAX)
    assert score("easi", payload, band_set="chopra2017").band == "severe"
    with pytest.raises(ValidationError) as err:
        score("easi", payload, band_set="nope")
    assert err.value.field == "band_set"
    with pytest.raises(ValidationError):
        score("sassad", {}, band_set="any")


def test_unknown_items_and_instruments() -> None:
    with pytest.raises(ValidationError) as err:
        score("poem", {"itching": 1})
    assert err.value.field == "itching"
    with pytest.raises(NotFoundError):
        get_instrument("nope")
    assert set(instrument_codes()) == {
        "easi",
        "scorad",
        "dlqi",
        "cdlqi",
        "poem",
        "sassad",
        "pp_nrs",
        "sleep_nrs",
        "viga_ad",
        "patient_global",
    }


def test_flatten_unflatten_round_trip() -> None:
    inst = get_instrument("easi")
    payload = {"age": 34, **EASI_EXAMPLE}
    flat = inst.flatten(payload)
    assert flat["head_neck_erythema"] == 2
    assert inst.unflatten(flat) == payload
