"""``stats.linear_model`` (ANCOVA with any number of arms and covariates) against R ``lm`` and
``emmeans`` (``reference/linear_model.R`` -> ``reference/linear_model.json``, on the data it
wrote, ``reference/linear_model_data.csv``); tolerance 1e-6 relative."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autoserum.errors import StatisticsError, ValidationError
from autoserum.stats import ancova, linear_model

HERE = Path(__file__).parent / "reference"
REF: dict[str, Any] = json.loads((HERE / "linear_model.json").read_text(encoding="utf-8"))
with (HERE / "linear_model_data.csv").open(encoding="utf-8", newline="") as fh:
    ROWS = list(csv.DictReader(fh))
RTOL = 1e-6
COVARIATES = {
    "baseline_only": {},
    "covariates": {"age": [float(r["age"]) for r in ROWS], "site": [r["site"] for r in ROWS],
                   "sex": [r["sex"] for r in ROWS]},
}  # fmt: skip


def _fit(case: str) -> Any:
    ref = REF[case]
    covs = COVARIATES["baseline_only" if case == "baseline_only" else "covariates"]
    return linear_model(
        [float(r["change"]) for r in ROWS],
        [r["arm"] for r in ROWS],
        control="placebo",
        baseline=[float(r["baseline"]) for r in ROWS],
        covariates=covs,
        conf_level=ref["conf_level"],
        alternative=ref["alternative"],
    )


def _close(got: float, want: float | str) -> None:
    if isinstance(want, str):  # R's -Inf / Inf of a one-sided interval
        assert got == float(want)
    else:
        assert got == pytest.approx(want, rel=RTOL, abs=1e-12)


@pytest.mark.parametrize("case", list(REF))
def test_contrasts_match_emmeans_trt_vs_ctrl(case: str) -> None:
    # R: summary(contrast(emmeans(fit, "arm"), "trt.vs.ctrl", adjust = "none"),
    #            infer = c(TRUE, TRUE), level, side); rel 1e-6
    fit = _fit(case)
    want = {c["contrast"].split(" - ")[0]: c for c in REF[case]["contrasts"]}
    assert [c.arm for c in fit.contrasts] == sorted(want)
    for c in fit.contrasts:
        w = want[c.arm]
        for key in ("estimate", "se", "ci_low", "ci_high", "statistic", "df", "p_value"):
            _close(getattr(c, key), w[key])
    assert fit.df_residual == REF[case]["df_residual"]
    assert fit.sigma == pytest.approx(REF[case]["sigma"], rel=RTOL)


@pytest.mark.parametrize("case", list(REF))
def test_ls_means_match_emmeans(case: str) -> None:
    # R: summary(emmeans(fit, "arm", level = level)); rel 1e-6 (numeric covariates at their
    # mean, factor covariates averaged over their levels with equal weights)
    fit = _fit(case)
    want = {m["arm"]: m for m in REF[case]["ls_means"]}
    assert {m.arm for m in fit.ls_means} == set(want)
    for m in fit.ls_means:
        for key in ("estimate", "se", "ci_low", "ci_high", "df"):
            _close(getattr(m, key), want[m.arm][key])


@pytest.mark.parametrize("case", ["baseline_only", "covariates"])
def test_overall_f_test_matches_anova(case: str) -> None:
    # R: anova(lm(reduced), lm(full)): F, Df, Res.Df, Pr(>F); rel 1e-6
    fit = _fit(case)
    want = REF[case]["overall"]
    for key in ("statistic", "df1", "df2", "p_value"):
        assert getattr(fit.overall, key) == pytest.approx(want[key], rel=RTOL)


def test_two_arms_without_covariates_equal_the_ancova() -> None:
    two = [r for r in ROWS if r["arm"] in ("serum", "placebo")]
    y = [float(r["change"]) for r in two]
    base = [float(r["baseline"]) for r in two]
    fit = linear_model(y, [r["arm"] for r in two], control="placebo", baseline=base)
    old = ancova(y, [1 if r["arm"] == "serum" else 0 for r in two], base)
    (c,) = fit.contrasts
    for key in ("estimate", "se", "ci_low", "ci_high", "statistic", "df", "p_value"):
        assert getattr(c, key) == pytest.approx(getattr(old, key), rel=1e-12)
    assert fit.overall.statistic == pytest.approx(c.statistic**2, rel=1e-12)  # F = t^2


def test_rows_with_a_missing_term_are_dropped_and_errors_are_clear() -> None:
    y = [1.0, 2.0, 3.0, 4.0, 5.0, math.nan, 7.0]
    arm = ["a", "a", "a", "b", "b", "b", "b"]
    fit = linear_model(y, arm, control="a", covariates={"x": [1.0, 5.0, 2.0, 7.0, 3.0, 4.0, 9.0]})
    assert fit.n == 6
    with pytest.raises(StatisticsError, match="control arm 'c' has no complete row"):
        linear_model(y, arm, control="c")
    with pytest.raises(StatisticsError, match="collinear"):
        linear_model(y, arm, control="a", covariates={"same": arm})
    with pytest.raises(ValidationError) as err2:
        linear_model(y, arm, control="a", alternative="sideways")  # type: ignore[arg-type]
    assert err2.value.field == "alternative"
    assert np.isfinite(fit.sigma)
