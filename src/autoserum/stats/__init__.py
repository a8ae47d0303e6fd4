"""Statistical methods (pure core), validated against R: descriptive statistics, t-tests,
Wilcoxon tests with Hodges–Lehmann estimates, ANCOVA, MMRM, effect sizes, responder statistics
and multiplicity adjustment. Functions take NumPy arrays (or sequences) and return frozen
dataclasses with ``to_dict()``; each docstring names its R equivalent.

>>> from autoserum.stats import paired_t
>>> paired_t([1.0, 2.0, 3.0, 6.0]).estimate
3.0
"""

from autoserum.stats._ancova import ancova
from autoserum.stats._describe import describe
from autoserum.stats._effect_size import hedges_g
from autoserum.stats._federated import federated_ancova, federated_mmrm, summarize_site
from autoserum.stats._federated_sums import Moments, PatternMoments, SiteSummary, Suppression
from autoserum.stats._mannwhitney import mann_whitney
from autoserum.stats._mmrm import mmrm
from autoserum.stats._mmrm_batch import BatchEstimate, mmrm_complete_batch
from autoserum.stats._multiplicity import p_adjust
from autoserum.stats._proportions import fisher_exact, newcombe_rd, wilson_ci
from autoserum.stats._results import Describe, Estimate, MMRMResult, RankTest, TTest, VisitEstimate
from autoserum.stats._ttests import paired_t, student_t, welch_t
from autoserum.stats._wilcoxon import wilcoxon_signed_rank

__all__ = [
    "BatchEstimate",
    "Describe",
    "Estimate",
    "MMRMResult",
    "Moments",
    "PatternMoments",
    "RankTest",
    "SiteSummary",
    "Suppression",
    "TTest",
    "VisitEstimate",
    "ancova",
    "describe",
    "federated_ancova",
    "federated_mmrm",
    "fisher_exact",
    "hedges_g",
    "mann_whitney",
    "mmrm",
    "mmrm_complete_batch",
    "newcombe_rd",
    "p_adjust",
    "paired_t",
    "student_t",
    "summarize_site",
    "welch_t",
    "wilcoxon_signed_rank",
    "wilson_ci",
]
