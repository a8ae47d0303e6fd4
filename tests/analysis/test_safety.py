"""Safety tables against counts made here from the raw CSV files with the csv module."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest

from autoserum.analysis import ae_overview, ae_table, build_adsl, lab_shifts, read_study
from autoserum.errors import ValidationError
from tests.analysis.conftest import raw_rows


def _expected(path: Path, by: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(arm, level) -> (subjects with the level, events)."""
    subjects: dict[tuple[str, str], set[str]] = defaultdict(set)
    events: dict[tuple[str, str], int] = defaultdict(int)
    for r in raw_rows(path.with_name(path.stem + ".ae.csv")):
        key = (r["arm"], r[by])
        subjects[key].add(r["subject_id"])
        events[key] += 1
    return {k: (len(v), events[k]) for k, v in subjects.items()}


@pytest.mark.parametrize("by", ["term", "severity", "related"])
def test_ae_table_counts_subjects_and_events(two_arm_csv: Path, by: str) -> None:
    study = read_study(two_arm_csv)
    table = ae_table(build_adsl(study.visits), study.adverse_events, by)  # type: ignore[arg-type]
    expected = _expected(two_arm_csv, by)
    population = defaultdict(set)
    for r in raw_rows(two_arm_csv):
        population[r["arm"]].add(r["subject_id"])
    for row in table.iter_rows(named=True):
        n_subj, n_ev = expected.get((row["arm"], row[by]), (0, 0))
        assert (row["n_subjects"], row["n_events"]) == (n_subj, n_ev)
        assert row["n_population"] == len(population[row["arm"]])
        assert row["percent"] == pytest.approx(100 * n_subj / len(population[row["arm"]]))
    assert sum(table["n_events"]) == len(raw_rows(two_arm_csv.with_name("two_arm.ae.csv")))


def test_ae_overview_any_and_serious(two_arm_csv: Path) -> None:
    study = read_study(two_arm_csv)
    overview = ae_overview(build_adsl(study.visits), study.adverse_events)
    ae = raw_rows(two_arm_csv.with_name("two_arm.ae.csv"))
    for arm in ("placebo", "serum"):
        anyae = {r["subject_id"] for r in ae if r["arm"] == arm}
        serious = {r["subject_id"] for r in ae if r["arm"] == arm and r["serious"] == "true"}
        got = {
            r["category"]: r["n_subjects"]
            for r in overview.filter(pl.col("arm") == arm).iter_rows(named=True)
        }
        assert got["any adverse event"] == len(anyae)
        assert got["serious"] == len(serious)


def test_untreated_subjects_leave_the_safety_population(two_arm_csv: Path) -> None:
    study = read_study(two_arm_csv)
    visits = study.visits.with_columns(
        pl.when(pl.col("subject_id") == "S001")
        .then(False)
        .otherwise(pl.col("treated"))
        .alias("treated")
    )
    adsl = build_adsl(visits)
    assert not adsl.filter(pl.col("subject_id") == "S001")["safety"][0]
    table = ae_table(adsl, study.adverse_events, "term")
    assert set(table.filter(pl.col("arm") == "serum")["n_population"].to_list()) == {23}


def test_ae_table_rejects_unknown_dimension(two_arm_csv: Path) -> None:
    study = read_study(two_arm_csv)
    with pytest.raises(ValidationError):
        ae_table(build_adsl(study.visits), study.adverse_events, "colour")  # type: ignore[arg-type]


def test_lab_shifts_against_reference_ranges(two_arm_csv: Path) -> None:
    study = read_study(two_arm_csv)
    shifts = lab_shifts(study.visits, build_adsl(study.visits))

    def cat(value: float, low: float | None, high: float | None) -> str:
        # reference ranges: eosinophils 0.0-0.5 x10^9/L, total IgE < 100 kU/L (docs/analysis.md)
        if low is not None and value < low:
            return "low"
        if high is not None and value > high:
            return "high"
        return "normal"

    for lab, (low, high) in {"eosinophils": (0.0, 0.5), "ige": (None, 100.0)}.items():
        counts: dict[tuple[str, str, str], int] = defaultdict(int)
        by_subject: dict[str, list[dict[str, str]]] = defaultdict(list)
        for r in raw_rows(two_arm_csv):
            if r[lab]:
                by_subject[r["subject_id"]].append(r)
        for rows in by_subject.values():
            pre = [r for r in rows if float(r["week"]) <= 0]
            post = [r for r in rows if float(r["week"]) > 0]
            if pre and post:
                key = (
                    rows[0]["arm"],
                    cat(float(pre[-1][lab]), low, high),
                    cat(float(post[-1][lab]), low, high),
                )
                counts[key] += 1
        got = {
            (r["arm"], r["baseline_category"], r["post_category"]): r["n_subjects"]
            for r in shifts.filter(pl.col("lab") == lab).iter_rows(named=True)
        }
        assert got == dict(counts)
