"""analyze_endpoint orchestration: each number equals the autoserum.stats method applied to the
data selected independently here (from the raw CSV with the csv module). The statistics
themselves are validated against R in tests/stats (stats branch)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from autoserum import stats
from autoserum.analysis import (
    MCID,
    ResponderRule,
    analyze_endpoint,
    read_long,
    responder_definitions,
    secondary_table,
)
from autoserum.errors import ValidationError
from autoserum.instruments.responders import is_responder
from tests.analysis.conftest import raw_rows

WEEK = 12.0


def _changes(path: Path, param: str) -> dict[str, dict[float, tuple[str, float, float]]]:
    """subject -> week -> (arm, baseline, value) for FAS subjects, from the raw CSV."""
    subjects: dict[str, list[dict[str, str]]] = {}
    for r in raw_rows(path):
        subjects.setdefault(r["subject_id"], []).append(r)
    out: dict[str, dict[float, tuple[str, float, float]]] = {}
    for sid, rows in subjects.items():
        pre = sorted(
            (float(r["week"]), float(r[param])) for r in rows if float(r["week"]) <= 0 and r[param]
        )
        # FAS: a baseline and a post-baseline value of any instrument (here: the endpoint's
        # instruments are recorded together, so the endpoint's own rows decide)
        post = {
            float(r["week"]): float(r[param]) for r in rows if float(r["week"]) > 0 and r[param]
        }
        if not pre or not post:
            continue
        out[sid] = {w: (rows[0]["arm"], pre[-1][1], v) for w, v in post.items()}
    return out


def _arm_changes(
    data: dict[str, dict[float, tuple[str, float, float]]], arm: str, week: float
) -> np.ndarray:
    return np.array(
        [
            v - b
            for sid in sorted(data)
            for w, (a, b, v) in data[sid].items()
            if a == arm and w == week
        ]
    )


def _close(got: float | None, want: float) -> None:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        assert got is None or math.isnan(got)
    else:
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12)  # same method, same data


@pytest.fixture(scope="module")
def two_arm() -> tuple[object, dict[str, dict[float, tuple[str, float, float]]]]:
    path = Path(__file__).resolve().parent / "data" / "two_arm.csv"
    result = analyze_endpoint(
        read_long(path), "easi", WEEK, control="placebo", predictors=["age", "sex", "eosinophils"]
    )
    return result, _changes(path, "easi")


def test_within_equals_stats_on_the_arm_changes(two_arm) -> None:  # type: ignore[no-untyped-def]
    result, data = two_arm
    js = result.to_json()
    assert [r["arm"] for r in js["within"]] == ["placebo", "serum"]
    for row in js["within"]:
        diff = _arm_changes(data, row["arm"], WEEK)
        t = stats.paired_t(diff)
        w = stats.wilcoxon_signed_rank(diff)
        d = stats.describe(diff)
        assert row["n"] == len(diff)
        _close(row["mean_change"], d.mean)
        _close(row["sd_change"], d.sd)
        _close(row["ci_low"], t.ci_low)
        _close(row["ci_high"], t.ci_high)
        _close(row["t_p_value"], t.p_value)
        _close(row["wilcoxon_p_value"], w.p_value)
        _close(row["hl_estimate"], w.estimate)


def test_within_covers_every_post_baseline_visit(two_arm) -> None:  # type: ignore[no-untyped-def]
    result, data = two_arm
    weeks = sorted({w for visits in data.values() for w in visits})
    assert sorted(result.within["week"].unique().to_list()) == weeks


def test_ancova_equals_stats_on_selected_data(two_arm) -> None:  # type: ignore[no-untyped-def]
    result, data = two_arm
    rows = [(a, b, v) for sid in sorted(data) for w, (a, b, v) in data[sid].items() if w == WEEK]
    y = np.array([v - b for a, b, v in rows])
    group = np.array([1 if a == "serum" else 0 for a, _, _ in rows])
    base = np.array([b for _, b, _ in rows])
    want = stats.ancova(y, group, base)
    got = result.to_json()["between"]["ancova"]
    for key in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        _close(got[key], getattr(want, key))


def test_mmrm_equals_stats_on_all_post_baseline_visits(two_arm) -> None:  # type: ignore[no-untyped-def]
    result, data = two_arm
    rows = [(sid, w, a, b, v) for sid in sorted(data) for w, (a, b, v) in sorted(data[sid].items())]
    codes = {sid: i for i, sid in enumerate(sorted(data))}
    want = stats.mmrm(
        np.array([codes[r[0]] for r in rows]),
        np.array([r[1] for r in rows]),
        np.array([1 if r[2] == "serum" else 0 for r in rows]),
        np.array([r[3] for r in rows]),
        np.array([r[4] - r[3] for r in rows]),
    )
    at = {float(v.visit): v for v in want.per_visit}[WEEK]
    got = result.to_json()["between"]["mmrm"]
    for key in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        assert got[key] == pytest.approx(
            getattr(at, key), rel=1e-6
        )  # same REML fit; optimiser tolerance
    assert result.between.filter(pl.col("method") == "mmrm").height == len(want.per_visit)


def test_mann_whitney_and_hedges_g(two_arm) -> None:  # type: ignore[no-untyped-def]
    result, data = two_arm
    x, y = _arm_changes(data, "serum", WEEK), _arm_changes(data, "placebo", WEEK)
    between = result.to_json()["between"]
    _close(between["mann_whitney"]["p_value"], stats.mann_whitney(x, y).p_value)
    _close(between["mann_whitney"]["estimate"], stats.mann_whitney(x, y).estimate)
    _close(between["hedges_g"]["estimate"], stats.hedges_g(x, y).estimate)


def _flag(rule: ResponderRule, baseline: float, value: float) -> bool | None:
    """An independent evaluation of a rule: the instruments library's is_responder for its
    definitions, exact rational arithmetic for the MCID rule (docs/instruments.md)."""
    if rule.code.endswith("_mcid"):
        return Fraction(str(baseline)) - Fraction(str(value)) >= Fraction(
            str(MCID[rule.instrument])
        )
    return is_responder(rule.code, Decimal(str(baseline)), Decimal(str(value)))


def test_responders_follow_the_definitions(two_arm) -> None:  # type: ignore[no-untyped-def]
    result, data = two_arm
    js = result.to_json()
    rules = responder_definitions("easi")
    assert {r["responder"] for r in js["responders"]} == {r.code for r in rules}
    assert {"easi_50", "easi_75", "easi_90", "easi_100", "easi_mcid"} == {r.code for r in rules}
    for rule in rules:
        rows = {r["arm"]: r for r in js["responders"] if r["responder"] == rule.code}
        counts = {}
        for arm in ("placebo", "serum"):
            flags = [
                _flag(rule, b, v)
                for sid in sorted(data)
                for w, (a, b, v) in data[sid].items()
                if a == arm and w == WEEK
            ]
            k, n = sum(1 for f in flags if f), sum(1 for f in flags if f is not None)
            counts[arm] = (k, n)
            assert (rows[arm]["responders"], rows[arm]["n"]) == (k, n)
            assert rows[arm]["rate"] == pytest.approx(k / n, rel=1e-12)  # k/n
            low, high = stats.wilson_ci(k, n)
            _close(rows[arm]["ci_low"], low)
            _close(rows[arm]["ci_high"], high)
        (k1, n1), (k0, n0) = counts["serum"], counts["placebo"]
        _close(rows["serum"]["fisher_p_value"], stats.fisher_exact(k1, n1, k0, n0))


@pytest.mark.parametrize("week", [8.0, 12.0])
def test_predictors_compare_responders_with_non_responders(two_arm_csv: Path, week: float) -> None:
    path = two_arm_csv
    result = analyze_endpoint(
        read_long(path), "easi", week, control="placebo", predictors=["age", "sex", "eosinophils"]
    )
    data = _changes(path, "easi")
    js = result.to_json()
    first = responder_definitions("easi")[0]
    assert js["predictor_responder"] == first.code
    by_name = {r["name"]: r for r in js["predictors"]}
    assert set(by_name) == {"age", "sex", "eosinophils"}
    ages = {r["subject_id"]: float(r["age"]) for r in raw_rows(path)}
    resp: list[float] = []
    non: list[float] = []
    for sid in sorted(data):
        if week in data[sid] and data[sid][week][0] == "serum":
            _, b, v = data[sid][week]
            (resp if _flag(first, b, v) else non).append(ages[sid])
    assert resp
    assert non
    want = stats.mann_whitney(np.array(resp), np.array(non))
    assert (by_name["age"]["n_responders"], by_name["age"]["n_non_responders"]) == (
        len(resp),
        len(non),
    )
    _close(by_name["age"]["p_value"], want.p_value)
    _close(by_name["age"]["responders_median"], float(np.median(resp)))
    _close(by_name["age"]["non_responders_median"], float(np.median(non)))


def test_predictors_with_an_empty_group_give_a_note(two_arm_csv: Path) -> None:
    # week 12: every serum subject improves by at least the EASI MCID in this synthetic study
    result = analyze_endpoint(
        read_long(two_arm_csv), "easi", WEEK, control="placebo", predictors=["age"]
    )
    rule = result.predictor_rule
    row = result.to_json()["predictors"][0]
    if row["n_non_responders"] == 0:
        assert row["p_value"] is None
        assert any("predictor age" in n for n in result.notes)
    else:
        assert row["p_value"] is not None
    assert rule == responder_definitions("easi")[0].code


def test_single_arm_has_no_between(single_arm_csv: Path) -> None:
    result = analyze_endpoint(read_long(single_arm_csv), "easi", WEEK)
    js = result.to_json()
    assert "between" not in js
    assert [r["arm"] for r in js["within"]] == ["asim"]
    assert js["control"] is None
    assert all(r["fisher_p_value"] is None for r in js["responders"])


def test_secondary_table_adjusts_across_endpoints(two_arm_csv: Path) -> None:
    frame = read_long(two_arm_csv)
    results = [
        analyze_endpoint(frame, e, WEEK, control="placebo") for e in ("scorad", "dlqi", "poem")
    ]
    table = secondary_table(results)
    assert table["endpoint"].to_list() == ["scorad", "dlqi", "poem"]
    p = table["p_value"].to_numpy()
    np.testing.assert_allclose(table["p_holm"].to_numpy(), stats.p_adjust(p, "holm"), rtol=1e-12)
    np.testing.assert_allclose(table["p_bh"].to_numpy(), stats.p_adjust(p, "BH"), rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"endpoint": "easy", "week": WEEK}, "endpoint"),
        ({"endpoint": "sassad", "week": WEEK}, "endpoint"),
        ({"endpoint": "easi", "week": 5.0}, "week"),
        ({"endpoint": "easi", "week": WEEK, "control": "saline"}, "control"),
        ({"endpoint": "easi", "week": WEEK, "predictors": ["height"]}, "predictors"),
    ],
)
def test_bad_requests_raise_validation_errors(two_arm_csv: Path, kwargs: dict, field: str) -> None:  # type: ignore[type-arg]
    frame = read_long(two_arm_csv)
    with pytest.raises(ValidationError) as info:
        analyze_endpoint(frame, **kwargs)
    assert info.value.field == field


def test_per_protocol_population_uses_its_subjects(two_arm_csv: Path) -> None:
    frame = read_long(two_arm_csv)
    fas = analyze_endpoint(frame, "easi", WEEK, control="placebo")
    pp = analyze_endpoint(frame, "easi", WEEK, control="placebo", population="per_protocol")
    not_pp = {r["subject_id"] for r in raw_rows(two_arm_csv) if r["per_protocol"] == "false"}
    data = _changes(two_arm_csv, "easi")
    for arm in ("placebo", "serum"):
        want = [
            v - b
            for sid in sorted(data)
            for w, (a, b, v) in data[sid].items()
            if a == arm and w == WEEK and sid not in not_pp
        ]
        row = pp.within.filter((pl.col("arm") == arm) & (pl.col("week") == WEEK)).row(0, named=True)
        assert row["n"] == len(want)
        _close(row["mean_change"], stats.describe(np.array(want)).mean)
    assert pp.to_json()["population"] == "per_protocol"
    assert sum(r["n"] for r in pp.to_json()["within"]) < sum(
        r["n"] for r in fas.to_json()["within"]
    )


def test_an_arm_without_values_at_the_week_gives_notes(two_arm_csv: Path) -> None:
    frame = read_long(two_arm_csv).filter(
        ~((pl.col("arm") == "placebo") & (pl.col("week") == WEEK))
    )
    result = analyze_endpoint(frame, "easi", WEEK, control="placebo", predictors=["age"])
    js = result.to_json()
    assert js["between"]["ancova"] is None
    assert [r["arm"] for r in js["within"]] == ["serum"]
    placebo = [r for r in js["responders"] if r["arm"] == "placebo"]
    assert all(r["n"] == 0 and r["rate"] is None for r in placebo)
    assert any("no comparison" in note for note in js["notes"])
