"""Result types of the agreement statistics (frozen dataclasses, ``to_dict()`` as in
``_results``).

>>> ICCRow("ICC3", "two-way mixed", "consistency", "single", 0.71, 11.0, 5, 15, 1e-4,
...        0.34, 0.95).to_dict()["model"]
'two-way mixed'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.stats._results import _Result

__all__ = ["ICCResult", "ICCRow", "KappaResult"]


@dataclass(frozen=True)
class ICCRow(_Result):
    """One intraclass correlation as a row of ``psych::ICC``: its Shrout–Fleiss ``type``
    (ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k), the McGraw–Wong model (one-way random, two-way
    random, two-way mixed), definition (absolute agreement or consistency) and unit (single
    or average rater), with its F test and confidence interval."""

    type: str
    model: str
    definition: str
    unit: str
    icc: float
    statistic: float
    df1: int
    df2: int
    p_value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ICCResult(_Result):
    """The six intraclass correlations of ``n`` subjects each rated by ``raters`` raters, with
    the two-way ANOVA mean squares they come from (subjects, raters, residual, and within
    subjects = raters + residual pooled)."""

    n: int
    raters: int
    conf_level: float
    ms_subjects: float
    ms_raters: float
    ms_error: float
    ms_within: float
    rows: tuple[ICCRow, ...]

    def get(self, type: str) -> ICCRow:
        """The row of one ICC type, e.g. ``result.get("ICC2k")``."""
        for row in self.rows:
            if row.type == type:
                return row
        raise ValidationError(
            "type",
            type,
            Expected("one of %(values)s", values=", ".join(r.type for r in self.rows)),
        )


@dataclass(frozen=True)
class KappaResult(_Result):
    """Cohen's kappa and the weighted kappa of two raters over ordered ``categories``:
    observed and chance agreement (weighted), each kappa with its large-sample SE and CI."""

    n: int
    categories: tuple[Any, ...]
    weights: str
    conf_level: float
    kappa: float
    kappa_se: float
    kappa_ci_low: float
    kappa_ci_high: float
    weighted_kappa: float
    weighted_se: float
    weighted_ci_low: float
    weighted_ci_high: float
    observed_agreement: float
    expected_agreement: float
