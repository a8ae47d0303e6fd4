"""The public surface of autoserum.protocols and autoserum.study.randomisation is pinned."""

from __future__ import annotations

import autoserum.protocols
import autoserum.study.randomisation
from autoserum.protocols import load_protocol
from autoserum.study.randomisation import allocation_list


def test_protocols_public_api() -> None:
    assert sorted(autoserum.protocols.__all__) == sorted(
        [
            "DEFAULT_KIT_SHELF_LIFE_HOURS",
            "DEFAULT_MEDICATION",
            "DEFAULT_SAFETY",
            "FINDING_KINDS",
            "INSTRUMENT_CODES",
            "LAB_CODES",
            "Arm",
            "CHECK_RULES",
            "CheckSettings",
            "Conflict",
            "Demographics",
            "Dose",
            "EligibilityResult",
            "EligibilityRule",
            "Fact",
            "InjectionPlan",
            "InjectionSite",
            "Medication",
            "MedicationFinding",
            "MedicationRule",
            "Monitoring",
            "Phase",
            "ProductProcess",
            "Protocol",
            "Safety",
            "SafetyTerm",
            "ScheduledEvent",
            "Source",
            "SpecialInterest",
            "VisitPlan",
            "evaluate_eligibility",
            "load_protocol",
            "medication_findings",
            "parse_protocol_data",
            "parse_protocol_file",
            "parse_protocol_text",
            "protocol_codes",
            "resolve_protocol",
            "schedule",
            "visit_deviation",
            "window_bounds",
            "PROCESS_PARAMETERS",
            "dose_deviation",
            "dose_volume",
            "draw_to_injection_refusal",
            "expiry",
            "fact_number",
            "process_deviations",
            # self-report schedules (issue 14, docs/epro.md)
            "Compliance",
            "SelfReport",
            "SelfReportPlan",
            "Slot",
            "compliance",
            "plan_slots",
            "subject_visits",
            "timing",
            "ProtocolVersion",
            "ProtocolVersions",
            "check_amendment",
        ]
    )


def test_randomisation_public_api() -> None:
    assert sorted(autoserum.study.randomisation.__all__) == [
        "Allocation",
        "allocation_digest",
        "allocation_list",
        "next_allocation",
        "parse_stratify_by",
        "strata_for",
        "stratum_key",
    ]


def test_a_protocol_feeds_the_allocation_list() -> None:
    p = load_protocol("aigt-nahm2020")
    assert p.allocation_ratios == (("igg", 1), ("placebo", 1))
    alloc = allocation_list(p.allocation_ratios, n=10, seed=2020, strata=["site=ajou"])
    assert {a.arm for a in alloc} == {"igg", "placebo"}
