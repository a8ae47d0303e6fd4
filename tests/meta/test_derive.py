"""Derivations from reported results (Cochrane Handbook v6.4) against R.

Expected numbers come from ``reference/derive_reference.json`` written by
``reference/derive_reference.R``; tolerance 1e-9 relative unless stated.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoserum.errors import ValidationError
from autoserum.meta import (
    binary_effect,
    count_from_percent,
    effect_from_ci,
    effect_from_means,
    effect_from_p,
    log_or_to_smd,
    sd_of_change,
    se_from_ci,
    se_from_p,
    smd_from_p,
    smd_from_t,
)

REF = json.loads((Path(__file__).parent / "reference" / "derive_reference.json").read_text())
REL = 1e-9


def test_se_from_ci_normal_and_t() -> None:
    # R: (14.9 - 4.2) / (2 * qnorm(0.975)) and / (2 * qt(0.975, 28)); rel 1e-9
    assert se_from_ci(4.2, 14.9) == pytest.approx(REF["se_ci_z"], rel=REL)
    assert se_from_ci(4.2, 14.9, df=28) == pytest.approx(REF["se_ci_t"], rel=REL)


def test_se_from_ci_of_a_ratio_uses_the_log_scale() -> None:
    # R: (log(0.9) - log(0.3)) / (2 * qnorm(0.975)); rel 1e-9
    assert se_from_ci(0.3, 0.9, log=True) == pytest.approx(REF["se_log_ci"], rel=REL)


def test_se_from_p_normal_and_t() -> None:
    # R: 9.6 / qnorm(1 - 0.001/2) and 9.6 / qt(1 - 0.001/2, 28); rel 1e-9
    assert se_from_p(9.6, 0.001) == pytest.approx(REF["se_p_z"], rel=REL)
    assert se_from_p(-9.6, 0.001, df=28) == pytest.approx(REF["se_p_t"], rel=REL)


def test_effect_from_ci_records_its_method() -> None:
    # R: (14.9 - 4.2) / (2 * qt(0.975, 28)), squared; rel 1e-9
    eff = effect_from_ci("MD", -9.6, -14.9, -4.2, df=28)
    assert eff.derived
    assert eff.method == "se_from_ci_t"
    assert eff.vi == pytest.approx(REF["se_ci_t"] ** 2, rel=REL)
    assert eff.inputs["df"] == 28


def test_effect_from_p_records_its_method() -> None:
    # R: 9.6 / qt(1 - 0.001/2, 28); rel 1e-9
    eff = effect_from_p("MD", -9.6, 0.001, df=28)
    assert (eff.derived, eff.method) == (True, "se_from_p_t")
    assert eff.se == pytest.approx(REF["se_p_t"], rel=REL)


def test_smd_from_t_matches_metafor() -> None:
    # R: escalc("SMD", ti = -9.6 / se_ci_t, n1i = 15, n2i = 15); rel 1e-9
    eff = smd_from_t(-9.6 / REF["se_ci_t"], 15, 15)
    assert eff.yi == pytest.approx(REF["smd_t"]["yi"], rel=REL)
    assert eff.vi == pytest.approx(REF["smd_t"]["vi"], rel=REL)


def test_smd_from_p_matches_metafor() -> None:
    # R: escalc("SMD", ti = -qt(1 - 0.006/2, 18), n1i = 10, n2i = 10); rel 1e-9
    eff = smd_from_p(0.006, 10, 10, favours_arm1=True)
    assert eff.yi == pytest.approx(REF["smd_p"]["yi"], rel=REL)
    assert eff.vi == pytest.approx(REF["smd_p"]["vi"], rel=REL)
    assert eff.method == "smd_from_p_t"


def test_log_or_to_smd_matches_metafor_or2dl() -> None:
    # R: escalc("OR2DL", ai = 30, bi = 10, ci = 15, di = 4); rel 1e-9
    eff = log_or_to_smd(binary_effect("OR", 30, 40, 15, 19, counts_derived=False))
    assert eff.yi == pytest.approx(REF["or2d"]["yi"], rel=REL)
    assert eff.vi == pytest.approx(REF["or2d"]["vi"], rel=REL)
    assert eff.derived


def test_sd_of_change() -> None:
    # R: sqrt(4^2 + 5^2 - 2 * 0.5 * 4 * 5); rel 1e-9
    assert sd_of_change(4, 5, 0.5) == pytest.approx(REF["sd_change"], rel=REL)


def test_effect_from_means_is_not_derived() -> None:
    # Cochrane 6.5.2: MD = 10.94 - 11.67 exactly; var = 3.92²/35 + 2.72²/15 (arithmetic)
    eff = effect_from_means("MD", 10.94, 3.92, 35, 11.67, 2.72, 15)
    assert not eff.derived
    assert eff.yi == pytest.approx(-0.73, rel=1e-12)
    assert eff.vi == pytest.approx(3.92**2 / 35 + 2.72**2 / 15, rel=1e-12)


def test_count_from_percent_reproduces_printed_percentages() -> None:
    # arithmetic: 11.5% of 26 = 2.99 -> 3 (3/26 = 11.54%); 48.0% of 25 = 12
    assert count_from_percent(11.5, 26, decimals=1) == 3
    assert count_from_percent(48.0, 25, decimals=1) == 12
    assert count_from_percent(79, 19) == 15


def test_count_from_percent_refuses_an_inconsistent_percentage() -> None:
    # Postepy 2023 prints 27.2% for 12/43 (= 27.9%): no integer count of 43 gives 27.2%
    with pytest.raises(ValidationError, match="percent"):
        count_from_percent(27.2, 43, decimals=1)


@given(
    low=st.floats(-100, 100),
    width=st.floats(0.01, 50),
    df=st.one_of(st.none(), st.integers(2, 500)),
)
def test_se_from_ci_inverts_the_interval(low: float, width: float, df: int | None) -> None:
    # property: estimate ± q·SE rebuilds the interval (q from scipy; 1e-9 relative)
    from scipy import stats

    se = se_from_ci(low, low + width, df=df)
    q = stats.norm.ppf(0.975) if df is None else stats.t.ppf(0.975, df)
    assert 2 * q * se == pytest.approx(width, rel=1e-9)


def test_bad_inputs_name_the_field() -> None:
    with pytest.raises(ValidationError, match="ci_high"):
        se_from_ci(5, 4)
    with pytest.raises(ValidationError, match="p_value"):
        se_from_p(1.0, 0.0)
    with pytest.raises(ValidationError, match="correlation"):
        sd_of_change(1, 1, 1.5)
    assert math.isfinite(binary_effect("RR", 0, 10, 3, 10, counts_derived=True).yi)
