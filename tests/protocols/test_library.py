"""Each shipped protocol loads and carries the facts of its source.

Sources: /work/shared/data/evidence/sources.md (section named per test) and extraction.csv.
"""

from __future__ import annotations

import itertools

import pytest

from autoserum.errors import NotFoundError
from autoserum.protocols import INSTRUMENT_CODES, Protocol, load_protocol, protocol_codes

SHIPPED = ("aaht-zhao2022", "abt-pittler2003", "aigt-nahm2020", "asim-choi2024", "ast-nahm2023")


def _injection_days(p: Protocol) -> list[int]:
    return [i.day for i in p.injections]


def test_library_lists_the_five_regimens() -> None:
    assert protocol_codes() == SHIPPED


@pytest.mark.parametrize("code", SHIPPED)
def test_every_protocol_is_complete_and_honest(code: str) -> None:
    p = load_protocol(code)
    assert p.code == code
    assert p.citation
    assert p.sources
    phases = {ph.code for ph in p.phases}
    assert {"screening", "treatment", "follow_up"} <= phases
    assert p.visit("baseline").day == 0
    assert p.injections[0].day == 0  # day 0 = first injection
    for arm in p.arms:
        # Unknown means no value: nothing invented.
        for fact in (arm.preparation, arm.dose, arm.route):
            assert (fact.source == "unknown") == (fact.value is None)
    for visit in p.visits:
        # No source publishes visit windows: every window is an explicit autoserum default.
        assert visit.window_source == "autoserum default"
        assert set(visit.instruments) <= set(INSTRUMENT_CODES)


def test_pittler_2003() -> None:
    # Source: sources.md §1.1 (abstract; Oomen-Welke 2019 Table 2; Nahm 2024 editorial).
    p = load_protocol("abt-pittler2003")
    assert (p.design, p.blinding) == ("parallel", "double_blind")
    abt, placebo = p.arm("abt"), p.arm("placebo")
    assert (abt.product, placebo.product, placebo.is_control) == ("whole_blood", "saline", True)
    assert abt.route.value == "intramuscular"
    assert abt.dose.per_injection == (1, 2, 3, 2, 1)  # mL, Oomen-Welke Table 2
    assert abt.dose.unit == "mL"
    assert _injection_days(p) == [0, 7, 14, 21, 28]  # once weekly x5
    assert p.visit("week_9").day == 63  # follow-up to week 9
    assert p.primary_endpoint.value == "sassad"
    assert "dlqi" in p.visit("week_9").instruments
    assert "vas_pruritus_100mm" in p.visit("week_9").other_assessments
    assert {c.topic for c in p.conflicts} >= {"end of follow-up", "DLQI result"}
    assert placebo.dose.source == "unknown"  # saline volume not reported


def test_nahm_2023() -> None:
    # Source: sources.md §1.2 (abstract, PMID 37365736).
    p = load_protocol("ast-nahm2023")
    serum = p.arm("serum")
    assert (serum.product, serum.dose.value, serum.dose.unit) == ("serum", 5, "mL")
    assert serum.route.value == "intramuscular"
    assert len(p.injections) == 8  # 8 injections over 4 weeks
    assert max(_injection_days(p)) < 28
    assert p.visit("week_8").day == 56
    assert set(p.visit("week_8").instruments) == {"scorad", "easi", "dlqi"}
    assert p.arm("placebo").product == "saline"
    assert p.blinding == "double_blind"


def test_choi_2024() -> None:
    # Source: sources.md §1.3 and §0.6; seed 002 (Choi 2024 abstract).
    p = load_protocol("asim-choi2024")
    assert (p.design, p.blinding, len(p.arms)) == ("single_arm", "open_label", 1)
    run_in = next(ph for ph in p.phases if ph.code == "run_in")
    assert (run_in.start_day, run_in.end_day) == (-28, -1)  # 4-week run-in
    assert _injection_days(p) == [0, 7, 14, 21]  # once weekly x4
    assert p.visits[-1].day == 56  # week 8 after the first injection; 12 weeks in all
    assert p.visits[-1].day - run_in.start_day == 84
    assert p.primary_endpoint.value == "easi"
    week_4 = p.visit("week_4")
    assert {"easi", "scorad", "dlqi", "pp_nrs", "sleep_nrs", "patient_global"} <= set(
        week_4.instruments
    )
    assert "eosinophils" in week_4.labs
    assert p.arm("serum").dose.source == "unknown"  # volume NR in the abstract
    conflict = next(c for c in p.conflicts if c.topic == "number of injections")
    assert any("5 injections" in s for s in conflict.statements)


def test_zhao_2022() -> None:
    # Source: sources.md §1.5; seed 000 (case report abstract).
    p = load_protocol("aaht-zhao2022")
    assert p.design == "case_report"
    arm = p.arms[0]
    assert arm.product == "whole_blood"
    assert {(s.kind, s.code, s.laterality) for s in arm.sites} == {
        ("acupoint", "ST36", "bilateral"),
        ("acupoint", "SP10", "bilateral"),
    }
    days = _injection_days(p)
    assert days[:4] == [0, 7, 14, 21]  # weekly for the first month
    gaps = {b - a for a, b in itertools.pairwise(days[4:])}
    assert gaps == {14}  # then every other week
    assert days[-1] - days[4] <= 91  # ... for three months
    follow_up = next(ph for ph in p.phases if ph.code == "follow_up")
    assert follow_up.end_day - follow_up.start_day + 1 == 182  # six-month follow-up
    assert "ige" in p.visits[-1].labs
    assert arm.dose.source == "unknown"  # blood volume NR


def test_nahm_2020() -> None:
    # Source: sources.md §1.4 (abstract PMID 32935488, registry NCT02835170).
    p = load_protocol("aigt-nahm2020")
    igg = p.arm("igg")
    assert (igg.product, igg.dose.value, igg.dose.unit) == ("igg", 50, "mg")
    # Source (issue 17): Nahm 2020 abstract, "8 weekly intramuscular administrations of
    # autologous total IgG 50 mg ... over a 7-week period"; NCT02835170, "once a week for
    # 7 weeks (total 8 injections)". Not twice weekly (that was the single-arm series).
    assert _injection_days(p) == [0, 7, 14, 21, 28, 35, 42, 49]
    treatment = next(ph for ph in p.phases if ph.code == "treatment")
    assert (treatment.start_day, treatment.end_day) == (0, 49)  # end of treatment: week 7
    assert all(i.day_source == "published" for i in p.injections)
    assert p.visits[-1].code == "week_16"
    assert p.visits[-1].day == 112
    assert {"il10", "ifng"} <= set(p.visit("week_16").labs)
    assert {"easi", "dlqi"} <= set(p.visit("week_16").instruments)
    rules = {r.code: r for r in p.eligibility}
    assert rules["age"].minimum == 13
    assert rules["bsa"].minimum == 10
    assert rules["severity"].fact == "scorad"
    assert rules["severity"].minimum == 25
    assert rules["washout"].minimum == 28
    assert any(c.topic == "injection schedule" for c in p.conflicts)


def test_unsupported_details_are_autoserum_defaults_with_a_reason() -> None:
    # Issue 17: the Pittler abstract gives no age limit; the Nahm 2023 abstract states no
    # primary endpoint and publishes "8 injections over 4 weeks" without their spacing.
    adult = next(r for r in load_protocol("abt-pittler2003").eligibility if r.code == "adult")
    assert (adult.source, adult.minimum) == ("autoserum default", 18)
    assert adult.note
    assert "not published" in adult.note
    p = load_protocol("ast-nahm2023")
    assert p.primary_endpoint.source == "autoserum default"
    assert p.primary_endpoint.note
    assert "not published" in p.primary_endpoint.note
    assert "twice" not in p.title
    assert all(i.day_source == "autoserum default" for i in p.injections[1:])


def test_unknown_code_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="abt-pittler2003"):
        load_protocol("no-such-protocol")


def test_protocols_are_frozen() -> None:
    p = load_protocol("ast-nahm2023")
    with pytest.raises(ValueError, match="frozen"):
        p.code = "x"  # type: ignore[misc]
