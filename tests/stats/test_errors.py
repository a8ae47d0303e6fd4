"""Bad input gets a clear ValidationError; impossible fits a StatisticsError; caveats a
StatisticalWarning."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autoserum.errors import StatisticalWarning, StatisticsError, ValidationError
from autoserum.stats import (
    ancova,
    describe,
    fisher_exact,
    hedges_g,
    mann_whitney,
    mmrm,
    newcombe_rd,
    p_adjust,
    paired_t,
    student_t,
    welch_t,
    wilcoxon_signed_rank,
    wilson_ci,
)


def test_infinite_values_are_refused_with_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        paired_t([1.0, np.inf, 2.0])
    assert info.value.field == "diff"
    assert "finite" in info.value.expected


def test_non_numeric_and_2d_input() -> None:
    with pytest.raises(ValidationError, match="x: got"):
        describe(["a", "b"])
    with pytest.raises(ValidationError, match="1-D"):
        welch_t([[1.0, 2.0]], [1.0, 2.0])


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1, float("nan")])
def test_conf_level_must_be_inside_zero_one(level: float) -> None:
    with pytest.raises(ValidationError, match="conf_level"):
        paired_t([1.0, 2.0, 3.0], conf_level=level)


def test_missing_values_are_dropped_like_r() -> None:
    # R: t.test(c(1, 2, NA, 6)) uses the three non-missing values.
    assert paired_t([1.0, 2.0, np.nan, 6.0]).df == 2.0
    assert describe([np.nan, 1.0, 3.0]).n == 2


def test_too_few_observations() -> None:
    with pytest.raises(StatisticsError, match="at least 2"):
        paired_t([1.0])
    with pytest.raises(StatisticsError, match="at least 2"):
        welch_t([1.0], [1.0, 2.0])
    with pytest.raises(StatisticsError, match="at least 3"):
        student_t([1.0], [2.0])
    with pytest.raises(StatisticsError, match="no non-missing"):
        describe([np.nan])
    with pytest.raises(StatisticsError, match="at least 2"):
        hedges_g([1.0], [2.0, 3.0])


def test_constant_data() -> None:
    with pytest.raises(StatisticsError, match="constant"):
        paired_t([2.0, 2.0, 2.0])
    with pytest.raises(StatisticsError, match="constant"):
        welch_t([1.0, 1.0], [1.0, 1.0])
    with pytest.raises(StatisticsError, match="zero"):
        hedges_g([1.0, 1.0], [2.0, 2.0])


def test_wilcoxon_all_zero_and_tied_differences() -> None:
    with pytest.raises(StatisticsError, match="every difference is zero"):
        wilcoxon_signed_rank([0.0, 0.0, 0.0])
    # R: wilcox.test(c(2, 2, 2), conf.int = TRUE) warns and returns a NaN interval
    with pytest.warns(StatisticalWarning, match="tied"):
        result = wilcoxon_signed_rank([2.0, 2.0, 2.0])
    assert np.isnan(result.ci_low)
    assert result.estimate == 2.0
    with pytest.raises(StatisticsError, match="tied"):
        mann_whitney([1.0, 1.0], [1.0, 1.0, 1.0])


def test_wilcoxon_unachievable_level_warns() -> None:
    # R: wilcox.test(c(0.8, -1.3, 2.9), conf.int = TRUE) warns "requested conf.level not
    # achievable"
    with pytest.warns(StatisticalWarning, match="not achievable"):
        wilcoxon_signed_rank([0.8, -1.3, 2.9])
    with pytest.warns(StatisticalWarning, match="not achievable"):
        mann_whitney([1.0, 2.0], [3.5, 4.5])


def test_ancova_checks() -> None:
    with pytest.raises(ValidationError) as info:
        ancova([1.0, 2.0, 3.0, 4.0], [0, 1, 2, 1], [1.0, 2.0, 3.0, 4.0])
    assert info.value.field == "group"
    assert info.value.value == 2.0
    with pytest.raises(ValidationError, match="equal lengths"):
        ancova([1.0, 2.0], [0, 1, 1], [1.0, 2.0])
    with pytest.raises(StatisticsError, match="both groups"):
        ancova([1.0, 2.0, 3.0, 4.0], [1, 1, 1, 1], [1.0, 2.0, 3.0, 5.0])
    with pytest.raises(StatisticsError, match="collinear"):
        ancova([1.0, 2.0, 3.0, 4.0, 5.0], [0, 0, 1, 1, 1], [3.0, 3.0, 3.0, 3.0, 3.0])


def test_proportion_counts() -> None:
    with pytest.raises(ValidationError) as info:
        wilson_ci(5, 4)
    assert info.value.field == "k"
    with pytest.raises(ValidationError, match="n: got 0"):
        wilson_ci(0, 0)
    with pytest.raises(ValidationError, match="k1"):
        newcombe_rd(-1, 4, 1, 4)
    with pytest.raises(ValidationError, match="n2"):
        fisher_exact(1, 4, 1, 2.5)  # type: ignore[arg-type]
    assert wilson_ci(3.0, 10) == wilson_ci(3, 10)  # type: ignore[arg-type]


def test_p_adjust_checks() -> None:
    with pytest.raises(ValidationError, match="method"):
        p_adjust([0.1], "fdr")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"\[0, 1\]"):
        p_adjust([0.1, 1.2], "BH")
    assert np.isnan(p_adjust([np.nan], "holm")).all()


def _long(n: int = 20) -> dict[str, Any]:
    rng = np.random.default_rng(11)
    subject = np.repeat(np.arange(n), 3)
    return {
        "subject": subject,
        "visit": np.tile(np.array([1, 2, 3]), n),
        "group": (subject % 2).astype(float),
        "baseline": np.repeat(rng.normal(20, 4, n), 3),
        "y": rng.normal(0, 1, 3 * n),
    }


def test_mmrm_input_errors() -> None:
    data = _long()
    bad = dict(data, group=data["group"] * 2)
    with pytest.raises(ValidationError) as info:
        mmrm(**bad)
    assert info.value.field == "group"
    changing = dict(data, baseline=data["baseline"] + np.tile([0.0, 0.0, 1.0], 20))
    with pytest.raises(ValidationError, match="one value per subject"):
        mmrm(**changing)
    twice = dict(data, visit=np.tile(np.array([1, 1, 3]), 20))
    with pytest.raises(ValidationError, match="one row per subject and visit"):
        mmrm(**twice)
    missing_base = dict(data, baseline=np.where(np.arange(60) == 4, np.nan, data["baseline"]))
    with pytest.raises(ValidationError, match="baseline"):
        mmrm(**missing_base)
    with pytest.raises(ValidationError, match="visit"):
        mmrm(data["subject"], data["visit"][:-1], data["group"], data["baseline"], data["y"])


def test_mmrm_impossible_fits() -> None:
    data = _long()
    one_arm = dict(data, group=np.zeros(60))
    with pytest.raises(StatisticsError, match="only one group"):
        mmrm(**one_arm)
    # visits 1 and 3 never observed in the same subject
    y = data["y"].copy()
    y[(data["subject"] < 10) & (data["visit"] == 3)] = np.nan
    y[(data["subject"] >= 10) & (data["visit"] == 1)] = np.nan
    with pytest.raises(StatisticsError, match="never observed"):
        mmrm(**dict(data, y=y))
    with pytest.raises(StatisticsError, match="no non-missing outcome"):
        mmrm(**dict(data, y=np.full(60, np.nan)))


def test_collinearity_checks_do_not_depend_on_scale() -> None:
    # A baseline in the thousands is not "collinear"; only a constant one is.
    rng = np.random.default_rng(4)
    group = np.tile([0.0, 1.0], 10)
    baseline = rng.normal(5e4, 1e3, 20)
    y = rng.normal(0, 1, 20) + group
    se = ancova(y, group, baseline).se
    assert se is not None
    assert np.isfinite(se)
    data = _long()
    big = dict(data, baseline=data["baseline"] * 1e4)
    assert mmrm(**big).converged
    flat = dict(data, baseline=np.full(60, 1e4))
    with pytest.raises(StatisticsError, match="baseline is constant"):
        mmrm(**flat)


def test_mmrm_exact_fit_and_degenerate_covariance() -> None:
    rng = np.random.default_rng(8)
    n = 50
    subject = np.repeat(np.arange(n), 2)
    visit = np.tile(np.array([0, 1]), n)
    group = (subject % 2).astype(float)
    baseline = np.repeat(rng.normal(20, 5, n), 2)
    with pytest.raises(StatisticsError, match="residual variance is zero"):
        mmrm(subject, visit, group, baseline, 1.0 + group + 0.5 * baseline + visit)
    # two visits perfectly correlated: the REML optimum is a singular covariance (boundary)
    shared = np.repeat(rng.normal(0, 1, n), 2)
    with pytest.warns(StatisticalWarning, match="did not converge"):
        fit = mmrm(subject, visit, group, baseline, shared + visit)
    assert not fit.converged
