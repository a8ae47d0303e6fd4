"""Time to the first eczema flare against R ``survival`` (``reference/time_to_flare.R`` ->
``reference/time_to_flare.json``): the derivation of times from the adverse events, KM,
log-rank, Cox with the ``cox.zph`` check; rel 1e-6."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autoserum.analysis import read_study, time_to_first_event
from autoserum.errors import ValidationError
from tests.analysis.conftest import DATA

REF: dict[str, Any] = json.loads(
    (Path(__file__).parent / "reference" / "time_to_flare.json").read_text(encoding="utf-8")
)
STUDY = read_study(DATA / "three_arm.csv")


@pytest.fixture(scope="module")
def tte() -> Any:
    return time_to_first_event(
        STUDY.visits, STUDY.adverse_events, terms=("Eczema flare",), control="placebo"
    )


def test_event_times_are_derived_as_r(tte: Any) -> None:
    assert tte.data.height == REF["n"]
    assert int(tte.data["event"].sum()) == REF["events"]


def test_kaplan_meier_matches_survfit(tte: Any) -> None:
    # R: summary(survfit(Surv(time, event) ~ arm), censored = TRUE); rel 1e-6
    curves = {str(c.group): c for c in tte.km.curves}
    for want in REF["km"]:
        rows = curves[want["arm"]].rows
        assert [r.time for r in rows] == pytest.approx(want["time"])
        assert [r.survival for r in rows] == pytest.approx(want["survival"], rel=1e-6)
        assert [r.n_risk for r in rows] == want["n_risk"]


def test_log_rank_and_cox_match_survdiff_and_coxph(tte: Any) -> None:
    # R: survdiff(Surv(time, event) ~ arm); coxph(..., ties = "efron"); cox.zph; rel 1e-6
    assert tte.log_rank.statistic == pytest.approx(REF["log_rank"]["statistic"], rel=1e-6)
    assert tte.log_rank.p_value == pytest.approx(REF["log_rank"]["p_value"], rel=1e-6)
    terms = {t.name: t for t in tte.cox.terms}
    for want in REF["cox"]:
        t = terms[f"arm[{want['arm']}]"]
        for key in ("hazard_ratio", "ci_low", "ci_high", "p_value"):
            assert getattr(t, key) == pytest.approx(want[key], rel=1e-6), key
    assert tte.cox.ph_tests[-1].p_value == pytest.approx(REF["zph_global_p"], rel=1e-6)


def test_no_term_is_a_clear_error() -> None:
    with pytest.raises(ValidationError) as err:
        time_to_first_event(STUDY.visits, STUDY.adverse_events, terms=(), control="placebo")
    assert err.value.field == "time_to_event.terms"
