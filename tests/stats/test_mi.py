"""Rubin's rules against R ``mice``; multiple imputation (MAR and reference-based) against
closed forms computed independently here; seeded reproducibility; the tipping point.

``reference/rubin.json`` is written by ``reference/rubin.R`` (mice::pool on mice imputations
of trial_dropout.csv, and mice::pool.scalar): 1e-6 relative (p-values 1e-6 or 1e-10 absolute).
R's ``rbmi`` is not installed, so the reference-based imputation is checked against the
conditional normal mean of a 2-visit model written out below, and end to end against the
effect each strategy implies for a large simulated study with known parameters.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any, cast

import numpy as np
import pytest

from autoserum.errors import ValidationError
from autoserum.stats import multiple_imputation, rubin_pool, tipping_point
from autoserum.stats._mi import complete, profiles
from autoserum.stats._mmrm import fit_mmrm
from tests.stats.conftest import REFERENCE

RUBIN = json.loads((REFERENCE / "rubin.json").read_text())["cases"]


@pytest.mark.parametrize("case", RUBIN, ids=[c["id"] for c in RUBIN])
def test_rubin_pool_matches_mice(case: dict[str, Any]) -> None:
    # R: summary(mice::pool(with(imp, lm(change_12 ~ group + baseline))), conf.int = TRUE),
    #    mice::pool.scalar(q, u, n = Inf)
    df_com = math.inf if case["df_complete"] == "inf" else float(case["df_complete"])
    pooled = rubin_pool(case["estimates"], case["variances"], df_complete=df_com)
    for field, expected in case["expected"].items():
        actual = getattr(pooled, field)
        tol = max(1e-6 * abs(expected), 1e-10 if field == "p_value" else 1e-12)
        assert abs(actual - expected) <= tol, f"{field}: {actual} vs R {expected}"


def test_rubin_pool_input_errors() -> None:
    with pytest.raises(ValidationError, match="estimates"):
        rubin_pool([1.0], [0.1])
    with pytest.raises(ValidationError, match="variances"):
        rubin_pool([1.0, 2.0], [0.1, -0.1])
    with pytest.raises(ValidationError, match="df_complete"):
        rubin_pool([1.0, 2.0], [0.1, 0.1], df_complete=0)


def _two_visit_study(n: int, seed: int, drop: float = 0.3) -> dict[str, Any]:
    """Two arms, visits 1 and 2, y = a_v + Δ_v·group + 0.5·baseline + e, corr(e1, e2) = 0.6,
    SD 2 and 3; treated and control subjects miss visit 2 completely at random w.p. ``drop``."""
    rng = np.random.default_rng(seed)
    group = (np.arange(n) % 2).astype(float)
    base = rng.normal(20, 4, n)
    cov = np.array([[4.0, 0.6 * 6], [0.6 * 6, 9.0]])
    e = rng.standard_normal((n, 2)) @ np.linalg.cholesky(cov).T
    delta = np.array([-2.0, -4.0])
    y = np.array([1.0, 0.0]) + group[:, None] * delta + 0.5 * base[:, None] + e
    y[rng.random(n) < drop, 1] = np.nan
    return {
        "subject": np.repeat(np.arange(n), 2),
        "visit": np.tile([1, 2], n),
        "group": np.repeat(group, 2),
        "baseline": np.repeat(base, 2),
        "y": y.ravel(),
    }


@pytest.mark.parametrize("strategy", ["MAR", "J2R", "CR", "CIR"])
def test_conditional_mean_matches_two_visit_closed_form(strategy: str) -> None:
    # Independent closed form: with coefficients (a_v, d_v, c_v) and Σ, a subject missing
    # visit 2 with y1 observed has E[y2 | y1] = m2 + Σ12/Σ11 · (y1 − m1), where for a treated
    # subject (μ_g,v = a_v + g·d_v + c_v·b):
    #   MAR: m = (μ_1,1, μ_1,2);  J2R: (μ_1,1, μ_0,2);  CR: (μ_0,1, μ_0,2);
    #   CIR: (μ_1,1, μ_1,1 + μ_0,2 − μ_0,1); control subjects: MAR.
    d = _two_visit_study(400, seed=5)
    fitted = fit_mmrm(d["subject"], d["visit"], d["group"], d["baseline"], d["y"])
    data, beta, sigma = fitted.data, fitted.fit.beta, fitted.fit.sigma
    subj = data.subjects
    assert subj is not None
    assert data.y_center is not None
    y_center = data.y_center
    coef = beta[:6].reshape(2, 3)  # visit × (intercept, group, centred baseline)
    filled = complete(
        profiles(data, beta, cast(Any, strategy), subj.z, subj.observed),
        sigma,
        subj.y,
        subj.observed,
        None,
    )
    b = subj.baseline - data.baseline_center
    checked = 0
    for i in np.flatnonzero(~subj.observed[:, 1]):
        g = subj.group[i]

        def mu(arm: float, v: int, i: int = int(i)) -> float:
            return float(coef[v, 0] + arm * coef[v, 1] + coef[v, 2] * b[i] + y_center[v])

        if g == 0 or strategy == "MAR":
            m1, m2 = mu(g, 0), mu(g, 1)
        elif strategy == "J2R":
            m1, m2 = mu(1, 0), mu(0, 1)
        elif strategy == "CR":
            m1, m2 = mu(0, 0), mu(0, 1)
        else:
            m1, m2 = mu(1, 0), mu(1, 0) + mu(0, 1) - mu(0, 0)
        expected = m2 + sigma[0, 1] / sigma[0, 0] * (subj.y[i, 0] - m1)
        assert filled[i, 1] == pytest.approx(expected, rel=1e-10, abs=1e-10)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        # Effect at visit 2 implied for MCAR dropout π = 0.3 (Δ1 = −2, Δ2 = −4, Σ12/Σ11 = 0.9):
        ("MAR", -4.0),  # Δ2
        ("J2R", 0.7 * -4.0),  # (1 − π) Δ2
        ("CR", 0.7 * -4.0 + 0.3 * 0.9 * -2.0),  # (1 − π) Δ2 + π (Σ12/Σ11) Δ1
        ("CIR", 0.7 * -4.0 + 0.3 * -2.0),  # (1 − π) Δ2 + π Δ1
    ],
)
def test_strategies_reproduce_the_implied_effect(strategy: str, expected: float) -> None:
    # Large study (2,000 subjects): the pooled estimate is within 4 SE of the implied effect.
    d = _two_visit_study(2000, seed=11)
    res = multiple_imputation(**d, visit_of_interest=2, m=20, strategy=strategy, seed=3)  # type: ignore[arg-type]
    assert abs(res.pooled.estimate - expected) < 4 * res.pooled.se
    assert res.n_imputed == int(np.isnan(d["y"][1::2]).sum())


def test_imputation_is_seeded_and_reproducible() -> None:
    d = _two_visit_study(120, seed=2)
    a = multiple_imputation(**d, visit_of_interest=2, m=10, strategy="J2R", seed=7)
    b = multiple_imputation(**d, visit_of_interest=2, m=10, strategy="J2R", seed=7)
    c = multiple_imputation(**d, visit_of_interest=2, m=10, strategy="J2R", seed=8)
    assert a == b
    assert a.pooled.estimate != c.pooled.estimate
    boot = multiple_imputation(**d, visit_of_interest=2, m=5, method="bootstrap", seed=7)
    assert boot == multiple_imputation(**d, visit_of_interest=2, m=5, method="bootstrap", seed=7)
    assert boot.method == "bootstrap"


def test_delta_shifts_the_estimate_by_the_imputed_share() -> None:
    # ANCOVA is linear in y: adding δ to the imputed treated outcomes moves each completed-data
    # estimate by δ × (the group coefficient of the indicator of those cells), the same for
    # every imputation; so the pooled estimate moves by exactly that amount.
    d = _two_visit_study(200, seed=4)
    base = multiple_imputation(**d, visit_of_interest=2, m=10, seed=1)
    shifted = multiple_imputation(**d, visit_of_interest=2, m=10, seed=1, delta=1.5)
    fitted = fit_mmrm(d["subject"], d["visit"], d["group"], d["baseline"], d["y"])
    subj = fitted.data.subjects
    assert subj is not None
    x = subj.z
    indicator = (~subj.observed[:, 1] & (subj.group == 1.0)).astype(float)
    share = float(np.linalg.lstsq(x, indicator, rcond=None)[0][1])
    assert shifted.pooled.estimate - base.pooled.estimate == pytest.approx(1.5 * share, rel=1e-9)


def test_tipping_point_is_where_significance_is_lost() -> None:
    d = _two_visit_study(200, seed=4)
    tp = tipping_point(**d, visit_of_interest=2, m=10, seed=1)
    assert tp.delta > 0  # the effect is negative; δ > 0 moves it towards 0
    at = multiple_imputation(**d, visit_of_interest=2, m=10, seed=1, delta=tp.delta)
    assert at.pooled.p_value == pytest.approx(0.05, abs=1e-9)
    p = [row.p_value for row in tp.rows if row.delta <= tp.delta]
    assert p[0] < 0.05
    assert all(a <= b for a, b in itertools.pairwise(p))  # up to the tipping point
    assert next(row.p_value for row in tp.rows if row.delta > tp.delta) > 0.05


def test_mi_input_errors() -> None:
    d = _two_visit_study(60, seed=1)
    with pytest.raises(ValidationError, match="strategy"):
        multiple_imputation(**d, visit_of_interest=2, seed=1, strategy="LOCF")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="visit_of_interest"):
        multiple_imputation(**d, visit_of_interest=3, seed=1, m=2)
    with pytest.raises(ValidationError, match="seed"):
        multiple_imputation(**d, visit_of_interest=2, seed=None, m=2)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="m"):
        multiple_imputation(**d, visit_of_interest=2, seed=1, m=1)
