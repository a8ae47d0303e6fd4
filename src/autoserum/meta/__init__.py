"""Evidence synthesis (pure core): effect sizes from reported results and fixed/random-effects
meta-analysis validated against R's metafor.

>>> from autoserum.meta import escalc_counts, rma
>>> es = escalc_counts("RR", [4, 6], [119, 300], [11, 29], [128, 274])
>>> res = rma(es.yi, es.vi, method="FE", measure="RR")
>>> round(res.to_dict()["exp_estimate"], 4)
0.2658
"""

from autoserum.meta._bayes import BayesMetaResult, McmcCheck, bayes_rma, bayes_rma_mcmc
from autoserum.meta._derive import (
    DerivedEffect,
    binary_effect,
    count_from_percent,
    effect_from_ci,
    effect_from_means,
    effect_from_p,
    log_or_to_smd,
    sd_of_change,
    se_from_ci,
    se_from_p,
    smd_from_p,
    smd_from_t,
    smd_residual_to_raw,
)
from autoserum.meta._escalc import (
    CONTINUOUS_MEASURES,
    CORRELATION_MEASURES,
    COUNT_MEASURES,
    RATIO_MEASURES,
    EffectSizes,
    escalc_correlations,
    escalc_counts,
    escalc_means,
    hedges_correction,
)
from autoserum.meta._fit import METHODS
from autoserum.meta._plots import forest_plot, forest_plot_trials, funnel_plot, save_figure
from autoserum.meta._rma import MetaResult, rma, tau2_confint
from autoserum.meta._sensitivity import (
    LeaveOneOut,
    SubgroupResult,
    leave_one_out,
    subgroup_analysis,
)
from autoserum.meta._table import MEASURES, EffectTable, effects_from_rows

__all__ = [
    "CONTINUOUS_MEASURES",
    "CORRELATION_MEASURES",
    "COUNT_MEASURES",
    "MEASURES",
    "METHODS",
    "RATIO_MEASURES",
    "BayesMetaResult",
    "DerivedEffect",
    "EffectSizes",
    "EffectTable",
    "LeaveOneOut",
    "McmcCheck",
    "MetaResult",
    "SubgroupResult",
    "bayes_rma",
    "bayes_rma_mcmc",
    "binary_effect",
    "count_from_percent",
    "effect_from_ci",
    "effect_from_means",
    "effect_from_p",
    "effects_from_rows",
    "escalc_correlations",
    "escalc_counts",
    "escalc_means",
    "forest_plot",
    "forest_plot_trials",
    "funnel_plot",
    "hedges_correction",
    "leave_one_out",
    "log_or_to_smd",
    "rma",
    "save_figure",
    "sd_of_change",
    "se_from_ci",
    "se_from_p",
    "smd_from_p",
    "smd_from_t",
    "smd_residual_to_raw",
    "subgroup_analysis",
    "tau2_confint",
]
