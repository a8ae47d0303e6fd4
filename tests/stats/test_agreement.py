"""Intraclass correlations and (weighted) kappa against R's psych (issue 13: agreement of the
blinded central photo ratings).

Expected numbers: ``reference/agreement.json``, written by ``reference/agreement.R`` (R 4.2,
psych 2.2.9: ``ICC(x, alpha, lmer = FALSE)``, ``cohen.kappa(cbind(r1, r2), w, alpha,
levels)``); each case carries its R call. Tolerance 1e-6 relative (absolute 1e-12 at 0).
The weighted kappa's variance is Fleiss, Cohen & Everitt (1969) eq. 13 evaluated in R by the
script (psych's own figure departs from it; see the script), and the Shrout & Fleiss (1979)
example is also checked against the ICCs printed in their paper (two decimals).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autoserum.errors import StatisticsError, ValidationError
from autoserum.stats import cohen_kappa, icc

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "agreement.json").read_text(encoding="utf-8")
)
CASES: list[dict[str, Any]] = REFERENCE["cases"]
ICC_CASES = [c for c in CASES if c["fn"] == "icc"]
KAPPA_CASES = [c for c in CASES if c["fn"] == "cohen_kappa"]
REL = 1e-6


def _close(actual: float, expected: float, what: str) -> None:
    assert actual == pytest.approx(expected, rel=REL, abs=1e-12), f"{what}: R {expected}"


@pytest.mark.parametrize("case", ICC_CASES, ids=[c["id"] for c in ICC_CASES])
def test_icc_matches_psych(case: dict[str, Any]) -> None:
    ratings = REFERENCE["ratings"][case["inputs"]["ratings"]]
    result = icc(ratings, conf_level=case["inputs"]["conf_level"])
    assert [r.type for r in result.rows] == [e["type"] for e in case["expected"]]
    for row, expected in zip(result.rows, case["expected"], strict=True):
        for field in ("icc", "statistic", "p_value", "ci_low", "ci_high"):
            _close(getattr(row, field), expected[field], f"{row.type}.{field}")
        assert (row.df1, row.df2) == (expected["df1"], expected["df2"])


def test_shrout_fleiss_published_example() -> None:
    # Shrout & Fleiss (1979) Psychol Bull 86:420, Table 2 data, ICCs printed in the text.
    result = icc(REFERENCE["ratings"]["shrout_fleiss"])
    printed = {"ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71, "ICC1k": 0.44, "ICC2k": 0.62}
    printed["ICC3k"] = 0.91
    assert {t: round(result.get(t).icc, 2) for t in printed} == printed
    assert result.get("ICC2").model == "two-way random"
    assert result.get("ICC3k").definition == "consistency"
    assert result.get("ICC1k").unit == "average"


@pytest.mark.parametrize("case", KAPPA_CASES, ids=[c["id"] for c in KAPPA_CASES])
def test_kappa_matches_psych(case: dict[str, Any]) -> None:
    inputs, expected = case["inputs"], case["expected"]
    pair = REFERENCE["pairs"][inputs["pair"]]
    result = cohen_kappa(
        pair["r1"],
        pair["r2"],
        weights=inputs["weights"],
        levels=inputs["levels"],
        conf_level=inputs["conf_level"],
    )
    assert result.n == expected["n"]
    _close(result.kappa, expected["kappa"], "kappa")
    _close(result.kappa_se**2, expected["var_kappa"], "var.kappa")
    _close(result.kappa_ci_low, expected["kappa_ci_low"], "kappa lower")
    _close(result.kappa_ci_high, expected["kappa_ci_high"], "kappa upper")
    _close(result.weighted_kappa, expected["weighted_kappa"], "weighted.kappa")
    _close(result.weighted_se**2, expected["var_weighted"], "FCE variance")
    _close(result.weighted_ci_low, expected["weighted_ci_low"], "weighted lower")
    _close(result.weighted_ci_high, expected["weighted_ci_high"], "weighted upper")


def test_an_unused_category_changes_the_weights_only_when_declared() -> None:
    declared = next(c for c in KAPPA_CASES if c["id"] == "kappa/unused_level/linear/cl0.95")
    seen = next(c for c in KAPPA_CASES if c["id"] == "kappa/unused_level_default/linear/cl0.95")
    assert declared["expected"]["weighted_kappa"] != seen["expected"]["weighted_kappa"]
    pair = REFERENCE["pairs"]["unused_level"]
    assert cohen_kappa(pair["r1"], pair["r2"], weights="linear").categories == (0, 1, 3)


def test_identical_ratings_give_kappa_one_and_missing_pairs_are_dropped() -> None:
    result = cohen_kappa([0, 1, 2, None, 3], [0, 1, 2, 2, 3], weights="linear")
    assert (result.n, result.kappa, result.weighted_kappa) == (4, 1.0, 1.0)
    assert result.to_dict()["categories"] == [0, 1, 2, 3]


def test_agreement_input_errors_name_the_field() -> None:
    with pytest.raises(ValidationError, match=r"ratings\[1\]\[2\]"):
        icc([[1.0, 2.0, 3.0], [2.0, 3.0, float("nan")], [4.0, 4.0, 5.0]])
    with pytest.raises(ValidationError, match="at least 2 subjects"):
        icc([[1.0, 2.0, 3.0]])
    with pytest.raises(StatisticsError, match="variation"):
        icc([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    with pytest.raises(ValidationError, match="conf_level"):
        icc([[1.0, 2.0], [2.0, 4.0], [3.0, 3.0]], conf_level=95)
    with pytest.raises(ValidationError, match="type"):
        icc([[1.0, 2.0], [2.0, 4.0], [3.0, 3.0]]).get("ICC4")
    with pytest.raises(ValidationError, match=r"rater2\[1\]: got 5"):
        cohen_kappa([0, 1], [0, 5], levels=range(5))
    with pytest.raises(ValidationError, match="weights"):
        cohen_kappa([0, 1], [0, 1], weights="squared")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="rater2"):
        cohen_kappa([0, 1], [0])
    with pytest.raises(StatisticsError, match="one category"):
        cohen_kappa([2, 2, 2], [2, 2, 2], levels=range(5))
