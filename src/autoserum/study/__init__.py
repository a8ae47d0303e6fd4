"""The study domain model (pure core): subjects, statuses, visits, assessments, labs,
randomisation, blinding and CONSORT flow.

>>> transition("screened", "enrolled").value
'enrolled'
"""

from autoserum.permissions import ROLES, check_role
from autoserum.study.blinding import MASK, can_see_arm
from autoserum.study.consort import ArmFlow, ConsortFlow, ConsortSubject, consort_flow
from autoserum.study.labs import ANALYTES, Analyte, judge, to_canonical
from autoserum.study.model import (
    AdverseEvent,
    Arm,
    Assessment,
    ConMed,
    Deviation,
    Injection,
    LabResult,
    Site,
    Study,
    Subject,
    SubjectDetail,
    Unblinding,
    Visit,
)
from autoserum.study.randomisation import (
    Allocation,
    allocation_digest,
    allocation_list,
    next_allocation,
    strata_for,
    stratum_key,
)
from autoserum.study.status import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    SubjectStatus,
    allowed_transitions,
    parse_status,
    transition,
)
from autoserum.study.visits import PlannedVisit, window_bounds, window_deviation
from autoserum.study.vocab import OUTCOMES, PRODUCTS, RELATEDNESS, SEVERITIES, SEXES, check_choice

__all__ = [
    "ACTIVE_STATUSES",
    "ANALYTES",
    "MASK",
    "OUTCOMES",
    "PRODUCTS",
    "RELATEDNESS",
    "ROLES",
    "SEVERITIES",
    "SEXES",
    "TERMINAL_STATUSES",
    "AdverseEvent",
    "Allocation",
    "Analyte",
    "Arm",
    "ArmFlow",
    "Assessment",
    "ConMed",
    "ConsortFlow",
    "ConsortSubject",
    "Deviation",
    "Injection",
    "LabResult",
    "PlannedVisit",
    "Site",
    "Study",
    "Subject",
    "SubjectDetail",
    "SubjectStatus",
    "Unblinding",
    "Visit",
    "allocation_digest",
    "allocation_list",
    "allowed_transitions",
    "can_see_arm",
    "check_choice",
    "check_role",
    "consort_flow",
    "judge",
    "next_allocation",
    "parse_status",
    "strata_for",
    "stratum_key",
    "to_canonical",
    "transition",
    "window_bounds",
    "window_deviation",
]
