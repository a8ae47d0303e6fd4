"""Responder rules as vectorised expressions, against exact rational arithmetic and (for the
instruments library's definitions) ``is_responder``."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from autoserum.analysis import MCID, responder_definitions, responder_expr
from autoserum.instruments.responders import is_responder

# one-decimal EASI values as recorded (0-72)
easi = st.integers(0, 720).map(lambda i: i / 10)


def _exact(code: str, kind: str, threshold: float, b: float, v: float) -> bool | None:
    """docs/instruments.md, 'Responders and meaningful change', in exact arithmetic."""
    fb, fv, ft = Fraction(str(b)), Fraction(str(v)), Fraction(str(threshold))
    if kind == "percent":
        return None if fb == 0 else (fb - fv) / fb * 100 >= ft
    if kind == "absolute":
        return fb - fv >= ft
    return fv <= 1 and fb - fv >= 2


def _library(code: str, b: float, v: float) -> bool | None:
    # decimal strings: the recorded values, not their binary approximations
    return is_responder(code, Decimal(str(b)), Decimal(str(v)))


@given(st.lists(st.tuples(easi, easi), min_size=1, max_size=30))
def test_easi_rules_match_exact_arithmetic(pairs: list[tuple[float, float]]) -> None:
    frame = pl.DataFrame(pairs, schema=["baseline", "value"], orient="row")
    for rule in responder_definitions("easi"):
        got = frame.select(responder_expr(rule).alias("flag"))["flag"].to_list()
        for (b, v), flag in zip(pairs, got, strict=True):
            assert flag == _exact(rule.code, rule.kind, rule.threshold, b, v)
            if not rule.code.endswith("_mcid"):
                assert flag == _library(rule.code, b, v)


def test_threshold_reached_exactly_counts() -> None:
    # 16.6 -> 10.0 improves by exactly 6.6 = the EASI MCID (Schram 2012); in binary floating
    # point 16.6 - 10.0 = 6.600000000000001 and 13.2 - 6.6 = 6.6, both must count.
    frame = pl.DataFrame({"baseline": [16.6, 13.2, 13.1], "value": [10.0, 6.6, 6.6]})
    (rule,) = [r for r in responder_definitions("easi") if r.code == "easi_mcid"]
    assert rule.threshold == MCID["easi"]
    assert frame.select(responder_expr(rule).alias("f"))["f"].to_list() == [True, True, False]


def test_missing_values_give_no_flag() -> None:
    frame = pl.DataFrame({"baseline": [None, 20.0], "value": [5.0, None]})
    for rule in responder_definitions("easi"):
        flags = frame.select(responder_expr(rule).alias("f"))["f"].to_list()
        assert flags == [None, None]
