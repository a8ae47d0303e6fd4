"""Every statistic of autoserum.stats against R, case by case.

Expected numbers come from ``reference/reference.json``, written by ``reference/reference.R``
from the seeded synthetic CSVs beside it; each case carries the R call that produced it
(``r_call``), and the R call of each kind of case is also named at its computation below.

Tolerances (``_close``): estimates, SEs, CI limits, statistics and df to 1e-6 relative (with an
absolute floor of 1e-12 for values that are exactly 0 in R); p-values to 1e-6 relative OR
1e-10 absolute (whichever is looser), because tiny p-values are not meaningful beyond that.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autoserum.errors import StatisticalWarning
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
from autoserum.stats._exact import (
    psignrank,
    psignrank_upper,
    pwilcox,
    pwilcox_upper,
    qsignrank,
    qwilcox,
)
from tests.stats.conftest import Trial, load_cases

REL = 1e-6
P_ABS = 1e-10
CASES = load_cases()


def _close(field: str, actual: Any, expected: Any, rel: float = REL) -> None:
    if isinstance(expected, str):
        assert actual == expected, field
        return
    if expected is None:
        assert actual is None or math.isnan(actual), f"{field}: {actual} vs R NA"
        return
    assert actual is not None, field
    tol = max(rel * abs(expected), 1e-12)
    if "p_value" in field or field.startswith("adjusted"):
        tol = max(tol, P_ABS)
    assert abs(actual - expected) <= tol, f"{field}: {actual!r} vs R {expected!r}"


Computed = dict[str, Any]


def _trial_arm(case: dict[str, Any], trials: dict[str, Trial], _v: Any) -> np.ndarray:
    inp = case["inputs"]
    if case["dataset"] == "vectors":
        return np.asarray(_v[inp["x"]])
    return trials[case["dataset"]].within(inp["group"], inp["week"])


def _two(case: dict[str, Any], trials: dict[str, Trial], vecs: Any) -> tuple[Any, Any]:
    inp = case["inputs"]
    if case["dataset"] == "vectors":
        return vecs[inp["x"]], vecs[inp["y"]]
    t = trials[case["dataset"]]
    return t.within(1, inp["week"]), t.within(0, inp["week"])


def _rank(result: Any, caught: list[warnings.WarningMessage]) -> Computed:
    out: Computed = result.to_dict()
    out["warns"] = any(issubclass(w.category, StatisticalWarning) for w in caught)
    return out


def _run_rank(fn: Callable[[], Any]) -> Computed:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticalWarning)
        result = fn()
    return _rank(result, caught)


def compute(case: dict[str, Any], trials: dict[str, Trial], vecs: Any) -> Computed:
    fn = case["function"]
    inp = case["inputs"] or {}  # R writes an empty list() as []
    level = inp.get("conf_level", 0.95)
    if fn == "describe":
        # R: length, mean, sd, t.test(x)$conf.int, quantile(x, type = 7), range(x)
        return describe(_trial_arm(case, trials, vecs)).to_dict()
    if fn == "paired_t":
        # R: t.test(x)
        return paired_t(_trial_arm(case, trials, vecs)).to_dict()
    if fn == "wilcoxon_signed_rank":
        # R: wilcox.test(x, conf.int = TRUE[, conf.level = level])
        x = _trial_arm(case, trials, vecs)
        return _run_rank(lambda: wilcoxon_signed_rank(x, conf_level=level))
    if fn == "wilcoxon_signed_rank_nocorrect":
        # R: wilcox.test(x, conf.int = TRUE, correct = FALSE)
        x = _trial_arm(case, trials, vecs)
        return _run_rank(lambda: wilcoxon_signed_rank(x, correct=False))
    if fn == "welch_t":
        # R: t.test(x, y[, conf.level = level])
        return welch_t(*_two(case, trials, vecs), conf_level=level).to_dict()
    if fn == "student_t":
        # R: t.test(x, y, var.equal = TRUE)
        return student_t(*_two(case, trials, vecs)).to_dict()
    if fn == "mann_whitney":
        # R: wilcox.test(x, y, conf.int = TRUE[, conf.level = level])
        x, y = _two(case, trials, vecs)
        return _run_rank(lambda: mann_whitney(x, y, conf_level=level))
    if fn == "mann_whitney_nocorrect":
        # R: wilcox.test(x, y, conf.int = TRUE, correct = FALSE)
        x, y = _two(case, trials, vecs)
        return _run_rank(lambda: mann_whitney(x, y, correct=False))
    if fn == "hedges_g":
        # R: summary(metafor::escalc("SMD", m1i, sd1i, n1i, m2i, sd2i, n2i))
        return hedges_g(*_two(case, trials, vecs)).to_dict()
    if fn == "ancova":
        # R: summary(lm(change ~ group + baseline, data = <week w, non-missing>))
        t = trials[case["dataset"]]
        rows = t.week == inp["week"]
        return ancova(t.change[rows], t.group[rows], t.baseline[rows]).to_dict()
    if fn in ("mmrm", "mmrm_default"):
        # R: nlme::gls(change ~ group * visit + baseline * visit,
        #              correlation = corSymm(form = ~ visit_index | subject),
        #              weights = varIdent(form = ~ 1 | visit), method = "REML")
        t = trials[case["dataset"]]
        return mmrm(t.subject, t.week, t.group, t.baseline, t.change).to_dict()
    if fn == "p_adjust":
        # R: p.adjust(p, method = "holm" | "BH")
        return {"adjusted": p_adjust(vecs["pvals"], inp["method"]).tolist()}
    if fn == "wilson_ci":
        # R: prop.test(k1, n1, correct = FALSE)$conf.int
        low, high = wilson_ci(inp["k1"], inp["n1"])
        return {"low": low, "high": high}
    if fn == "newcombe_rd":
        # R: Newcombe method 10 from prop.test(k, n, correct = FALSE)$conf.int of both arms
        return newcombe_rd(inp["k1"], inp["n1"], inp["k2"], inp["n2"]).to_dict()
    if fn == "fisher_exact":
        # R: fisher.test(matrix(c(k1, n1 - k1, k2, n2 - k2), 2, byrow = TRUE))$p.value
        return {"p_value": fisher_exact(inp["k1"], inp["n1"], inp["k2"], inp["n2"])}
    if fn == "signrank":
        # R: psignrank(q, n); psignrank(q, n, lower.tail = FALSE); qsignrank(probs, n)
        n = inp["n"]
        return {
            "p": [psignrank(q, n) for q in inp["q"]],
            "upper": [psignrank_upper(q, n) for q in inp["q"]],
            "quantile": [qsignrank(p, n) for p in inp["probs"]],
        }
    if fn == "wilcox":
        # R: pwilcox(q, m, n); pwilcox(q, m, n, lower.tail = FALSE); qwilcox(probs, m, n)
        m, n = inp["m"], inp["n"]
        return {
            "p": [pwilcox(q, m, n) for q in inp["q"]],
            "upper": [pwilcox_upper(q, m, n) for q in inp["q"]],
            "quantile": [qwilcox(p, m, n) for p in inp["probs"]],
        }
    raise AssertionError(f"no computation for {fn}")


def _compare(computed: Computed, expected: dict[str, Any], rel: float) -> None:
    for field, value in expected.items():
        if field == "per_visit":
            assert len(computed["per_visit"]) == len(value)
            for mine, theirs in zip(computed["per_visit"], value, strict=True):
                for key, number in theirs.items():
                    _close(f"visit {theirs['visit']} {key}", mine[key], number, rel)
        elif field == "covariance":
            mine_cov = np.asarray(computed["covariance"])
            theirs_cov = np.asarray(value)
            # R: getVarCov(fit) of a subject with every visit
            assert np.allclose(mine_cov, theirs_cov, rtol=rel * 10, atol=0), field
        elif field in ("p", "upper", "quantile"):
            expected_list = value if isinstance(value, list) else [value]
            for i, (mine, theirs) in enumerate(zip(computed[field], expected_list, strict=True)):
                # exact distribution values: 1e-6 relative or 1e-10 absolute (as p-values)
                _close(f"p_value {field}[{i}]", mine, theirs, rel)
        elif field == "adjusted":
            for i, (mine, theirs) in enumerate(zip(computed[field], value, strict=True)):
                if theirs is None:
                    assert math.isnan(mine)
                else:
                    _close(f"adjusted[{i}]", mine, theirs, rel)
        elif field == "warns":
            assert computed["warns"] == value, "StatisticalWarning iff R warns"
        else:
            _close(field, computed[field], value, rel)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_r(case: dict[str, Any], trials: dict[str, Trial], vectors: Any) -> None:
    # Tolerance: 1e-6 relative (p-values: or 1e-10 absolute). The default-control nlme fit
    # stops short of the REML optimum (see reference.R: SEs ~2e-5, p-values ~2e-4 relative
    # away), so that informational case is held to 5e-4 relative.
    rel = 5e-4 if case["function"] == "mmrm_default" else REL
    _compare(compute(case, trials, vectors), case["expected"], rel)


def test_reference_covers_every_method_and_both_branches() -> None:
    functions = {c["function"] for c in CASES}
    assert {
        "describe",
        "paired_t",
        "welch_t",
        "student_t",
        "wilcoxon_signed_rank",
        "mann_whitney",
        "ancova",
        "mmrm",
        "hedges_g",
        "wilson_ci",
        "newcombe_rd",
        "fisher_exact",
        "p_adjust",
    } <= functions
    for fn in ("wilcoxon_signed_rank", "mann_whitney"):
        methods = {c["expected"]["method"] for c in CASES if c["function"] == fn}
        assert methods == {"exact", "normal"}, fn
