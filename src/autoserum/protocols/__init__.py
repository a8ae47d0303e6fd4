"""Therapy protocols as data (pure core): the schema, the shipped protocol library, the visit and
injection schedule, visit deviations and eligibility.

>>> from datetime import date
>>> p = load_protocol("abt-pittler2003")
>>> [a.code for a in p.arms], len(p.injections)
(['abt', 'placebo'], 5)
>>> schedule(p, date(2026, 3, 2))[-1].code
'week_9'
"""

from autoserum.protocols._eligibility import EligibilityResult, evaluate_eligibility
from autoserum.protocols._loader import (
    load_protocol,
    parse_protocol_data,
    parse_protocol_file,
    parse_protocol_text,
    protocol_codes,
    resolve_protocol,
)
from autoserum.protocols._medication import (
    FINDING_KINDS,
    MedicationFinding,
    medication_findings,
)
from autoserum.protocols._monitoring import CHECK_RULES, CheckSettings, Monitoring
from autoserum.protocols._product import (
    PROCESS_PARAMETERS,
    dose_deviation,
    dose_volume,
    draw_to_injection_refusal,
    expiry,
    fact_number,
    process_deviations,
)
from autoserum.protocols._schedule import (
    ScheduledEvent,
    schedule,
    visit_deviation,
    window_bounds,
)
from autoserum.protocols._schema import (
    DEFAULT_KIT_SHELF_LIFE_HOURS,
    DEFAULT_MEDICATION,
    DEFAULT_SAFETY,
    INSTRUMENT_CODES,
    LAB_CODES,
    Arm,
    Conflict,
    Demographics,
    Dose,
    EligibilityRule,
    Fact,
    InjectionPlan,
    InjectionSite,
    Medication,
    MedicationRule,
    Phase,
    ProductProcess,
    Protocol,
    Safety,
    SafetyTerm,
    Source,
    SpecialInterest,
    VisitPlan,
)
from autoserum.protocols._self_report import (
    Compliance,
    SelfReport,
    SelfReportPlan,
    Slot,
    compliance,
    plan_slots,
    subject_visits,
    timing,
)
from autoserum.protocols._versions import ProtocolVersion, ProtocolVersions, check_amendment

__all__ = [
    "CHECK_RULES",
    "DEFAULT_KIT_SHELF_LIFE_HOURS",
    "DEFAULT_MEDICATION",
    "DEFAULT_SAFETY",
    "FINDING_KINDS",
    "INSTRUMENT_CODES",
    "LAB_CODES",
    "PROCESS_PARAMETERS",
    "Arm",
    "CheckSettings",
    "Compliance",
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
    "ProtocolVersion",
    "ProtocolVersions",
    "Safety",
    "SafetyTerm",
    "ScheduledEvent",
    "SelfReport",
    "SelfReportPlan",
    "Slot",
    "Source",
    "SpecialInterest",
    "VisitPlan",
    "check_amendment",
    "compliance",
    "dose_deviation",
    "dose_volume",
    "draw_to_injection_refusal",
    "evaluate_eligibility",
    "expiry",
    "fact_number",
    "load_protocol",
    "medication_findings",
    "parse_protocol_data",
    "parse_protocol_file",
    "parse_protocol_text",
    "plan_slots",
    "process_deviations",
    "protocol_codes",
    "resolve_protocol",
    "schedule",
    "subject_visits",
    "timing",
    "visit_deviation",
    "window_bounds",
]
