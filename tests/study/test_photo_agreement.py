"""Agreement of the blinded central photo ratings (issue 13 item 5) against R's psych.

Expected numbers: ``reference/photo_agreement.json`` written by ``reference/photo_agreement.R``
(R 4.2, psych 2.2.9: ``ICC(x, lmer = FALSE)`` and ``cohen.kappa(cbind(a, b), w = W, levels =
0:4)`` with quadratic weights) for a hand-made example of 6 photographs × 3 raters, and the
30 × 3 EASI-like ratings of ``tests/stats/reference/agreement.json`` (same ICC call). Tolerance
1e-6 relative (absolute 1e-12 at 0).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from autoserum.errors import ValidationError
from autoserum.study.photos import ICC_SHOWN, PhotoScore, agreement, rating_values

HERE = Path(__file__).parent
EXAMPLE: dict[str, Any] = json.loads(
    (HERE / "reference" / "photo_agreement.json").read_text(encoding="utf-8")
)
STATS: dict[str, Any] = json.loads(
    (HERE.parent / "stats" / "reference" / "agreement.json").read_text(encoding="utf-8")
)
REL = 1e-6


def _close(actual: float, expected: float, what: str) -> None:
    assert actual == pytest.approx(expected, rel=REL, abs=1e-12), f"{what}: R {expected}"


def _scores(photos: list[str], raters: list[str], region: list[list[float]],
            grades: list[list[int]] | None) -> list[PhotoScore]:  # fmt: skip
    return [
        PhotoScore(p, r, Fraction(str(region[i][j])), 0 if grades is None else grades[i][j])
        for i, p in enumerate(photos)
        for j, r in enumerate(raters)
    ]


def test_hand_made_example_matches_psych() -> None:
    scores = _scores(
        EXAMPLE["photos"], EXAMPLE["raters"], EXAMPLE["region_score"], EXAMPLE["viga_grade"]
    )
    result = agreement(reversed(scores))  # the order the ratings come in does not matter
    assert (result.photos, result.raters, result.ratings) == (6, ("rhea", "rolf", "ruth"), 18)
    assert result.icc is not None
    for expected in EXAMPLE["icc"]:
        row = result.icc.get(expected["type"])
        for field in ("icc", "statistic", "p_value", "ci_low", "ci_high"):
            _close(getattr(row, field), expected[field], f"{row.type}.{field}")
        assert (row.df1, row.df2) == (expected["df1"], expected["df2"])
    assert len(result.kappas) == len(EXAMPLE["kappa"]) == 3
    for pair, expected in zip(result.kappas, EXAMPLE["kappa"], strict=True):
        assert (pair.rater_a, pair.rater_b, pair.n) == (expected["rater_a"], expected["rater_b"], 6)
        assert pair.result is not None
        _close(pair.result.kappa, expected["kappa"], "kappa")
        _close(pair.result.weighted_kappa, expected["weighted_kappa"], "weighted kappa")
    rows = result.rows()
    assert [r["statistic"].split(":")[0] for r in rows[:4]] == list(ICC_SHOWN)
    assert rows[0]["statistic"] == "ICC2: two-way, absolute agreement, single rater"
    by_type = {e["type"]: e for e in EXAMPLE["icc"]}
    for shown, kind in zip(rows, ICC_SHOWN, strict=False):
        _close(shown["estimate"], by_type[kind]["icc"], kind)


def test_thirty_photographs_three_raters_match_psych() -> None:
    ratings = STATS["ratings"]["photo_easi"]
    photos = [f"P{i:02d}" for i in range(len(ratings))]
    result = agreement(_scores(photos, ["a", "b", "c"], ratings, None))
    case = next(c for c in STATS["cases"] if c["id"] == "icc/photo_easi/cl0.95")
    assert result.icc is not None
    for expected in case["expected"]:
        _close(result.icc.get(expected["type"]).icc, expected["icc"], expected["type"])


def test_incomplete_photographs_leave_the_icc_and_a_pair_uses_common_photographs() -> None:
    scores = [
        PhotoScore("P1", "a", Fraction(4), 2), PhotoScore("P1", "b", Fraction(5), 2),
        PhotoScore("P2", "a", Fraction(9), 3), PhotoScore("P2", "b", Fraction(8), 3),
        PhotoScore("P3", "a", Fraction(1), 1), PhotoScore("P3", "b", Fraction(2), 0),
        PhotoScore("P4", "a", Fraction(6), 4),  # rated by one rater only
    ]  # fmt: skip
    result = agreement(scores)
    assert (result.photos, result.ratings, result.kappas[0].n) == (3, 7, 3)
    # R: psych::ICC(matrix(c(4, 5, 9, 8, 1, 2), ncol = 2, byrow = TRUE), lmer = FALSE): ICC2
    assert result.icc is not None
    _close(result.icc.get("ICC2").icc, 0.96, "ICC2")
    assert agreement([PhotoScore("P1", "a", Fraction(1), 1)]).icc is None


def test_rating_values_score_the_region_with_the_instruments() -> None:
    signs = {"erythema": 3, "induration": 3, "excoriation": 3, "lichenification": 3}
    # (3 + 3 + 3 + 3) × 6 × 0.4 = 28.8, the lower limbs' maximum (Hanifin 2001)
    full = rating_values("lower_limbs", {**signs, "area": 6, "viga_grade": 4})
    assert full["region_score"] == Fraction(144, 5)
    # a child under 8: head and neck multiplier 0.2 instead of 0.1
    child = rating_values("head_neck", {**signs, "area": 1, "viga_grade": 4}, age=5)
    assert child["region_score"] == Fraction(12, 5)
    with pytest.raises(ValidationError) as err:
        rating_values("trunk", {**signs, "area": 7, "viga_grade": 1})
    assert err.value.field == "area"
    with pytest.raises(ValidationError) as err:
        rating_values("trunk", {**signs, "area": 2})
    assert err.value.field == "viga_grade"
    with pytest.raises(ValidationError) as err:
        rating_values("trunk", {**signs, "area": 2, "viga_grade": 1, "subject_id": "S01"})
    assert err.value.field == "rating.subject_id"
