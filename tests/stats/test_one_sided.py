"""One-sided tests and confidence levels against R (issue 16: ``--alternative`` and
``--conf-level`` reach every between-arm test).

Expected numbers: ``reference/one_sided.json``, written by ``reference/one_sided.R`` (R 4.2
``wilcox.test(x, y, alternative, conf.int = TRUE, conf.level, correct)`` (rank sum) and
``wilcox.test(x, alternative, ...)`` / ``wilcox.test(x, y, paired = TRUE, ...)`` (signed rank,
exact and normal branches with ties and zeros), ``t.test`` one-sample,
Welch and Student, ``fisher.test``); each case carries its R call. Tolerance: 1e-6 relative
(absolute 1e-12 at 0), infinite CI limits exactly. The Hodges–Lehmann estimate and CI of the
normal branch are roots found by ``uniroot(tol = 1e-4)`` in R and here by the same algorithm
from the same start, so they agree to 1e-6 too.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest

from autoserum.errors import StatisticalWarning, ValidationError
from autoserum.stats import (
    fisher_exact,
    mann_whitney,
    paired_t,
    student_t,
    welch_t,
    wilcoxon_signed_rank,
)
from autoserum.stats._qnorm import qnorm

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "one_sided.json").read_text(encoding="utf-8")
)
SAMPLES: dict[str, list[float]] = REFERENCE["samples"]
CASES: list[dict[str, Any]] = REFERENCE["cases"]
REL = 1e-6


def _value(v: Any) -> Any:
    return {"Inf": math.inf, "-Inf": -math.inf}.get(v, v) if isinstance(v, str) else v


def _close(field: str, actual: Any, expected: Any) -> None:
    expected = _value(expected)
    if isinstance(expected, str):
        assert actual == expected, field
    elif math.isinf(expected):
        assert actual == expected, f"{field}: {actual} vs R {expected}"
    else:
        assert actual == pytest.approx(expected, rel=REL, abs=1e-12), f"{field}: R {expected}"


def _run(case: dict[str, Any]) -> Any:
    inp = dict(case["inputs"])
    fn = case["fn"]
    if fn == "fisher_exact":
        return fisher_exact(
            inp["k1"], inp["n1"], inp["k2"], inp["n2"], alternative=inp["alternative"]
        )
    name = inp.pop("x")
    if fn == "wilcoxon_signed_rank":
        diff = (
            [a - b for a, b in zip(SAMPLES["big_x"][:55], SAMPLES["big_y"], strict=True)]
            if name == "paired"  # R: wilcox.test(big_x[1:55], big_y, paired = TRUE)
            else SAMPLES[name]
        )
        return wilcoxon_signed_rank(
            diff, inp["conf_level"], inp["correct"], alternative=inp["alternative"]
        )
    x = SAMPLES[name]
    common = {"conf_level": inp["conf_level"], "alternative": inp["alternative"]}
    if fn == "paired_t":
        return paired_t(x, **common)
    y = SAMPLES[inp.pop("y")]
    if fn == "mann_whitney":
        return mann_whitney(x, y, correct=inp["correct"], **common)
    return {"welch_t": welch_t, "student_t": student_t}[fn](x, y, **common)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_against_r(case: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)  # R warns alike (not achievable)
        result = _run(case)
    if case["fn"] == "fisher_exact":
        _close("p_value", result, case["expected"]["p_value"])
        return
    for field, expected in case["expected"].items():
        _close(field, getattr(result, field), expected)


@pytest.mark.parametrize("fn", ["mann_whitney", "wilcoxon_signed_rank"])
def test_every_branch_and_side_is_covered(fn: str) -> None:
    seen = {(c["expected"]["method"], c["inputs"]["alternative"]) for c in CASES if c["fn"] == fn}
    assert seen == {(m, a) for m in ("exact", "normal") for a in ("two-sided", "less", "greater")}


def test_one_sided_p_values_split_the_two_sided_one() -> None:
    x, y = SAMPLES["big_x"], SAMPLES["big_y"]
    two = mann_whitney(x, y, correct=False)
    less = mann_whitney(x, y, correct=False, alternative="less")
    greater = mann_whitney(x, y, correct=False, alternative="greater")
    assert less.p_value + greater.p_value == pytest.approx(1.0)
    assert two.p_value == pytest.approx(2 * min(less.p_value, greater.p_value))
    assert less.ci_low == -math.inf
    assert greater.ci_high == math.inf


def test_an_unknown_alternative_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="alternative"):
        mann_whitney([1.0, 2.0], [3.0, 4.0], alternative="two.sided")  # type: ignore[arg-type]


def test_normal_quantiles_are_r_bit_for_bit() -> None:
    # R: qnorm(p) and qnorm(p, lower.tail = FALSE), reference/one_sided.R; exact equality
    # (they feed the root searches of the Hodges–Lehmann CIs, which amplify any last bit).
    table = REFERENCE["qnorm"]
    for p, lower, upper in zip(table["p"], table["lower"], table["upper"], strict=True):
        assert qnorm(float(p)) == float(lower), p
        assert qnorm(float(p), lower_tail=False) == float(upper), p
