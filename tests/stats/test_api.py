"""The public surface of autoserum.stats, result shapes and the docstring examples."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

import autoserum.stats as stats
from autoserum.stats import (
    Coefficient,
    Describe,
    Estimate,
    MMRMResult,
    RankTest,
    TTest,
    VisitEstimate,
)


def test_public_api_is_pinned() -> None:
    # The names of INTERFACES.md section 4; the analysis helper codes against them.
    assert sorted(stats.__all__) == sorted(
        [
            "MI_STRATEGIES",
            "MMRM_COVARIANCES",
            "MMRM_DF_METHODS",
            "Coefficient",
            "CoxResult",
            "CoxTerm",
            "KMCurve",
            "KMRow",
            "KaplanMeier",
            "LogRank",
            "PHTest",
            "Pooled",
            "BatchEstimate",
            "Describe",
            "Estimate",
            "MIResult",
            "MMRMResult",
            "RankTest",
            "TTest",
            "TippingPoint",
            "TippingRow",
            "VisitEstimate",
            "ancova",
            "cox_ph",
            "kaplan_meier",
            "log_rank",
            "describe",
            "fisher_exact",
            "hedges_g",
            "mann_whitney",
            "mmrm",
            "multiple_imputation",
            "mmrm_batch",
            "mmrm_complete_batch",
            "newcombe_rd",
            "p_adjust",
            "rubin_pool",
            "paired_t",
            "student_t",
            "tipping_point",
            "welch_t",
            "wilcoxon_signed_rank",
            "wilson_ci",
            "Moments",
            "PatternMoments",
            "SiteSummary",
            "Suppression",
            "federated_ancova",
            "federated_mmrm",
            "summarize_site",
            "Contrast",
            "FTest",
            "LSMean",
            "LinearModelResult",
            "linear_model",
            "t_inference",
            "Alternative",
            "check_alternative",
            "KAPPA_WEIGHTS",
            "ICCResult",
            "ICCRow",
            "KappaResult",
            "icc",
            "cohen_kappa",
        ]
    )


def test_result_fields_are_stable() -> None:
    names = {
        Describe: "n mean sd se ci_low ci_high median q1 q3 minimum maximum",
        TTest: "estimate se ci_low ci_high statistic df p_value",
        RankTest: "statistic p_value estimate ci_low ci_high method",
        Estimate: "estimate se ci_low ci_high statistic df p_value",
        VisitEstimate: "visit estimate se ci_low ci_high statistic df p_value",
        MMRMResult: "per_visit converged log_lik n_subjects n_observations covariance "
        "covariance_structure df_method covariate_effects",
        Coefficient: "name estimate se ci_low ci_high statistic df p_value",
    }
    for cls, fields in names.items():
        assert [f.name for f in dataclasses.fields(cls)] == fields.split(), cls.__name__


def test_results_are_frozen() -> None:
    result = stats.paired_t([1.0, 2.0, 4.0])
    with pytest.raises(AttributeError):
        result.estimate = 0.0  # type: ignore[misc]


def test_to_dict_is_json_ready_and_maps_nan_to_none() -> None:
    with pytest.warns(stats_warning()):
        d = stats.describe([3.0])
    out = d.to_dict()
    assert out["n"] == 1
    assert out["sd"] is None
    assert out["mean"] == 3.0
    json.dumps(out, allow_nan=False)
    rd = stats.newcombe_rd(3, 10, 1, 10).to_dict()
    assert rd["se"] is None
    assert rd["p_value"] is None
    assert math.isclose(rd["estimate"], 0.2)  # 3/10 − 1/10 (arithmetic, tolerance 1e-9)


def test_mmrm_to_dict_nests_visits_with_plain_labels() -> None:
    rng = np.random.default_rng(3)
    n = 30
    subject = np.repeat(np.arange(n), 2)
    visit = np.tile(np.array([4, 8]), n)
    group = np.repeat(np.arange(n) % 2, 2)
    baseline = np.repeat(rng.normal(20, 3, n), 2)
    y = rng.normal(0, 2, 2 * n) - group
    out = stats.mmrm(subject, visit, group, baseline, y).to_dict()
    assert [v["visit"] for v in out["per_visit"]] == [4, 8]
    assert isinstance(out["per_visit"][0]["visit"], int)
    json.dumps(out, allow_nan=False)


def stats_warning() -> type[Warning]:
    from autoserum.errors import StatisticalWarning

    return StatisticalWarning


def test_every_public_function_is_documented() -> None:
    # docs/statistics.md names each function and its R equivalent
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "statistics.md").read_text()
    for name in stats.__all__:
        if name[0].islower():
            assert f"`{name}(" in doc, name
    assert "nlme::gls" in doc
