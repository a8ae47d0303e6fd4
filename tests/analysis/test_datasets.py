"""build_adsl / build_bds against values recomputed from the raw CSV with the csv module."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from autoserum.analysis import ARM_BLINDED, build_adsl, build_bds, read_long
from autoserum.errors import ValidationError
from autoserum.instruments.responders import is_responder
from tests.analysis.conftest import raw_rows


def _by_subject(path: Path) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for row in raw_rows(path):
        out.setdefault(row["subject_id"], []).append(row)
    return out


def _baseline(rows: list[dict[str, str]], param: str) -> float | None:
    pre = sorted(
        (float(r["week"]), float(r[param])) for r in rows if float(r["week"]) <= 0 and r[param]
    )
    return pre[-1][1] if pre else None


def test_adsl_one_row_per_subject_with_baselines(two_arm_csv: Path) -> None:
    adsl = build_adsl(read_long(two_arm_csv))
    subjects = _by_subject(two_arm_csv)
    assert adsl.height == len(subjects)
    assert adsl["subject_id"].is_unique().all()
    for sid, rows in subjects.items():
        got = adsl.row(by_predicate=pl.col("subject_id") == sid, named=True)
        assert got["arm"] == rows[0]["arm"]
        assert got["easi_baseline"] == _baseline(rows, "easi")
        assert got["eosinophils_baseline"] == _baseline(rows, "eosinophils")
        post = any(float(r["week"]) > 0 and r["easi"] for r in rows)
        assert got["fas"] == (post and _baseline(rows, "easi") is not None)
        assert got["per_protocol"] == (got["fas"] and rows[0]["per_protocol"] == "true")
        assert got["completed"] == any(float(r["week"]) == 12 for r in rows)


def test_baseline_falls_back_to_screening_when_week0_is_missing(two_arm_csv: Path) -> None:
    rows = _by_subject(two_arm_csv)["S003"]
    week0 = next(r for r in rows if r["week"] == "0")
    screening = next(r for r in rows if r["week"] == "-2")
    assert week0["easi"] == ""
    adsl = build_adsl(read_long(two_arm_csv))
    got = adsl.filter(pl.col("subject_id") == "S003")["easi_baseline"][0]
    assert got == float(screening["easi"])


def test_bds_change_and_percent_change(two_arm_csv: Path) -> None:
    bds = build_bds(read_long(two_arm_csv), ["easi", "dlqi"])
    subjects = _by_subject(two_arm_csv)
    expected_rows = sum(
        1 for rows in subjects.values() for r in rows for p in ("easi", "dlqi") if r[p]
    )
    assert bds.height == expected_rows
    for sid, rows in subjects.items():
        for param in ("easi", "dlqi"):
            base = _baseline(rows, param)
            for r in rows:
                if not r[param]:
                    continue
                got = bds.row(
                    by_predicate=(pl.col("subject_id") == sid)
                    & (pl.col("parameter") == param)
                    & (pl.col("week") == float(r["week"])),
                    named=True,
                )
                value = float(r[param])
                assert got["baseline"] == base
                if base is None:
                    assert got["change"] is None
                    continue
                assert got["change"] == pytest.approx(value - base, abs=1e-12)  # exact arithmetic
                if base == 0:
                    assert got["percent_change"] is None
                else:
                    assert got["percent_change"] == pytest.approx((value - base) / base * 100)
                assert got["analysis_flag"] == (float(r["week"]) > 0)


def test_bds_flags_exactly_one_baseline_record(two_arm_csv: Path) -> None:
    bds = build_bds(read_long(two_arm_csv), ["easi"])
    per_subject = bds.group_by("subject_id").agg(pl.col("baseline_flag").sum())
    assert per_subject["baseline_flag"].to_list() == [1] * per_subject.height


def test_blinded_data_are_pooled(two_arm_csv: Path) -> None:
    frame = read_long(two_arm_csv).drop("arm")
    adsl = build_adsl(frame)
    assert adsl["arm"].unique().to_list() == [ARM_BLINDED]
    assert build_bds(frame, ["easi"])["arm"].unique().to_list() == [ARM_BLINDED]


def test_unknown_parameter(two_arm_csv: Path) -> None:
    with pytest.raises(ValidationError) as info:
        build_bds(read_long(two_arm_csv), ["sassad"])
    assert info.value.value == "sassad"


def test_bds_responder_flags_follow_the_instruments_library(two_arm_csv: Path) -> None:
    bds = build_bds(read_long(two_arm_csv), ["easi", "dlqi"])
    assert {"easi_50", "easi_75", "easi_90", "easi_100", "easi_mcid", "dlqi_4", "dlqi_mcid"} <= set(
        bds.columns
    )
    for row in bds.iter_rows(named=True):
        if row["parameter"] == "easi" and row["analysis_flag"]:
            want = is_responder(
                "easi_50", Decimal(str(row["baseline"])), Decimal(str(row["value"]))
            )
            assert row["easi_50"] == want
            assert row["dlqi_4"] is None
        elif row["parameter"] == "dlqi" and row["analysis_flag"]:
            want = is_responder("dlqi_4", Decimal(str(row["baseline"])), Decimal(str(row["value"])))
            assert row["dlqi_4"] == want
            assert row["easi_50"] is None
        else:
            assert row["easi_50"] is None
            assert row["dlqi_4"] is None
