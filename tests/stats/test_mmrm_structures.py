"""MMRM covariance structures, covariates and denominator df against R, plus an independent
dense-matrix computation of the Kenward–Roger adjustment.

Expected numbers: ``reference/mmrm_structures.json``, written by ``reference/mmrm_structures.R``
(``nlme::gls`` per structure; ``lmerTest::contest`` with Satterthwaite and Kenward–Roger df on
compound symmetry, where gls and lmer are the same model). Tolerance 1e-6 relative throughout
(p-values 1e-6 relative or 1e-10 absolute).
"""

from __future__ import annotations

import csv
import json
import math
from typing import Any, cast

import numpy as np
import pytest

from autoserum.errors import ValidationError
from autoserum.stats import mmrm
from autoserum.stats._mmrm import fit_mmrm
from autoserum.stats._mmrm_df import inference
from tests.stats.conftest import REFERENCE

REL = 1e-6
CASES: list[dict[str, Any]] = json.loads((REFERENCE / "mmrm_structures.json").read_text())["cases"]


def _close(actual: float, expected: float, what: str, rel: float = REL) -> None:
    tol = max(rel * abs(expected), 1e-10 if "p_value" in what else 1e-12)
    assert abs(actual - expected) <= tol, f"{what}: {actual!r} vs R {expected!r}"


def _data(subset: str, with_covariates: bool) -> dict[str, Any]:
    with (REFERENCE / "trial_dropout.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    with (REFERENCE / "covariates.csv").open() as fh:
        cov = {r["subject"]: r for r in csv.DictReader(fh)}
    subjects = list(dict.fromkeys(r["subject"] for r in rows))
    keep = set(subjects if subset == "full" else subjects[:40])
    rows = [r for r in rows if r["subject"] in keep]
    out: dict[str, Any] = {
        "subject": np.array([r["subject"] for r in rows]),
        "visit": np.array([int(r["week"]) for r in rows]),
        "group": np.array([float(r["group"]) for r in rows]),
        "baseline": np.array([float(r["baseline"]) for r in rows]),
        "y": np.array([float(r["change"]) if r["change"] else np.nan for r in rows]),
    }
    if with_covariates:
        out["covariates"] = {
            "age": np.array([float(cov[r["subject"]]["age"]) for r in rows]),
            "site": np.array([cov[r["subject"]]["site"] for r in rows]),
        }
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_structure_matches_gls(case: dict[str, Any]) -> None:
    # R: nlme::gls(change ~ group * visit + baseline * visit [+ age + site],
    #              correlation = corCompSymm / corAR1 / corARMA(p = T - 1), method = "REML")
    # nlme's corARMA/corAR1 optimisation stops short of the REML optimum even with tightened
    # controls (our log-likelihood is higher, checked below): estimates agree to ~5e-7, hence
    # 5e-6 for those two structures.
    rel = 5e-6 if case["covariance"] in ("toeplitz", "ar1") else REL
    data = _data(case["subset"], case["covariates"])
    fit = mmrm(**data, covariance=case["covariance"])
    assert fit.converged
    assert fit.covariance_structure == case["covariance"]
    _close(fit.log_lik, case["log_lik"], "log_lik")
    assert fit.log_lik >= case["log_lik"] - 1e-9
    for ours, ref in zip(fit.per_visit, case["per_visit"], strict=True):
        assert ours.visit == ref["visit"]
        for field in ("estimate", "se", "df", "p_value"):
            _close(getattr(ours, field), ref[field], f"visit {ref['visit']} {field}", rel)
    sigma_r = np.array(case["sigma"])
    np.testing.assert_allclose(
        np.array(fit.covariance), sigma_r, rtol=rel, atol=rel * float(np.abs(sigma_r).max())
    )
    if case["covariates"]:
        names = [c.name for c in fit.covariate_effects]
        assert names == ["age", "site[cairo]", "site[lima]"]  # R: age, sitecairo, sitelima
        for ours_c, ref_c in zip(fit.covariate_effects, case["covariate_effects"], strict=True):
            _close(ours_c.estimate, ref_c["estimate"], f"{ours_c.name} estimate", rel)
            _close(ours_c.se, ref_c["se"], f"{ours_c.name} se", rel)


CS_CASES = [c for c in CASES if "satterthwaite" in c]


@pytest.mark.parametrize(
    ("case", "method", "information"),
    [(c, "satterthwaite", "observed") for c in CS_CASES]
    + [(c, "kenward_roger", "expected") for c in CS_CASES],
    ids=[f"{c['id']}-satterthwaite" for c in CS_CASES]
    + [f"{c['id']}-kenward_roger" for c in CS_CASES],
)
def test_df_match_lmertest_on_compound_symmetry(
    case: dict[str, Any], method: str, information: str
) -> None:
    # R: lmerTest::contest(lmer(... + (1 | subject), REML = TRUE), L, ddf = "Satterthwaite" /
    #    "Kenward-Roger"); lmerTest's KR is pbkrtest's, which uses the expected information.
    data = _data(case["subset"], case["covariates"])
    fit = mmrm(
        **data,
        covariance="compound_symmetry",
        df=method,  # type: ignore[arg-type]
        information=information,  # type: ignore[arg-type]
    )
    assert fit.df_method == method
    for ours, ref in zip(fit.per_visit, case[method]["per_visit"], strict=True):
        for field in ("estimate", "se", "df", "statistic", "p_value"):
            _close(getattr(ours, field), ref[field], f"{method} visit {ref['visit']} {field}")


# -- an independent Kenward–Roger: dense matrices and finite differences ----------------------


def _dense(case_subset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any]:
    data = _data(case_subset, False)
    fitted = fit_mmrm(data["subject"], data["visit"], data["group"], data["baseline"], data["y"])
    subj = fitted.data.subjects
    assert subj is not None
    t = len(fitted.data.levels)
    x_rows, y, sid, vis = [], [], [], []
    for i in range(len(subj.labels)):
        for v in range(t):
            if subj.observed[i, v]:
                x = np.zeros(3 * t)
                x[3 * v : 3 * v + 3] = subj.z[i, :3]
                x_rows.append(x)
                y.append(subj.y[i, v])
                sid.append(i)
                vis.append(v)
    return np.array(x_rows), np.array(y), np.array(sid), np.array(vis), t


def _kr_dense(structure: str, nat_sigma: Any, n_nat: int) -> tuple[np.ndarray, np.ndarray]:
    """(Φ, Φ_A) of the KR adjustment with observed information, from dense V(θ) on the
    40-subject data: W = 2 H⁻¹ with H the finite-difference Hessian of −2ℓ_R, and
    Φ_A = Φ − Σ W_hj ∂²Φ/∂θ_h∂θ_j + ½ Φ (Σ W_hj R_hj) Φ (the KR formula rewritten with
    ∂²Φ = Φ (P_hΦP_j + P_jΦP_h − Q_hj − Q_jh + R_hj) Φ), every derivative by differences."""
    x, y, sid, vis, t = _dense("small")
    fitted = fit_mmrm(*_small_arrays(), covariance=cast(Any, structure))
    nat0 = fitted.reml.structure.natural(fitted.fit.sigma)

    def big_v(nat: np.ndarray) -> np.ndarray:
        sig = nat_sigma(nat, t)
        return np.where(sid[:, None] == sid[None, :], sig[vis[:, None], vis[None, :]], 0.0)

    def phi(nat: np.ndarray) -> np.ndarray:
        return np.linalg.inv(x.T @ np.linalg.solve(big_v(nat), x))

    def m2ll(nat: np.ndarray) -> float:
        v = big_v(nat)
        vi = np.linalg.inv(v)
        m = x.T @ vi @ x
        beta = np.linalg.solve(m, x.T @ vi @ y)
        r = y - x @ beta
        return float(np.linalg.slogdet(v)[1] + np.linalg.slogdet(m)[1] + r @ vi @ r)

    def second(f: Any, nat: np.ndarray, h: int, j: int, step: np.ndarray) -> Any:
        eh = np.zeros(n_nat)
        ej = np.zeros(n_nat)
        eh[h] = step[h]
        ej[j] = step[j]
        return (f(nat + eh + ej) - f(nat + eh - ej) - f(nat - eh + ej) + f(nat - eh - ej)) / (
            4 * step[h] * step[j]
        )

    step = 1e-3 * np.maximum(np.abs(nat0), 0.1)
    pairs = [(h, j) for h in range(n_nat) for j in range(h, n_nat)]
    hess = np.zeros((n_nat, n_nat))
    for h, j in pairs:
        hess[h, j] = hess[j, h] = second(m2ll, nat0, h, j, step)
    w = 2 * np.linalg.inv(hess)
    phi0 = phi(nat0)
    vi = np.linalg.inv(big_v(nat0))
    adj = np.zeros_like(phi0)
    r_sum = np.zeros_like(phi0)
    for h, j in pairs:
        both = 1.0 if h == j else 2.0  # the (j, h) term equals the (h, j) one
        adj += both * w[h, j] * second(phi, nat0, h, j, step)
        if structure == "ar1":  # unstructured: Σ linear in θ, ∂²V = 0
            d2v = second(big_v, nat0, h, j, step)
            r_sum += both * w[h, j] * (x.T @ vi @ d2v @ vi @ x)
    return phi0, phi0 - adj + 0.5 * phi0 @ r_sum @ phi0


def _small_arrays() -> tuple[Any, ...]:
    d = _data("small", False)
    return d["subject"], d["visit"], d["group"], d["baseline"], d["y"]


def _un_sigma(nat: np.ndarray, t: int) -> np.ndarray:
    sig = np.zeros((t, t))
    sig[np.tril_indices(t)] = nat
    return sig + np.tril(sig, -1).T


def _ar1_sigma(nat: np.ndarray, t: int) -> np.ndarray:
    lag = np.abs(np.arange(t)[:, None] - np.arange(t)[None, :])
    sigma: np.ndarray = nat[0] * nat[1] ** lag
    return sigma


@pytest.mark.slow
@pytest.mark.parametrize(
    ("structure", "nat_sigma", "n_nat"),
    [("unstructured", _un_sigma, 10), ("ar1", _ar1_sigma, 2)],
)
def test_kenward_roger_matches_dense_finite_differences(
    structure: str, nat_sigma: Any, n_nat: int
) -> None:
    # Independent of the pattern algebra (P, Q, R built by xtax) and of nlme/SAS: tolerance
    # 1e-5 relative on the KR standard error, limited by the finite differences.
    phi0, phi_a = _kr_dense(structure, nat_sigma, n_nat)
    fit = mmrm(*_small_arrays(), covariance=structure, df="kenward_roger")  # type: ignore[arg-type]
    for v, ours in enumerate(fit.per_visit):
        idx = 3 * v + 1
        assert ours.se == pytest.approx(math.sqrt(phi_a[idx, idx]), rel=1e-5)
        if v > 0:  # week 2 is complete (no adjustment); later weeks have dropouts
            assert ours.se > math.sqrt(phi0[idx, idx]) * (1 + 1e-4)


def test_kenward_roger_df_equal_satterthwaite_for_one_contrast() -> None:
    # For a single contrast the KR df formula reduces to 2 v² / (gᵀ W g) with the unadjusted
    # Φ (Kenward & Roger 1997, §4): the same number as Satterthwaite's with the same W.
    fitted = fit_mmrm(*_small_arrays(), covariance="toeplitz")
    kr = inference(fitted.reml, fitted.fit, "kenward_roger")
    sat = inference(fitted.reml, fitted.fit, "satterthwaite")
    for v in range(4):
        contrast = np.zeros(12)
        contrast[3 * v + 1] = 1.0
        assert kr.contrast(contrast)[1] == pytest.approx(sat.contrast(contrast)[1], rel=1e-12)
        if v == 0:  # week 2 is complete: its estimate is OLS-like, Φ linear in θ, no adjustment
            assert kr.contrast(contrast)[0] == pytest.approx(sat.contrast(contrast)[0], rel=1e-9)
        else:
            assert kr.contrast(contrast)[0] > sat.contrast(contrast)[0] * (1 + 1e-4)


def test_structures_and_df_methods_refuse_unknown_names() -> None:
    args = _small_arrays()
    with pytest.raises(ValidationError, match="covariance"):
        mmrm(*args, covariance="banded")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="df"):
        mmrm(*args, df="containment")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="information"):
        mmrm(*args, information="fisher")  # type: ignore[arg-type]


def test_covariate_must_be_constant_within_subject() -> None:
    d = _data("small", True)
    age = d["covariates"]["age"].copy()
    age[1] += 1.0
    with pytest.raises(ValidationError, match=r"covariates\.age"):
        mmrm(**{**d, "covariates": {"age": age}})
