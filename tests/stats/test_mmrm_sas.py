"""Kenward–Roger and Satterthwaite inference for an unstructured MMRM against SAS PROC MIXED
(issue 16: "against SAS PROC MIXED figures published in the validation material of R's
``mmrm`` package ... for unstructured covariance").

Data: ``reference/fev_data.csv``, the synthetic ``fev_data`` of R's mmrm package (Apache
License 2.0; ``reference/fev_data.R`` says how it was extracted). Expected numbers:
``reference/mmrm_sas.json``, SAS output transcribed from mmrm's ``design/`` folder, each case
with its source URL and SAS statements: ``MODEL FEV1 = ARMCD / ddfm=kr`` (full-precision ODS
CSV), ``MODEL FEV1 = ARMCD SEX / ddfm=satterthwaite`` and ``MODEL FEV1 = ARMCD AVISIT
ARMCD*AVISIT RACE SEX / ddfm=satterthwaite`` with the per-visit TRT − PBO differences, all
``REPEATED AVISIT / type=un``, REML.

These SAS models are not autoserum's trial MMRM (which always adjusts for baseline by visit),
so the tests assemble the same fixed effects in the REML engine that :func:`mmrm` runs
(per-visit effects ``u`` and shared effects ``w``, ``_mmrm_data``) and take the contrasts
from the same ``inference`` code. Two comparisons:

* At SAS's own covariance estimates (the printed UN parameters): −2 log REML within 1e-4 of
  SAS's iteration history, and the estimates, SEs and df equal to SAS's printed precision
  (half a unit of the last printed digit, plus 1e-5 relative for the rounding of the printed
  UN parameters; the KR case to 1e-5 relative at full precision). This checks the formulas.
* At autoserum's own REML optimum: −2 log REML no larger than SAS's (SAS stops when its
  relative convergence criterion falls below 1e-8, a little short of the optimum), estimates
  within 1e-3 of their SE, SEs within 2e-4 and df within 1e-3 relative of SAS's (plus half a
  unit where SAS prints df as integers). 1e-3 for df is the tolerance R's mmrm applies to
  the same SAS figure (``tests/testthat/test-kenwardroger.R``).
"""

from __future__ import annotations

import csv
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from autoserum.stats._mmrm_cov import make_structure
from autoserum.stats._mmrm_data import PreparedData, patterns_of
from autoserum.stats._mmrm_df import inference
from autoserum.stats._mmrm_reml import Reml, RemlFit, fit_reml

HERE = Path(__file__).parent / "reference"
SAS: list[dict[str, Any]] = json.loads((HERE / "mmrm_sas.json").read_text(encoding="utf-8"))[
    "cases"
]
LOG_2PI = math.log(2 * math.pi)


@cache
def _fev() -> tuple[dict[str, Any], ...]:
    with (HERE / "fev_data.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def _design(case: dict[str, Any]) -> tuple[Reml, np.ndarray]:
    rows = _fev()
    subjects = sorted({r["USUBJID"] for r in rows})
    index = {s: i for i, s in enumerate(subjects)}
    visits = case["visits"]
    y = np.full((len(subjects), len(visits)), np.nan)
    attrs: dict[int, dict[str, Any]] = {}
    for r in rows:
        i = index[r["USUBJID"]]
        attrs[i] = r
        if r["FEV1"]:
            y[i, visits.index(r["AVISIT"])] = float(r["FEV1"])
    columns = {
        "intercept": lambda r: 1.0,
        "trt": lambda r: float(r["ARMCD"] == "TRT"),
        "female": lambda r: float(r["SEX"] == "Female"),  # SAS ref = 'Male'
        "black": lambda r: float(r["RACE"] == "Black or African American"),  # ref = 'Asian'
        "white": lambda r: float(r["RACE"] == "White"),
    }
    names = case["per_visit"] + case["fixed"]
    z = np.array([[columns[c](attrs[i]) for c in names] for i in range(len(subjects))])
    seen = ~np.isnan(y).all(axis=1)
    data = PreparedData(
        levels=tuple(visits),
        patterns=patterns_of(z[seen], y[seen]),
        n_subjects=int(seen.sum()),
        n_observations=int((~np.isnan(y)).sum()),
        baseline_center=0.0,
        k_u=len(case["per_visit"]),
        covariates=tuple(case["fixed"]),
    )
    reml = Reml(data, make_structure("unstructured", len(visits)))

    def contrast(name: str) -> np.ndarray:
        vec = np.zeros(reml.p)
        if "@" in name:
            coef, visit = name.split("@")
            vec[visits.index(visit) * reml.k_u + case["per_visit"].index(coef)] = 1.0
        else:
            vec[reml.t * reml.k_u + case["fixed"].index(name)] = 1.0
        return vec

    return reml, np.array([contrast(c["coef"]) for c in case["contrasts"]])


def _at_sas_sigma(reml: Reml, un: list[float]) -> RemlFit:
    t = reml.t
    sigma = np.zeros((t, t))
    rows, cols = np.tril_indices(t)
    order = np.lexsort((cols, rows))  # UN(1,1), UN(2,1), UN(2,2), UN(3,1), ...
    sigma[rows[order], cols[order]] = un
    sigma = np.tril(sigma) + np.tril(sigma, -1).T
    beta, m, _, _ = reml.gls(sigma)
    value, _ = reml.value_grad(sigma)
    cov = np.asarray(np.linalg.inv(m), dtype=np.float64)
    return RemlFit(beta, cov, sigma, np.zeros(0), value, True)


def _results(reml: Reml, fit: RemlFit, method: str, ls: np.ndarray) -> list[dict[str, float]]:
    inf = inference(reml, fit, method)  # type: ignore[arg-type]
    out = []
    for vec in ls:
        se, df = inf.contrast(vec)
        est = float(vec @ fit.beta)
        q = float(sps.t.ppf(0.975, df))
        out.append({"estimate": est, "se": se, "df": df, "ci_low": est - q * se})
        out[-1]["ci_high"] = est + q * se
    return out


def _minus2(reml: Reml, fit: RemlFit) -> float:
    return fit.minus2_reml + (reml.n_obs - reml.p) * LOG_2PI


@pytest.mark.parametrize("case", SAS, ids=[c["id"] for c in SAS])
def test_formulas_equal_sas_at_its_covariance_estimates(case: dict[str, Any]) -> None:
    reml, ls = _design(case)
    fit = _at_sas_sigma(reml, case["un"])
    assert _minus2(reml, fit) == pytest.approx(case["minus2_reml"], abs=1e-4)
    for got, sas in zip(_results(reml, fit, case["ddfm"], ls), case["contrasts"], strict=True):
        for field in ("estimate", "se", "ci_low", "ci_high", "df"):
            if field not in sas:
                continue
            if sas["decimals"] is None:  # full precision (ODS CSV)
                tol = 1e-5 * abs(sas[field])
            elif field == "df":
                tol = 0.5 + 1e-5 * sas[field]
            else:
                tol = 0.5 * 10.0 ** -sas["decimals"] + 1e-5 * abs(sas[field])
            assert abs(got[field] - sas[field]) <= tol, (sas["name"], field, got[field])


@pytest.mark.parametrize("case", SAS, ids=[c["id"] for c in SAS])
def test_own_reml_fit_is_at_least_as_good_and_agrees_with_sas(case: dict[str, Any]) -> None:
    reml, ls = _design(case)
    fit = fit_reml(reml)
    assert fit.converged
    # SAS prints -2 log REML to 1e-8; a smaller value is a better optimum.
    assert _minus2(reml, fit) <= case["minus2_reml"] + 1e-8
    for got, sas in zip(_results(reml, fit, case["ddfm"], ls), case["contrasts"], strict=True):
        assert abs(got["estimate"] - sas["estimate"]) <= 1e-3 * sas["se"], sas
        assert got["se"] == pytest.approx(sas["se"], rel=2e-4), sas
        df_tol = 1e-3 * sas["df"] + (0.5 if sas["df_printed_integer"] else 0.0)
        assert abs(got["df"] - sas["df"]) <= df_tol, sas
