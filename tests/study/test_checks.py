"""The automatic checks as pure rules (docs/monitoring.md): each finds what it should, only
that, and names its finding by the values found. Expected ranges are computed by hand from the
EASI area bands (Hanifin 2001: 0 %, 1-9, 10-29, 30-49, 50-69, 70-89, 90-100 %) and the adult
region shares 10/20/30/40 %."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from autoserum.protocols import CheckSettings, load_protocol
from autoserum.study.checks import (
    AssessmentFacts,
    InjectionFacts,
    LabFacts,
    SubjectFacts,
    VisitFacts,
    evaluate,
    implied_extent,
)

TODAY = date(2026, 6, 30)


def _easi(areas: dict[str, int]) -> dict[str, object]:
    signs = {"erythema": 1, "induration": 1, "excoriation": 0, "lichenification": 0}
    return {"age": 30, **{r: {**signs, "area": a} for r, a in areas.items()}}


def _scorad(extent: float, grades: int = 1) -> dict[str, object]:
    return {"extent": extent, "erythema": grades, "edema": grades, "oozing": 0,
            "excoriation": grades, "lichenification": 0, "dryness": 0, "pruritus": 5,
            "sleeplessness": 2}  # fmt: skip


def only(rule: str, **kw: object) -> CheckSettings:
    return CheckSettings(rules=(rule,), **kw)


def test_implied_extent_by_hand() -> None:
    # upper limbs area 2 (10-30 % of 20 %) + trunk area 1 (0-10 % of 30 %): 2 to 9 %
    assert implied_extent({"head_neck": 0, "upper_limbs": 2, "trunk": 1, "lower_limbs": 0},
                          age=30) == (Fraction(2), Fraction(9))  # fmt: skip
    # every region 6 (90-100 %): 90 to 100 %; a child's shares differ but sum to 100 % too
    assert implied_extent(dict.fromkeys(("head_neck", "upper_limbs", "trunk", "lower_limbs"), 6),
                          age=5) == (Fraction(90), Fraction(100))  # fmt: skip


@pytest.mark.parametrize(("extent", "found"), [(15.0, False), (19.0, False), (30.0, True)])
def test_easi_scorad_extent(extent: float, found: bool) -> None:
    visit = VisitFacts(1, "baseline", 0, date(2026, 3, 2))
    areas = {"head_neck": 0, "upper_limbs": 2, "trunk": 1, "lower_limbs": 0}
    data = SubjectFacts(
        "S-1",
        visits=(visit,),
        assessments=(AssessmentFacts(10, 1, "easi", _easi(areas), Fraction(3)),
                     AssessmentFacts(11, 1, "scorad", _scorad(extent))),
    )  # fmt: skip
    findings = evaluate(data, only("easi_scorad_extent"), today=TODAY)
    assert bool(findings) is found
    if found:
        (f,) = findings
        assert (f.entity, f.record_id, f.field) == ("assessment", 11, "extent")
        assert "2 to 9 %" in f.text


def test_scores_moving_apart() -> None:
    v1, v2 = (
        VisitFacts(1, "baseline", 0, date(2026, 3, 2)),
        VisitFacts(2, "week_4", 28, date(2026, 3, 30)),
    )
    areas = {"head_neck": 2, "upper_limbs": 2, "trunk": 2, "lower_limbs": 2}

    def data(easi2: int, extent2: float) -> SubjectFacts:
        return SubjectFacts("S-1", visits=(v1, v2), assessments=(
            AssessmentFacts(10, 1, "easi", _easi(areas), Fraction(10)),
            AssessmentFacts(11, 1, "scorad", _scorad(20)),
            AssessmentFacts(20, 2, "easi", _easi(areas), Fraction(easi2)),
            AssessmentFacts(21, 2, "scorad", _scorad(extent2)),
        ))  # fmt: skip

    # oSCORAD = A/5 + 7B/2 with B = 3: 20 % → 14.5; 60 % → 22.5 (+55 %); EASI 10 → 5 (-50 %)
    (f,) = evaluate(data(5, 60), only("score_direction"), today=TODAY)
    assert (f.entity, f.record_id) == ("assessment", 20)
    # EASI 10 → 9 (-10 %): under the 25 % threshold
    assert evaluate(data(9, 60), only("score_direction"), today=TODAY) == []
    # both down: the same direction
    assert evaluate(data(5, 5), only("score_direction"), today=TODAY) == []


def test_window_missing_labs_and_ae_before_consent() -> None:
    late = VisitFacts(2, "week_4", 28, date(2026, 4, 9), deviation_days=10,
                      earliest=date(2026, 3, 27), latest=date(2026, 3, 30),
                      planned=("scorad", "easi", "oscorad"), not_done=("easi",))  # fmt: skip
    data = SubjectFacts(
        "S-1",
        visits=(late,),
        labs=(LabFacts(5, "eosinophils", Decimal("7.5"), "10*9/L"),
              LabFacts(6, "eosinophils", Decimal("0.4"), "10*9/L")),
        adverse_events=((7, date(2026, 2, 10)), (8, date(2026, 2, 20)), (9, None)),
        first_consent=date(2026, 2, 16),
    )  # fmt: skip
    findings = evaluate(data, CheckSettings(), today=TODAY)
    got = {(f.rule, f.entity, f.record_id) for f in findings}
    assert got == {
        ("visit_window", "visit", 2),
        ("missing_assessment", "visit", 2),  # scorad (oscorad is scored by it); easi not done
        ("lab_limits", "lab", 5),
        ("ae_before_consent", "adverse_event", 7),
    }
    (missing,) = [f for f in findings if f.rule == "missing_assessment"]
    assert missing.text.startswith("scorad is planned")
    # a visit within the grace period is not chased yet
    assert evaluate(data, only("missing_assessment", missing_after_days=90), today=TODAY) == []
    # the keys name the values: a changed value is a new finding, the same value the same one
    again = evaluate(data, CheckSettings(), today=TODAY)
    assert [f.key for f in again] == [f.key for f in findings]
    assert len({f.key for f in findings}) == len(findings)


def test_checks_are_configured_in_the_protocol() -> None:
    protocol = load_protocol("ast-nahm2023")
    assert protocol.monitoring.checks.rules == CheckSettings().rules  # the AD defaults
    assert protocol.monitoring.sdv_plan == "targeted"
    custom = protocol.model_validate({
        **protocol.model_dump(mode="json"),
        "monitoring": {"sdv_plan": "full", "checks": {"rules": ["visit_window"],
                                                      "missing_after_days": 14}},
    })  # fmt: skip
    assert custom.monitoring.checks.rules == ("visit_window",)
    with pytest.raises(ValueError, match="rules"):
        protocol.model_validate({**protocol.model_dump(mode="json"),
                                 "monitoring": {"checks": {"rules": ["astrology"]}}})  # fmt: skip


def test_an_injection_without_a_matching_preparation_is_queried() -> None:
    """``injection_without_preparation``: only in a study recording its product chain; an
    injection naming no draw, aliquot or kit, or given before its kit was prepared."""
    injections = (
        InjectionFacts(1, date(2026, 3, 2), linked=False),
        InjectionFacts(2, date(2026, 3, 5), linked=True),  # an aliquot or a draw
        InjectionFacts(3, date(2026, 3, 9), linked=True, prepared_on=date(2026, 3, 9)),
        InjectionFacts(4, date(2026, 3, 12), linked=True, prepared_on=date(2026, 3, 13)),
    )
    rule = only("injection_without_preparation")
    assert evaluate(SubjectFacts("S-1", injections=injections), rule, today=TODAY) == []
    found = evaluate(
        SubjectFacts("S-1", injections=injections, product_chain=True), rule, today=TODAY
    )
    assert [(f.entity, f.record_id, f.field) for f in found] == [
        ("injection", 1, "product_code"),
        ("injection", 4, "given_on"),
    ]
    assert "names no blood draw, aliquot or kit" in found[0].text
    assert "prepared later, on 2026-03-13" in found[1].text
    assert "injection_without_preparation" in CheckSettings().rules  # an AD default
