"""Evidence synthesis (pure core): effect sizes from reported results and fixed/random-effects
meta-analysis validated against R's metafor.

>>> from autoserum.meta import escalc_counts, rma
>>> es = escalc_counts("RR", [4, 6], [119, 300], [11, 29], [128, 274])
>>> res = rma(es.yi, es.vi, method="FE", measure="RR")
>>> round(res.to_dict()["exp_estimate"], 4)
0.2658
"""

from autoserum.meta._escalc import (
    CONTINUOUS_MEASURES,
    COUNT_MEASURES,
    RATIO_MEASURES,
    EffectSizes,
    escalc_counts,
    escalc_means,
    hedges_correction,
)
from autoserum.meta._fit import METHODS
from autoserum.meta._rma import MetaResult, rma, tau2_confint
from autoserum.meta._sensitivity import (
    LeaveOneOut,
    SubgroupResult,
    leave_one_out,
    subgroup_analysis,
)

__all__ = [
    "CONTINUOUS_MEASURES",
    "COUNT_MEASURES",
    "METHODS",
    "RATIO_MEASURES",
    "EffectSizes",
    "LeaveOneOut",
    "MetaResult",
    "SubgroupResult",
    "escalc_counts",
    "escalc_means",
    "hedges_correction",
    "leave_one_out",
    "rma",
    "subgroup_analysis",
    "tau2_confint",
]
