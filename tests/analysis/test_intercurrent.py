"""Rescue medication as an intercurrent event (issue 16, item 4; ICH E9(R1) §A.3.2): the four
strategies on a hand-made study (data/intercurrent.csv + .conmed.csv), each checked by hand
(the values every strategy analyses, written out) and against R (reference/intercurrent.R:
``lm(change ~ arm + baseline)`` at week 8 and ``fisher.test`` of EASI-50; rel 1e-9).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from autoserum.analysis import (
    analyze_endpoint,
    apply_strategy,
    estimand_visits,
    parse_sap_text,
    read_study,
    rescue_starts,
)
from autoserum.errors import ValidationError
from autoserum.report import build_report

DATA = Path(__file__).parent / "data" / "intercurrent.csv"
REF: dict[str, Any] = json.loads(
    (Path(__file__).parent / "reference" / "intercurrent.json").read_text(encoding="utf-8")
)
STRATEGIES = ("treatment_policy", "hypothetical", "while_on_treatment", "composite")
# EASI at week 8 per subject, as each strategy analyses it (by hand, see intercurrent.R)
WEEK_8 = {
    "treatment_policy": [8, 10, 6, 15, 18, 16, 19, 17],
    "hypothetical": [None, 10, 6, None, 18, None, 19, 17],
    "while_on_treatment": [12, 10, 6, None, 18, None, 19, 17],
    "composite": [72, 10, 6, 72, 18, 72, 19, 17],
}
ORDER = ["T1", "T2", "T3", "T4", "P1", "P2", "P3", "P4"]
SAP = """
code = "ice-test"
title = "rescue as an intercurrent event"
version = "1"
control = "placebo"
[[estimands]]
code = "primary"
label = "EASI change at week 8 had no rescue been given"
variable = "easi"
week = 8
method = "ancova"
[[estimands.intercurrent_events]]
event = "rescue_medication"
strategy = "hypothetical"
[[estimands]]
code = "easi50"
label = "EASI-50 at week 8, rescue counted as non-response"
role = "secondary"
variable = "easi"
week = 8
responder = "easi_50"
summary = "responder_difference"
method = "ancova"
[[estimands.intercurrent_events]]
event = "rescue_medication"
strategy = "composite"
[multiplicity]
method = "none"
"""


def test_rescue_starts_from_start_week_or_start_date() -> None:
    study = read_study(DATA)
    # T1 start_week 6; T4 2025-01-27 is day 21 after its week-0 visit (2025-01-06): week 3;
    # P2 start_week 2; P3's emollient is not rescue
    assert rescue_starts(study.visits, study.con_meds) == {"T1": 6.0, "T4": 3.0, "P2": 2.0}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_strategy_analyses_the_values_written_out_by_hand(strategy: str) -> None:
    study = read_study(DATA)
    frame = apply_strategy(
        study.visits, rescue_starts(study.visits, study.con_meds), strategy, "easi"
    )
    week8 = dict(frame.filter(pl.col("week") == 8).select("subject_id", "easi").iter_rows())
    assert [week8[s] for s in ORDER] == WEEK_8[strategy]
    baseline = dict(frame.filter(pl.col("week") == 0).select("subject_id", "easi").iter_rows())
    assert [baseline[s] for s in ORDER] == [20, 24, 18, 22, 21, 19, 23, 20]  # never touched


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_ancova_and_responders_of_each_strategy_match_r(strategy: str) -> None:
    study = read_study(DATA)
    frame = apply_strategy(
        study.visits, rescue_starts(study.visits, study.con_meds), strategy, "easi"
    )
    missing = "non_responder" if strategy == "composite" else "observed"
    result = analyze_endpoint(frame, "easi", 8, control="placebo", responder_missing=missing)
    want = REF[strategy]
    row = result.between.filter(pl.col("method") == "ancova").row(0, named=True)
    assert row["n_treatment"] + row["n_control"] == want["n"]
    for key in ("estimate", "se", "p_value", "df"):
        assert row[key] == pytest.approx(want[key], rel=1e-9), key
    rates = {
        r["arm"]: (r["responders"], r["n"])
        for r in result.responders.filter(pl.col("responder") == "easi_50").iter_rows(named=True)
    }
    r = want["responders"]
    assert rates == {"serum": (r["serum"], r["n_serum"]), "placebo": (r["placebo"], r["n_placebo"])}
    comp = result.responder_comparison.filter(pl.col("responder") == "easi_50").row(0, named=True)
    assert comp["fisher_p_value"] == pytest.approx(r["fisher_p_value"], rel=1e-9)


def test_the_sap_strategy_of_each_estimand_reaches_the_report() -> None:
    study = read_study(DATA)
    sap = parse_sap_text(SAP)
    primary = estimand_visits(study, sap.primary)
    assert primary.filter(pl.col("week") == 8)["easi"].null_count() == 3  # hypothetical
    easi50 = next(e for e in sap.estimands if e.code == "easi50")
    composite = estimand_visits(study, easi50)
    assert sorted(composite.filter(pl.col("easi") == 72)["subject_id"].unique()) == [
        "P2", "T1", "T4",
    ]  # fmt: skip
    model = build_report(study, protocol="ast-nahm2023", sap=sap, generated=dt.date(2026, 1, 1))
    ancova = model.primary.between.filter(pl.col("method") == "ancova").row(0, named=True)
    assert ancova["estimate"] == pytest.approx(REF["hypothetical"]["estimate"], rel=1e-9)
    section = next(s for s in model.sections if s.id == "sap")
    (table,) = [t for t in section.tables if t.id == "estimands"]
    (row,) = [r for r in table.rows if r[0].startswith("easi50")]
    assert "rescue medication: composite" in row[4]
    # composite: serum 2 of 4 responders, placebo 0 of 4: a difference of 50 %, Fisher as R
    p = REF["composite"]["responders"]["fisher_p_value"]
    assert row[-1].startswith("serum: 50.0 % (")
    assert row[-1].endswith(f"p = {p:.3f}")


def test_an_unknown_strategy_is_refused() -> None:
    study = read_study(DATA)
    with pytest.raises(ValidationError, match="strategy"):
        apply_strategy(study.visits, {"T1": 6.0}, "ignore", "easi")
