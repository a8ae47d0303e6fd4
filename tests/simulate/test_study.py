"""simulate_study: the tidy long format, scored with the instruments library, deterministic."""

from __future__ import annotations

import io
import math
from datetime import date
from fractions import Fraction

import numpy as np
import polars as pl
import pytest

from autoserum.analysis import study_from_frames
from autoserum.errors import NotFoundError, ValidationError
from autoserum.instruments import get_instrument, score
from autoserum.protocols import evaluate_eligibility, load_protocol
from autoserum.report._build import build_report
from autoserum.simulate import scenario_codes, simulate_scenario, simulate_study
from autoserum.simulate._plan import FACT_COLUMNS, FACT_CONSTANTS, plan_for
from autoserum.simulate._score import NO_TOTAL
from autoserum.simulate.scenarios import get_scenario
from tests.simulate.conftest import study

SUBJECT_COLUMNS = [
    "subject_id",
    "arm",
    "site",
    "week",
    "visit",
    "visit_date",
    "age",
    "sex",
    "per_protocol",
    "treated",
]
LAB_COLUMNS = {"ige", "eosinophils", "eosinophils_pct", "il10", "ifng", "treg_il10"}
AE_VOCAB = {
    "severity": {"mild", "moderate", "severe"},
    "related": {"not_related", "unlikely", "possible", "probable", "definite"},
    "outcome": {"recovered", "recovering", "not_recovered", "fatal", "unknown"},
}


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("code", scenario_codes())
def test_long_format_columns(code: str) -> None:
    visits = study(code, 40, 1).visits
    assert visits.columns[: len(SUBJECT_COLUMNS)] == SUBJECT_COLUMNS
    plan = plan_for(get_scenario(code))
    expected: set[str] = set(SUBJECT_COLUMNS) | set(plan.labs)
    for instrument in plan.instruments:
        if instrument not in NO_TOTAL:
            expected.add(instrument)
        expected |= {
            f"{instrument}_{item.column}"
            for item in get_instrument(instrument).items
            if item.role == "score"
            and item.alternative_to is None
            and item.column not in {"patient_reported"}
        }
    if "scorad" in plan.instruments:
        expected.add("oscorad")
    assert set(visits.columns) == expected
    assert set(visits["visit"]) <= {v.code for v in plan.visits}
    assert visits.select(pl.struct("subject_id", "visit").is_unique().all()).item()


@pytest.mark.parametrize("code", scenario_codes())
def test_same_seed_identical_different_seed_differs(code: str) -> None:
    first, again = simulate_study(code, 30, 5), simulate_study(code, 30, 5)
    assert _csv(first.visits) == _csv(again.visits)
    assert _csv(first.adverse_events) == _csv(again.adverse_events)
    other = simulate_study(code, 30, 6)
    assert _csv(first.visits) != _csv(other.visits)


def test_several_chunks_are_stitched_deterministically() -> None:
    """Chunks (own random streams each) give unique, sequential subject ids, every subject's
    visits in order, and the same output on a second run."""
    scenario = get_scenario("ast-nahm2023")
    a = simulate_scenario(scenario, 25, 9, chunk_size=10)
    b = simulate_scenario(scenario, 25, 9, chunk_size=10)
    assert a.visits.equals(b.visits)
    assert a.adverse_events.equals(b.adverse_events)
    ids = a.visits["subject_id"].unique(maintain_order=True).to_list()
    assert ids == [f"AST-{i:02d}" for i in range(1, 26)]
    # a different chunking is a different (equally valid) study
    assert not a.visits.equals(simulate_scenario(scenario, 25, 9, chunk_size=25).visits)
    with pytest.raises(ValidationError, match="chunk_size"):
        simulate_scenario(scenario, 5, 1, chunk_size=0)


@pytest.mark.parametrize("code", scenario_codes())
def test_every_assessment_rescores_with_the_scalar_path(code: str) -> None:
    """A sample of generated rows, scored one by one with instruments.score, gives the same
    totals as the generated columns (instruments.md: batch = scalar)."""
    visits = study(code, 40, 1).visits
    plan = plan_for(get_scenario(code))
    sample = visits.sample(n=min(60, visits.height), seed=3)
    checked = 0
    for row in sample.iter_rows(named=True):
        for instrument in plan.instruments:
            total = row.get(instrument)
            prefix = f"{instrument}_"
            flat = {k[len(prefix) :]: v for k, v in row.items() if k.startswith(prefix)}
            if total is None and all(v is None for v in flat.values()):
                continue
            if instrument == "easi":
                flat["age"] = row["age"]
            payload = get_instrument(instrument).unflatten(flat)
            result = score(instrument, payload)
            assert result.total is not None, (instrument, result.reason)
            if instrument in NO_TOTAL:
                continue
            assert isinstance(total, int | float)
            assert Fraction(total) == result.total or math.isclose(
                total, float(result.total), abs_tol=1e-9
            )
            if instrument == "scorad":
                assert math.isclose(row["oscorad"], float(result.extra["objective"]), abs_tol=1e-9)
            checked += 1
    assert checked >= len(plan.instruments)


@pytest.mark.parametrize("code", scenario_codes())
def test_first_visit_meets_the_protocol_eligibility(code: str) -> None:
    """Every enrolled subject met the protocol's rules on the observed first-visit scores."""
    visits = study(code, 60, 2).visits
    protocol = load_protocol(code)
    first = plan_for(get_scenario(code)).visits[0].code
    for row in visits.filter(pl.col("visit") == first).iter_rows(named=True):
        facts: dict[str, object] = dict(FACT_CONSTANTS)
        for fact, column in FACT_COLUMNS.items():
            if column in row and row[column] is not None:
                facts[fact] = row[column]
        result = evaluate_eligibility(protocol, facts)
        assert result.failed == [], (row["subject_id"], result.failed)


@pytest.mark.parametrize("code", scenario_codes())
def test_subject_level_columns_constant(code: str) -> None:
    visits = study(code, 40, 1).visits
    per_subject = visits.group_by("subject_id").agg(
        [pl.col(c).n_unique().alias(c) for c in ("arm", "age", "sex", "treated", "per_protocol")]
    )
    assert per_subject.drop("subject_id").max().row(0) == (1, 1, 1, 1, 1)
    assert visits["subject_id"].n_unique() == 40
    assert set(visits["sex"]) <= {"F", "M"}
    # visit dates increase within a subject, and weeks are the protocol's
    dates = visits.group_by("subject_id", maintain_order=True).agg(
        pl.col("visit_date").diff().drop_nulls().min().alias("gap")
    )
    assert dates["gap"].drop_nulls().min() > pl.Series([0]).cast(pl.Duration("ms"))[0]


@pytest.mark.parametrize("code", scenario_codes())
def test_adverse_events_file(code: str) -> None:
    result = study(code, 40, 1)
    events = result.adverse_events
    assert events.columns == [  # the adverse-event record to ICH E2A (study/entities.py)
        "subject_id",
        "arm",
        "term",
        "meddra_llt",
        "meddra_pt",
        "onset_date",
        "onset_week",
        "end_date",
        "severity",
        "serious",
        "sae_death",
        "sae_life_threatening",
        "sae_hospitalisation",
        "sae_disability",
        "sae_congenital_anomaly",
        "sae_important_medical_event",
        "related",
        "related_procedure",
        "expected",
        "aesi",
        "action_taken",
        "outcome",
        "aware_at",
        "reported_at",
        "follow_up",
    ]
    criteria = [c for c in events.columns if c.startswith("sae_")]
    # serious exactly when at least one seriousness criterion holds
    assert events.select((pl.col("serious") == pl.any_horizontal(criteria)).all()).item(), (
        events.select("serious", *criteria)
    )
    assert set(events["subject_id"]) <= set(result.visits["subject_id"])
    for column, allowed in AE_VOCAB.items():
        assert set(events[column]) <= allowed
    arms = dict(result.visits.select("subject_id", "arm").unique().iter_rows())
    assert all(arms[s] == a for s, a in events.select("subject_id", "arm").iter_rows())
    # expectedness and special interest as the store derives them from the protocol
    safety = load_protocol(code).safety
    for term, expected, aesi in events.select("term", "expected", "aesi").unique().iter_rows():
        assert (expected, aesi) == (safety.expected(term), safety.aesi(term)), term
    # every event dated; ended (with its end date, recovered) or ongoing (recovering, no end);
    # only a serious event starts an SAE clock
    assert events["onset_date"].null_count() == 0
    first_visit = result.visits["visit_date"].min()
    assert isinstance(first_visit, date)
    assert (events["onset_date"] >= first_visit).all()
    ended = events.filter(pl.col("end_date").is_not_null())
    assert (ended["end_date"] >= ended["onset_date"]).all()
    assert set(ended["outcome"]) <= {"recovered"}
    # each event as first reported: follow-ups are corrections recorded later (the store's)
    assert set(events["follow_up"]) == {0}
    assert set(events.filter(pl.col("end_date").is_null())["outcome"]) <= {"recovering"}
    for column in ("aware_at", "reported_at"):
        assert events.filter(~pl.col("serious"))[column].null_count() == (
            events.height - int(events["serious"].sum())
        )
    assert events.filter(pl.col("serious"))["aware_at"].null_count() == 0
    # relatedness to the product and to the procedure are separate judgements
    assert events["related_procedure"].null_count() == 0
    local = events.filter(pl.col("term").str.starts_with("injection site") & ~pl.col("serious"))
    assert set(local["related_procedure"]) <= {"definite"}
    others = events.filter(pl.col("term").is_in(["headache", "nasopharyngitis", "fatigue"]))
    assert set(others["related_procedure"]) <= {"not_related"}
    assert set(events["action_taken"]) <= {
        "dose_not_changed", "drug_interrupted", "not_applicable"
    }  # fmt: skip


def test_onset_week_and_date_agree() -> None:
    """An event's onset date is its onset week (from day 0, the subject's first injection or
    baseline) after day 0: the week × 7 in days (Pittler: day 0 is the week-0 visit)."""
    result = study("abt-pittler2003", 60, 3)
    day0 = dict(
        result.visits.filter(pl.col("week") == 0).select("subject_id", "visit_date").iter_rows()
    )
    for sid, week, onset in result.adverse_events.select(
        "subject_id", "onset_week", "onset_date"
    ).iter_rows():
        if sid in day0:
            assert (onset - day0[sid]).days == round(week * 7), (sid, week, onset)


@pytest.mark.parametrize("code", scenario_codes())
def test_serious_events_carry_their_clock_and_follow_up(code: str) -> None:
    """``SimulatedStudy.serious``: the serious rows of the adverse-event file, in order, with
    awareness on or after the onset, a report (if any) after awareness, an end (if any) on or
    after the onset with outcome recovered, and recovering while ongoing (ICH E2A; the store's
    own checks are applied when they are recorded: tests/simulate/test_store_import.py)."""
    result = study(code, 200, 1)
    serious = result.serious
    assert serious.height > 0
    in_file = result.adverse_events.filter(pl.col("serious"))
    assert serious.select(in_file.columns).equals(in_file)
    assert (serious["aware_at"].dt.date() >= serious["onset_date"]).all()
    reported = serious.filter(pl.col("reported_at").is_not_null())
    assert (reported["reported_at"] > reported["aware_at"]).all()
    ended = serious.filter(pl.col("end_date").is_not_null())
    assert (ended["end_date"] >= ended["onset_date"]).all()
    assert set(ended["outcome"]) <= {"recovered"}
    assert set(serious.filter(pl.col("end_date").is_null())["outcome"]) <= {"recovering"}
    assert serious["narrative"].null_count() == 0


@pytest.mark.parametrize("code", scenario_codes())
def test_report_lists_serious_events_and_special_interest(code: str) -> None:
    """The report of a simulated study of every protocol has a non-empty SAE listing and AESI
    table (issue 13, item 7: the demo shows the new fields)."""
    result = study(code, 200, 1)
    report = build_report(
        study_from_frames(result.visits, result.adverse_events, code, con_meds=result.con_meds),
        protocol=code,
        generated=date(2026, 1, 1),
    )
    safety = next(s for s in report.sections if s.id == "safety")
    tables = {t.id: t for t in safety.tables}
    assert len(tables["sae-listing"].rows) == result.serious.height > 0
    assert len(tables["ae-aesi"].rows) > 0


def test_injection_site_events_only_for_injections_received() -> None:
    events = study("abt-pittler2003", 400, 4).adverse_events
    site = events.filter(pl.col("term").str.starts_with("injection site"))
    # Pittler: injections on days 0, 7, 14, 21, 28
    local = site.filter(~pl.col("serious"))
    assert set(np.round(local["onset_week"].to_numpy() * 7)) <= {0, 7, 14, 21, 28}
    assert local.height > 0
    # a serious injection-site infection: 1-3 days after an injection
    infected = np.round(site.filter(pl.col("serious"))["onset_week"].to_numpy() * 7)
    assert all(any(1 <= d - day <= 3 for day in (0, 7, 14, 21, 28)) for d in infected)
    assert infected.size > 0


def test_labs_positive_and_where_planned() -> None:
    visits = study("aigt-nahm2020", 60, 1).visits
    for lab in ("ige", "eosinophils", "il10", "ifng", "treg_il10"):
        values = visits.filter(pl.col("visit") != "screening")[lab]
        assert values.null_count() == 0
        smallest = values.min()
        assert isinstance(smallest, int | float)
        assert smallest > 0
    assert visits.filter(pl.col("visit") == "screening")["ige"].null_count() > 0


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="n_subjects"):
        simulate_study("ast-nahm2023", 0, 1)
    with pytest.raises(ValidationError, match="seed"):
        simulate_study("ast-nahm2023", 10, -1)
    with pytest.raises(NotFoundError, match="nope"):
        simulate_study("nope", 10, 1)
