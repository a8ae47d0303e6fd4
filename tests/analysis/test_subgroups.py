"""Subgroup analyses (forest plot data) against R: ANCOVA within each level and the arm ×
subgroup interaction F test (``reference/subgroups.R`` -> ``reference/subgroups.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autoserum.analysis import read_long, subgroup_table
from autoserum.errors import ValidationError
from tests.analysis.conftest import DATA

REF: dict[str, Any] = json.loads(
    (Path(__file__).parent / "reference" / "subgroups.json").read_text(encoding="utf-8")
)
FRAME = read_long(DATA / "three_arm.csv")


@pytest.mark.parametrize(("variable", "cuts"), [("easi_baseline", (20.0,)), ("sex", ())])
def test_subgroups_match_r(variable: str, cuts: tuple[float, ...]) -> None:
    # R: lm(change ~ arm + baseline) within each level; anova(lm(change ~ arm + baseline +
    # sub), lm(change ~ arm * sub + baseline)); rel 1e-6
    table = subgroup_table(FRAME, "easi", 12, control="placebo", variable=variable, cuts=cuts)
    want = REF[variable]
    got = {(r["level"], r["arm"]): r for r in table.iter_rows(named=True)}
    assert set(got) == {(lv, r["arm"]) for lv, rows in want["levels"].items() for r in rows}
    for level, rows in want["levels"].items():
        for w in rows:
            g = got[(level, w["arm"])]
            assert g["n"] == w["n"]
            for key in ("estimate", "ci_low", "ci_high", "p_value"):
                assert g[key] == pytest.approx(w[key], rel=1e-6), (level, w["arm"], key)
    for r in table.iter_rows(named=True):
        assert r["interaction_f"] == pytest.approx(want["interaction"]["f"], rel=1e-6)
        assert r["interaction_df1"] == want["interaction"]["df1"]
        assert r["interaction_df2"] == want["interaction"]["df2"]
        assert r["interaction_p_value"] == pytest.approx(want["interaction"]["p_value"], rel=1e-6)


def test_an_unknown_variable_names_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        subgroup_table(FRAME, "easi", 12, control="placebo", variable="shoe_size")
    assert err.value.field == "subgroups.variable"
