"""Spreadsheet formulas in text cells (OWASP CSV injection): neutralised on export, restored on
import, so that the round trip is lossless; numeric columns untouched."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from autoserum.study.tidy import FORMULA_TRIGGERS, neutralise_formulas, restore_formulas

_cells = st.text(alphabet=st.sampled_from([*FORMULA_TRIGGERS, "'", "a", " ", "1", '"']), max_size=6)


@given(st.lists(st.one_of(st.none(), _cells), min_size=1, max_size=8))
def test_neutralised_cells_are_inert_and_restore_exactly(values: list[str | None]) -> None:
    frame = pl.DataFrame({"term": values}, schema={"term": pl.String})
    safe = neutralise_formulas(frame)
    for cell in safe["term"].to_list():
        assert cell is None or not cell.startswith(FORMULA_TRIGGERS)
    assert restore_formulas(safe).equals(frame)


def test_the_owasp_examples_and_numbers() -> None:
    frame = pl.DataFrame(
        {
            "term": ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","x")', "@SUM(1)",
                     "+1", "-2", "\tx", "\rx", "plain", "'quoted"],
            "change": [-3.5, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )  # fmt: skip
    safe = neutralise_formulas(frame)
    assert safe["term"].to_list() == [
        "'=cmd|' /C calc'!A0", "'=HYPERLINK(\"http://evil.example\",\"x\")", "'@SUM(1)", "'+1",
        "'-2", "'\tx", "'\rx", "plain", "'quoted",
    ]  # fmt: skip
    assert safe["change"].to_list() == frame["change"].to_list()  # a negative change: a number
    assert safe.schema == frame.schema
