"""The evidence registry (pure core): studies of autologous blood, serum and IgG therapy in
atopic dermatitis and chronic urticaria, results as reported with their sources, study-level
effects with their derivations, and the pooled analyses the data support.

>>> from autoserum.evidence import load_registry, pool_analysis
>>> reg = load_registry()
>>> sorted({s.condition for s in reg.studies.values()})
['AD', 'CSU']
"""

from autoserum.evidence._effects import StudyEffect, study_effect
from autoserum.evidence._pool import PooledAnalysis, pool_analysis
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

__all__ = [
    "CONDITIONS",
    "PROTOCOL_CODES",
    "THERAPIES",
    "Analysis",
    "Arm",
    "EffectSpec",
    "Flag",
    "LeftOut",
    "PooledAnalysis",
    "Registry",
    "Result",
    "Study",
    "StudyEffect",
    "load_registry",
    "parse_registry",
    "pool_analysis",
    "study_effect",
]
