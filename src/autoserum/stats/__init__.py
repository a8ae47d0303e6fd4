"""Statistical methods (pure core), validated against R: descriptive statistics, t-tests,
Wilcoxon tests with Hodges–Lehmann estimates, ANCOVA, MMRM (covariance structures;
residual, Satterthwaite and Kenward–Roger df), effect sizes, responder statistics,
multiplicity adjustment and inter-rater agreement (ICC, weighted kappa). Functions take
NumPy arrays (or sequences) and return frozen dataclasses with ``to_dict()``; each
docstring names its R equivalent.

>>> from autoserum.stats import paired_t
>>> paired_t([1.0, 2.0, 3.0, 6.0]).estimate
3.0
"""

from autoserum.stats._agreement import KAPPA_WEIGHTS, cohen_kappa, icc
from autoserum.stats._ancova import ancova
from autoserum.stats._cox import cox_ph
from autoserum.stats._describe import describe
from autoserum.stats._effect_size import hedges_g
from autoserum.stats._federated import federated_ancova, federated_mmrm, summarize_site
from autoserum.stats._federated_sums import Moments, PatternMoments, SiteSummary, Suppression
from autoserum.stats._linear import (
    Contrast,
    FTest,
    LinearModelResult,
    LSMean,
    linear_model,
    t_inference,
)
from autoserum.stats._mannwhitney import mann_whitney
from autoserum.stats._mi import STRATEGIES as MI_STRATEGIES
from autoserum.stats._mi_analysis import multiple_imputation, tipping_point
from autoserum.stats._mmrm import mmrm
from autoserum.stats._mmrm_batch import BatchEstimate, mmrm_batch, mmrm_complete_batch
from autoserum.stats._mmrm_cov import STRUCTURES as MMRM_COVARIANCES
from autoserum.stats._mmrm_df import DF_METHODS as MMRM_DF_METHODS
from autoserum.stats._multiplicity import p_adjust
from autoserum.stats._proportions import fisher_exact, newcombe_rd, wilson_ci
from autoserum.stats._results import (
    Coefficient,
    Describe,
    Estimate,
    MIResult,
    MMRMResult,
    Pooled,
    RankTest,
    TippingPoint,
    TippingRow,
    TTest,
    VisitEstimate,
)
from autoserum.stats._results_agreement import ICCResult, ICCRow, KappaResult
from autoserum.stats._results_survival import (
    CoxResult,
    CoxTerm,
    KaplanMeier,
    KMCurve,
    KMRow,
    LogRank,
    PHTest,
)
from autoserum.stats._rubin import rubin_pool
from autoserum.stats._survival import kaplan_meier, log_rank
from autoserum.stats._ttests import paired_t, student_t, welch_t
from autoserum.stats._validate import Alternative, check_alternative
from autoserum.stats._wilcoxon import wilcoxon_signed_rank

__all__ = [
    "KAPPA_WEIGHTS",
    "MI_STRATEGIES",
    "MMRM_COVARIANCES",
    "MMRM_DF_METHODS",
    "Alternative",
    "BatchEstimate",
    "Coefficient",
    "Contrast",
    "CoxResult",
    "CoxTerm",
    "Describe",
    "Estimate",
    "FTest",
    "ICCResult",
    "ICCRow",
    "KMCurve",
    "KMRow",
    "KaplanMeier",
    "KappaResult",
    "LSMean",
    "LinearModelResult",
    "LogRank",
    "MIResult",
    "MMRMResult",
    "Moments",
    "PHTest",
    "PatternMoments",
    "Pooled",
    "RankTest",
    "SiteSummary",
    "Suppression",
    "TTest",
    "TippingPoint",
    "TippingRow",
    "VisitEstimate",
    "ancova",
    "check_alternative",
    "cohen_kappa",
    "cox_ph",
    "describe",
    "federated_ancova",
    "federated_mmrm",
    "fisher_exact",
    "hedges_g",
    "icc",
    "kaplan_meier",
    "linear_model",
    "log_rank",
    "mann_whitney",
    "mmrm",
    "mmrm_batch",
    "mmrm_complete_batch",
    "multiple_imputation",
    "newcombe_rd",
    "p_adjust",
    "paired_t",
    "rubin_pool",
    "student_t",
    "summarize_site",
    "t_inference",
    "tipping_point",
    "welch_t",
    "wilcoxon_signed_rank",
    "wilson_ci",
]
