"""Invariants of the analysis datasets on generated studies (Hypothesis, derandomized)."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from autoserum.analysis import build_adsl, build_bds, validate_long

WEEKS = (-2, 0, 4, 8)


@st.composite
def studies(draw: st.DrawFn) -> pl.DataFrame:
    """Small visit tables as text cells: 1-6 subjects, any subset of weeks, EASI maybe missing."""
    rows = []
    for i in range(draw(st.integers(1, 6))):
        arm = draw(st.sampled_from(["serum", "placebo"]))
        weeks = draw(st.lists(st.sampled_from(WEEKS), min_size=1, max_size=4, unique=True))
        for w in weeks:
            easi = draw(st.one_of(st.none(), st.integers(0, 720).map(lambda v: v / 10)))
            rows.append(
                {
                    "subject_id": f"S{i}",
                    "arm": arm,
                    "week": str(w),
                    "easi": None if easi is None else str(easi),
                }
            )
    columns = ("subject_id", "arm", "week", "easi")
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String))


@given(studies())
def test_bds_invariants(text: pl.DataFrame) -> None:
    frame = validate_long(text)
    bds = build_bds(frame, ["easi"])
    adsl = build_adsl(frame)
    # one row per subject in ADSL; one BDS row per non-missing value
    assert adsl.height == frame["subject_id"].n_unique()
    assert bds.height == frame["easi"].drop_nulls().len()
    for sid, group in bds.group_by("subject_id"):
        pre = group.filter(pl.col("week") <= 0).sort("week")
        # at most one baseline record: the last non-missing value at or before week 0
        assert group["baseline_flag"].sum() == (1 if pre.height else 0)
        if pre.height:
            assert (group["baseline"] == pre["value"][-1]).all()
        else:
            assert group["baseline"].is_null().all()
        with_base = group.filter(pl.col("baseline").is_not_null())
        assert (with_base["change"] == with_base["value"] - with_base["baseline"]).all()
        assert group["analysis_flag"].to_list() == [
            w > 0 and b is not None for w, b in zip(group["week"], group["baseline"], strict=True)
        ]
        fas = adsl.filter(pl.col("subject_id") == sid[0])["fas"][0]
        assert fas == bool(group["analysis_flag"].any())
