"""Kaplan–Meier, log-rank and Cox (with cox.zph) against R ``survival``.

Expected numbers: ``reference/survival.json``, written by ``reference/survival.R`` (which also
made the synthetic ``flares.csv``). Tolerance 1e-6 relative (absolute 1e-12 for exact zeros;
p-values 1e-6 relative or 1e-10 absolute); counts exactly.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from typing import Any

import numpy as np
import pytest

from autoserum.errors import StatisticsError, ValidationError
from autoserum.stats import cox_ph, kaplan_meier, log_rank
from tests.stats.conftest import REFERENCE

REF: dict[str, Any] = json.loads((REFERENCE / "survival.json").read_text())
with (REFERENCE / "flares.csv").open() as fh:
    ROWS = list(csv.DictReader(fh))
TIME = np.array([float(r["time"]) for r in ROWS])
EVENT = np.array([float(r["event"]) for r in ROWS])
ARM = np.array([r["arm"] for r in ROWS])
AGE = np.array([float(r["age"]) for r in ROWS])
TWO = ARM != "igg"


def _close(actual: float | None, expected: float | None, what: str) -> None:
    if expected is None:  # R NA
        assert actual is None or math.isnan(actual), f"{what}: {actual} vs R NA"
        return
    assert actual is not None
    tol = max(1e-6 * abs(expected), 1e-10 if "p_value" in what else 1e-12)
    assert abs(actual - expected) <= tol, f"{what}: {actual!r} vs R {expected!r}"


@pytest.mark.parametrize(("key", "conf_type"), [("km_log", "log"), ("km_loglog", "log-log")])
def test_kaplan_meier_matches_survfit(key: str, conf_type: str) -> None:
    # R: summary(survfit(Surv(time, event) ~ arm, conf.type = ...), censored = TRUE);
    #    quantile(fit, 0.5) for the median and its CI
    km = kaplan_meier(TIME, EVENT, group=ARM, conf_type=conf_type)  # type: ignore[arg-type]
    assert [c.group for c in km.curves] == [c["group"] for c in REF[key]["curves"]]
    for curve, ref in zip(km.curves, REF[key]["curves"], strict=True):
        for field in ("median", "median_ci_low", "median_ci_high"):
            _close(getattr(curve, field), ref[field], f"{curve.group} {field}")
        assert len(curve.rows) == len(ref["time"])
        for i, row in enumerate(curve.rows):
            assert (row.time, row.n_risk, row.n_event, row.n_censor) == (
                ref["time"][i],
                ref["n_risk"][i],
                ref["n_event"][i],
                ref["n_censor"][i],
            )
            for field in ("survival", "se", "ci_low", "ci_high"):
                _close(getattr(row, field), ref[field][i], f"{curve.group} t={row.time} {field}")


@pytest.mark.parametrize("key", ["logrank2", "logrank3"])
def test_log_rank_matches_survdiff(key: str) -> None:
    # R: survdiff(Surv(time, event) ~ arm)
    keep = TWO if key == "logrank2" else np.ones(TIME.size, dtype=bool)
    lr = log_rank(TIME[keep], EVENT[keep], ARM[keep])
    ref = REF[key]
    assert list(lr.groups) == ref["groups"]
    assert lr.df == ref["df"]
    for ours, theirs in zip(lr.observed, ref["observed"], strict=True):
        assert ours == theirs
    for ours, theirs in zip(lr.expected, ref["expected"], strict=True):
        _close(ours, theirs, "expected")
    _close(lr.statistic, ref["statistic"], "statistic")
    _close(lr.p_value, ref["p_value"], "p_value")


@pytest.mark.parametrize(
    ("key", "names"), [("cox_arm", ["treated"]), ("cox_arm_age", ["treated", "age"])]
)
@pytest.mark.parametrize("transform", ["km", "identity"])
def test_cox_matches_coxph_and_cox_zph(key: str, names: list[str], transform: str) -> None:
    # R: coxph(Surv(time, event) ~ treated [+ age], ties = "efron"); cox.zph(fit, transform)
    covs = {"treated": (ARM[TWO] == "serum").astype(float), "age": AGE[TWO]}
    fit = cox_ph(
        TIME[TWO],
        EVENT[TWO],
        {n: covs[n] for n in names},
        ph_transform=transform,  # type: ignore[arg-type]
    )
    ref = REF[key]
    assert fit.converged
    for j, term in enumerate(fit.terms):
        assert term.name == names[j]
        for field, ref_field in (
            ("coef", "coef"),
            ("se", "se"),
            ("hazard_ratio", "hazard_ratio"),
            ("ci_low", "ci_low"),
            ("ci_high", "ci_high"),
            ("statistic", "statistic"),
            ("p_value", "p_value"),
        ):
            expected = np.atleast_1d(ref[ref_field])[j]  # jsonlite unboxes length-1 vectors
            _close(getattr(term, field), float(expected), f"{term.name} {field}")
    _close(fit.log_lik_null, ref["log_lik"][0], "log_lik null")
    _close(fit.log_lik, ref["log_lik"][1], "log_lik")
    for name, (stat, df, pval) in (
        ("lr", (fit.lr_statistic, fit.df, fit.lr_p_value)),
        ("wald", (fit.wald_statistic, fit.df, fit.wald_p_value)),
        ("score", (fit.score_statistic, fit.df, fit.score_p_value)),
    ):
        _close(stat, ref[name][0], f"{name} statistic")
        assert df == ref[name][1]
        _close(pval, ref[name][2], f"{name} p_value")
    zph = ref[f"zph_{transform}"]
    assert [t.term for t in fit.ph_tests] == zph["term"]
    for test, stat, pval in zip(fit.ph_tests, zph["statistic"], zph["p_value"], strict=True):
        _close(test.statistic, stat, f"zph {test.term} statistic")
        _close(test.p_value, pval, f"zph {test.term} p_value")


def test_survival_input_errors() -> None:
    with pytest.raises(ValidationError, match="time"):
        kaplan_meier([1.0, -2.0], [1, 0])
    with pytest.raises(ValidationError, match="event"):
        kaplan_meier([1.0, 2.0], [1, 2])
    with pytest.raises(ValidationError, match="conf_type"):
        kaplan_meier([1.0, 2.0], [1, 0], conf_type="plain")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="group"):
        log_rank([1.0, 2.0], [1, 0], ["a", "a"])
    with pytest.raises(StatisticsError, match="no events"):
        cox_ph([1.0, 2.0, 3.0], [0, 0, 0], {"arm": [0, 1, 1]})
    with pytest.raises(StatisticsError, match="constant"):
        cox_ph([1.0, 2.0, 3.0], [1, 1, 0], {"arm": [1, 1, 1]})


def test_kaplan_meier_survival_is_non_increasing_and_within_ci() -> None:
    km = kaplan_meier(TIME, EVENT, group=ARM)
    for curve in km.curves:
        surv = [r.survival for r in curve.rows]
        assert all(a >= b for a, b in itertools.pairwise(surv))
        for r in curve.rows:
            if r.survival > 0:
                assert r.ci_low <= r.survival <= r.ci_high <= 1.0
