"""The pure study domain: status transitions, visit windows, lab units and flags, blinding,
CONSORT flow."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoserum.errors import StateError, ValidationError
from autoserum.study import (
    ACTIVE_STATUSES,
    ROLES,
    ConsortSubject,
    SubjectStatus,
    allowed_transitions,
    can_see_arm,
    consort_flow,
    judge,
    to_canonical,
    transition,
    window_deviation,
)

S = SubjectStatus
PATH = [S.SCREENED, S.ENROLLED, S.RUN_IN, S.TREATMENT, S.FOLLOW_UP, S.COMPLETED]


def test_the_main_path_is_allowed() -> None:
    for current, new in itertools.pairwise(PATH):
        assert transition(current, new) is new


def test_without_run_in_enrolment_goes_straight_to_treatment() -> None:
    assert transition(S.ENROLLED, S.TREATMENT, has_run_in=False) is S.TREATMENT
    with pytest.raises(StateError):
        transition(S.ENROLLED, S.TREATMENT, has_run_in=True)
    with pytest.raises(StateError):
        transition(S.ENROLLED, S.RUN_IN, has_run_in=False)


@pytest.mark.parametrize("status", sorted(ACTIVE_STATUSES))
def test_withdrawal_from_any_active_status_needs_a_reason(status: SubjectStatus) -> None:
    assert transition(status, S.WITHDRAWN, reason="moved abroad") is S.WITHDRAWN
    with pytest.raises(ValidationError, match="reason"):
        transition(status, S.WITHDRAWN, reason="  ")


@given(st.sampled_from(list(S)), st.sampled_from(list(S)), st.booleans())
def test_only_listed_steps_pass(current: SubjectStatus, new: SubjectStatus, run_in: bool) -> None:
    allowed = allowed_transitions(current, has_run_in=run_in)
    if new in allowed:
        assert transition(current, new, has_run_in=run_in, reason="r") is new
    else:
        with pytest.raises(StateError, match=f"{current.value} -> {new.value}"):
            transition(current, new, has_run_in=run_in, reason="r")
    if current in {S.SCREEN_FAILED, S.COMPLETED, S.WITHDRAWN}:
        assert allowed == frozenset()


def test_visit_windows() -> None:
    target = date(2026, 3, 30)
    assert window_deviation(target, date(2026, 4, 2), before=3, after=3) is None
    assert window_deviation(target, date(2026, 4, 3), before=3, after=3) == 1  # one day late
    assert window_deviation(target, date(2026, 3, 25), before=3, after=3) == -2  # two days early
    assert window_deviation(target, date(2027, 1, 1), before=3, after=None) is None


def test_lab_units_convert_exactly_or_not_at_all() -> None:
    # UCUM: 1 /uL = 10^6/L, so 450 /uL = 0.45 × 10^9/L exactly
    assert to_canonical("eosinophils", Decimal("450"), "/uL")[:2] == (Decimal("0.45"), "10*9/L")
    # IgE: kU/L = kIU/L = IU/mL (WHO 75/502 international units)
    for unit in ("kU/L", "IU/mL", "[IU]/mL", "k[IU]/L"):
        assert to_canonical("ige", Decimal("87.5"), unit)[0] == Decimal("87.5")
    # ng/mL → pg/mL: × 1000
    assert to_canonical("il10", Decimal("0.0123"), "ng/mL")[0] == Decimal("12.3")
    with pytest.raises(ValidationError, match=r"eosinophils\.unit"):
        to_canonical("eosinophils", Decimal("4"), "%")  # a percentage is another analyte
    with pytest.raises(ValidationError, match=r"ige\.unit"):
        to_canonical("ige", Decimal("100"), "ng/mL")  # 1 IU ≈ 2.4 ng: not exact
    with pytest.raises(ValidationError, match="analyte"):
        to_canonical("crp", Decimal("1"), "mg/L")


def test_flags_come_from_the_reference_range() -> None:
    low, high = Decimal("0.0"), Decimal("0.5")
    assert judge(Decimal("0.5"), low=low, high=high) == "normal"  # bounds inclusive
    assert judge(Decimal("0.51"), low=low, high=high) == "high"
    assert judge(Decimal("-0.01"), low=low, high=high) == "low"
    assert judge(Decimal("9"), low=None, high=None) is None
    with pytest.raises(ValidationError, match="reference_range"):
        judge(Decimal("1"), low=high, high=low)


def test_blinding() -> None:
    for role in ROLES:
        assert can_see_arm(role, unblinded=False, open_label=True)
        assert can_see_arm(role, unblinded=True, open_label=False)
        assert can_see_arm(role, unblinded=False, open_label=False) is (
            role in {"admin", "preparer"}
        )
    with pytest.raises(ValidationError, match="role"):
        can_see_arm("nurse", unblinded=False, open_label=False)


def test_consort_flow() -> None:
    # hand-counted: 8 assessed; 3 screen failures (two by rules, one failing two rules; one
    # declined), 1 in screening; placebo: 1 withdrawn lost, 1 never treated; serum: 1 active,
    # 1 completed, 1 withdrawn for an adverse event and not analysed (no post-baseline value)
    c = ConsortSubject
    flow = consort_flow(
        [
            c("A", S.SCREENED),
            c("B", S.SCREEN_FAILED, failed_rules=("severity", "age")),
            c("C", S.SCREEN_FAILED, failed_rules=("severity",)),
            c("D", S.SCREEN_FAILED, reason="declined consent"),
            c("E", S.TREATMENT, "serum", treated=True, analysed=True),
            c("F", S.COMPLETED, "serum", treated=True, analysed=True),
            c("G", S.WITHDRAWN, "serum", reason="adverse event", treated=True, analysed=False,
              exclusion="no post-baseline assessment"),
            c("H", S.WITHDRAWN, "placebo", reason="Lost to follow-up", treated=True,
              analysed=True),
            c("I", S.WITHDRAWN, "placebo", reason="moved away", treated=False, analysed=False,
              exclusion="not treated"),
        ]
    )  # fmt: skip
    assert flow.to_dict() == {
        "assessed": 9,
        "consented": None,  # no consent documents in this study: not counted
        "consent_withdrawn": None,
        "excluded": 3,
        "not_eligible": 2,
        "excluded_reasons": {
            "Not meeting eligibility rule: severity": 2,
            "Declined to participate": 1,
            "Not meeting eligibility rule: age": 1,
        },
        "in_screening": 1,
        "enrolled": 5,
        "screening_recorded": True,
        "arms": {
            "placebo": {
                "allocated": 2, "active": 0, "withdrawn": 2, "completed": 0,
                "received": 1, "not_received": 1, "not_received_reasons": {"moved away": 1},
                "lost": 1, "lost_reasons": {"Lost to follow-up": 1},
                "discontinued": 1, "discontinued_reasons": {"moved away": 1},
                "analysed": 1, "not_analysed": 1, "not_analysed_reasons": {"not treated": 1},
            },
            "serum": {
                "allocated": 3, "active": 1, "withdrawn": 1, "completed": 1,
                "received": 3, "not_received": 0, "not_received_reasons": {},
                "lost": 0, "lost_reasons": {},
                "discontinued": 1, "discontinued_reasons": {"adverse event": 1},
                "analysed": 2, "not_analysed": 1,
                "not_analysed_reasons": {"no post-baseline assessment": 1},
            },
        },
    }  # fmt: skip
