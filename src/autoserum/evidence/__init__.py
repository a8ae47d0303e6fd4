"""The evidence registry (pure core): studies of autologous blood, serum and IgG therapy in
atopic dermatitis and chronic urticaria, results as reported with their sources, study-level
effects with their derivations, and the pooled analyses the data support.

>>> from autoserum.evidence import load_registry, pool_analysis
>>> reg = load_registry()
>>> sorted({s.condition for s in reg.studies.values()})
['AD', 'AD+CSU', 'CSU', 'eczema', 'healthy']
"""

from autoserum.evidence._effects import StudyEffect, study_effect
from autoserum.evidence._grade import GRADE_DOMAINS, GradeRow, summary_of_findings
from autoserum.evidence._pool import R_SENSITIVITY, TAU_PRIOR_SCALE, PooledAnalysis, pool_analysis
from autoserum.evidence._prisma import PrismaFlow, SearchRecord, load_search, prisma_flow
from autoserum.evidence._prisma_svg import prisma_svg
from autoserum.evidence._protocol import load_review_protocol, render_review_protocol
from autoserum.evidence._records import STUDY_STATUSES, Identifiers, Screening
from autoserum.evidence._registry import (
    CONDITIONS,
    PROTOCOL_CODES,
    THERAPIES,
    Analysis,
    Arm,
    EffectSpec,
    Flag,
    LeftOut,
    Registry,
    Result,
    Study,
    load_registry,
    parse_registry,
)
from autoserum.evidence._rob import (
    ROB2_DOMAINS,
    Rob2Assessment,
    RobinsAssessment,
    load_rob2,
    load_robins_i,
    rob2_domain,
)
from autoserum.evidence._rob_plot import rob_summary, rob_traffic_light

__all__ = [
    "CONDITIONS",
    "GRADE_DOMAINS",
    "PROTOCOL_CODES",
    "ROB2_DOMAINS",
    "R_SENSITIVITY",
    "STUDY_STATUSES",
    "TAU_PRIOR_SCALE",
    "THERAPIES",
    "Analysis",
    "Arm",
    "EffectSpec",
    "Flag",
    "GradeRow",
    "Identifiers",
    "LeftOut",
    "PooledAnalysis",
    "PrismaFlow",
    "Registry",
    "Result",
    "Rob2Assessment",
    "RobinsAssessment",
    "Screening",
    "SearchRecord",
    "Study",
    "StudyEffect",
    "load_registry",
    "load_review_protocol",
    "load_rob2",
    "load_robins_i",
    "load_search",
    "parse_registry",
    "pool_analysis",
    "prisma_flow",
    "prisma_svg",
    "render_review_protocol",
    "rob2_domain",
    "rob_summary",
    "rob_traffic_light",
    "study_effect",
    "summary_of_findings",
]
