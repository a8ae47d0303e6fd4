"""Reference-based multiple imputation (jump to reference) on rbmi's example data against the
results R's rbmi publishes (issue 16: "reference-based MI against the published results of
R's rbmi on its example data where they are available, otherwise against an independent
implementation in the tests").

Data: ``reference/antidepressant_data.csv``, rbmi's ``antidepressant_data`` (Apache License;
``reference/antidepressant_data.R`` says where it came from). Expected numbers:
``reference/rbmi.json``, written by ``reference/rbmi.R``, which holds

* rbmi's published figures, transcribed with their URLs: the conditional-mean J2R estimates
  of the ``CondMean_Inference`` vignette (deterministic, printed to 3 decimals) and the
  Bayesian J2R MI of the ``quickstart`` vignette (150 imputations, Stan; random);
* an independent R implementation of the conditional-mean J2R estimate (``nlme::gls`` +
  conditional normal means + ``lm``), to full precision.

autoserum draws its imputations with its own generator and posterior approximation
(:func:`multiple_imputation`, ``method="posterior"``), so its Bayesian MI cannot equal rbmi's
Stan draws; it is compared within the Monte Carlo error of the two 150-imputation means
(3 × √(2B/m), B the between-imputation variance). The deterministic part of the method —
the REML fit, the J2R mean profiles and the conditional distribution of the missing values —
is compared exactly through the conditional mean (the draws' centre): to rbmi's printed
precision and to the independent R implementation at 1e-6 relative.
rbmi's ``trt`` is PLACEBO − DRUG; autoserum's estimates are treated − control (DRUG −
PLACEBO), hence the sign.
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

from autoserum.stats import linear_model, multiple_imputation
from autoserum.stats._mi import complete, profiles
from autoserum.stats._mmrm import fit_mmrm

HERE = Path(__file__).parent / "reference"
REFERENCE = json.loads((HERE / "rbmi.json").read_text(encoding="utf-8"))
PUBLISHED = REFERENCE["published"]


@cache
def _long() -> tuple[list[str], list[int], list[int], list[float], list[float]]:
    with (HERE / "antidepressant_data.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return (
        [r["PATIENT"] for r in rows],
        [int(r["VISIT"]) for r in rows],
        [int(r["THERAPY"] == "DRUG") for r in rows],
        [float(r["BASVAL"]) for r in rows],
        [float(r["CHANGE"]) for r in rows],
    )


@cache
def _conditional_mean_j2r() -> list[dict[str, float]]:
    fitted = fit_mmrm(*_long())
    subjects = fitted.data.subjects
    assert subjects is not None
    prof = profiles(fitted.data, fitted.fit.beta, "J2R", subjects.z, subjects.observed)
    filled = complete(prof, fitted.fit.sigma, subjects.y, subjects.observed, None)
    arm = np.where(subjects.group == 1.0, "DRUG", "PLACEBO")
    out = []
    for v in range(filled.shape[1]):
        fit = linear_model(filled[:, v], arm, control="PLACEBO", baseline=subjects.baseline)
        lsm = {m.arm: m.estimate for m in fit.ls_means}
        (contrast,) = fit.contrasts
        out.append(
            {
                "estimate": contrast.estimate,
                "se": contrast.se,
                "lsm_drug": lsm["DRUG"],
                "lsm_placebo": lsm["PLACEBO"],
            }
        )
    return out


def test_conditional_mean_j2r_equals_rbmi_published_figures() -> None:
    # rbmi CondMean_Inference vignette, printed to 3 decimals: |difference| <= 0.0005.
    ours = _conditional_mean_j2r()
    for got, rbmi in zip(ours, PUBLISHED["condmean_j2r"]["visits"], strict=True):
        assert abs(-got["estimate"] - rbmi["trt"]) <= 0.0005 + 1e-9, rbmi
        assert abs(got["lsm_drug"] - rbmi["lsm_ref"]) <= 0.0005 + 1e-9, rbmi
        assert abs(got["lsm_placebo"] - rbmi["lsm_alt"]) <= 0.0005 + 1e-9, rbmi


def test_conditional_mean_j2r_equals_an_independent_implementation() -> None:
    # R: nlme::gls REML + conditional normal means + lm, reference/rbmi.R; 1e-6 relative.
    ours = _conditional_mean_j2r()
    for got, ref in zip(ours, REFERENCE["independent_condmean_j2r"], strict=True):
        for field in ("estimate", "se", "lsm_drug", "lsm_placebo"):
            assert got[field] == pytest.approx(ref[field], rel=1e-6), (ref["visit"], field)


def test_bayesian_j2r_mi_agrees_with_rbmi_within_monte_carlo_error() -> None:
    rbmi: dict[str, Any] = PUBLISHED["bayes_j2r"]
    result = multiple_imputation(
        *_long(),
        visit_of_interest=7,
        seed=987,
        m=rbmi["m"],
        strategy="J2R",
        method="posterior",
    )
    pooled = result.pooled
    assert (result.strategy, pooled.m, result.n_subjects) == ("J2R", 150, 172)
    monte_carlo = 3.0 * math.sqrt(2.0 * pooled.between / pooled.m)
    assert abs(-pooled.estimate - rbmi["trt"]) <= monte_carlo, (pooled.estimate, monte_carlo)
    assert pooled.se == pytest.approx(rbmi["se"], rel=0.05)
    # and the MI estimate is centred on the conditional mean (same model and strategy)
    centre = _conditional_mean_j2r()[-1]["estimate"]
    assert abs(pooled.estimate - centre) <= 3.0 * math.sqrt(pooled.between / pooled.m)
