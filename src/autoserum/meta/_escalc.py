"""Effect sizes from arm summaries and 2×2 tables, as metafor's ``escalc``.

Measures (metafor's names): ``MD`` (raw mean difference, heteroscedastic variance), ``SMD``
(Hedges' g with the exact small-sample correction), ``ROM`` (log ratio of means, Hedges et al.
1999: vi = sd1²/(n1 m1²) + sd2²/(n2 m2²)), ``RR`` (log risk ratio), ``OR`` (log odds ratio),
``PETO`` (Peto's log odds ratio (O − E)/V, Yusuf et al. 1985), ``RD`` (risk difference),
``ZCOR`` (Fisher's r-to-z, atanh(r), vi = 1/(n − 3)). For 2×2 tables (PETO included), a study
with a zero cell gets 1/2 added to each of its four cells (metafor's default ``add = 1/2,
to = "only0"``).

Reference: Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw
2010;36(3). Hedges LV. Distribution theory for Glass's estimator of effect size. J Educ Stat
1981;6:107–28. Cochrane Handbook v6.4, chapter 6.

>>> es = escalc_counts("RR", [4], [119], [11], [128])
>>> round(float(es.yi[0]), 6), round(float(es.vi[0]), 6)
(-0.889311, 0.325585)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from autoserum.errors import Expected, ValidationError

__all__ = [
    "CONTINUOUS_MEASURES",
    "CORRELATION_MEASURES",
    "COUNT_MEASURES",
    "RATIO_MEASURES",
    "EffectSizes",
    "escalc_correlations",
    "escalc_counts",
    "escalc_means",
    "hedges_correction",
]

COUNT_MEASURES = ("RR", "OR", "RD", "PETO")
CONTINUOUS_MEASURES = ("MD", "SMD", "ROM")
CORRELATION_MEASURES = ("ZCOR",)
RATIO_MEASURES = ("RR", "OR", "PETO", "ROM")

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class EffectSizes:
    """Per-study effect sizes ``yi`` and sampling variances ``vi`` (log scale for RR/OR)."""

    measure: str
    yi: FloatArray
    vi: FloatArray


def hedges_correction(df: float) -> float:
    """Exact small-sample correction J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)) (Hedges 1981).

    >>> round(hedges_correction(20), 6)
    0.961945
    """
    if not df > 1:
        raise ValidationError(
            "df", df, Expected("degrees of freedom > 1 for the Hedges correction")
        )
    return math.exp(math.lgamma(df / 2) - 0.5 * math.log(df / 2) - math.lgamma((df - 1) / 2))


def _array(name: str, values: Sequence[float] | FloatArray) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValidationError(
            name, values, Expected("a non-empty one-dimensional sequence of numbers")
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(f"{name}[{i}]", float(arr[i]), Expected("a finite number"))
    return arr


def _same_length(arrays: dict[str, FloatArray]) -> int:
    lengths = {name: a.size for name, a in arrays.items()}
    n = next(iter(lengths.values()))
    for name, size in lengths.items():
        if size != n:
            raise ValidationError(name, size, Expected("%(n)s values, one per study", n=n))
    return n


def escalc_counts(
    measure: str,
    ai: Sequence[float] | FloatArray,
    bi: Sequence[float] | FloatArray,
    ci: Sequence[float] | FloatArray,
    di: Sequence[float] | FloatArray,
) -> EffectSizes:
    """Log RR, log OR or RD from 2×2 counts (events ``ai``/``ci``, non-events ``bi``/``di``).

    As ``metafor::escalc(measure, ai=, bi=, ci=, di=)``: studies with a zero cell get 1/2 added
    to all four cells. Counts may be non-integer (e.g. a shared control group split in two).
    """
    if measure not in COUNT_MEASURES:
        raise ValidationError(
            "measure", measure, Expected("one of %(values)s", values=", ".join(COUNT_MEASURES))
        )
    cells = {"ai": _array("ai", ai), "bi": _array("bi", bi), "ci": _array("ci", ci)}
    cells["di"] = _array("di", di)
    _same_length(cells)
    for name, arr in cells.items():
        neg = arr < 0
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise ValidationError(f"{name}[{i}]", float(arr[i]), Expected("a count >= 0"))
    a, b, c, d = (cells[k].copy() for k in ("ai", "bi", "ci", "di"))
    n1, n2 = a + b, c + d
    for name, arr in (("ai + bi", n1), ("ci + di", n2)):
        if (arr <= 0).any():
            i = int(np.flatnonzero(arr <= 0)[0])
            raise ValidationError(f"{name}[{i}]", float(arr[i]), Expected("an arm size > 0"))
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    a, b, c, d = (np.where(zero, x + 0.5, x) for x in (a, b, c, d))
    n1, n2 = a + b, c + d
    if measure == "RR":
        yi = np.log(a / n1) - np.log(c / n2)
        vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
    elif measure == "OR":
        yi = np.log(a * d / (b * c))
        vi = 1 / a + 1 / b + 1 / c + 1 / d
    elif measure == "PETO":
        n = n1 + n2
        events, non_events = a + c, b + d
        var = events * non_events * n1 * n2 / (n**2 * (n - 1))
        yi = (a - events * n1 / n) / var
        vi = 1 / var
    else:
        p1, p2 = a / n1, c / n2
        yi = p1 - p2
        vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    return EffectSizes(measure, yi, vi)


def escalc_means(
    measure: str,
    m1i: Sequence[float] | FloatArray,
    sd1i: Sequence[float] | FloatArray,
    n1i: Sequence[float] | FloatArray,
    m2i: Sequence[float] | FloatArray,
    sd2i: Sequence[float] | FloatArray,
    n2i: Sequence[float] | FloatArray,
) -> EffectSizes:
    """MD, SMD (Hedges' g) or ROM from arm means, SDs and sizes, as ``metafor::escalc``.

    MD: yi = m1 − m2, vi = sd1²/n1 + sd2²/n2. SMD: yi = J·(m1 − m2)/s_pooled with the exact
    correction J(n1 + n2 − 2), vi = 1/n1 + 1/n2 + yi²/(2(n1 + n2)) (metafor's ``vtype = "LS"``).
    """
    if measure not in CONTINUOUS_MEASURES:
        raise ValidationError(
            "measure", measure, Expected("one of %(values)s", values=", ".join(CONTINUOUS_MEASURES))
        )
    cols = {
        "m1i": _array("m1i", m1i),
        "sd1i": _array("sd1i", sd1i),
        "n1i": _array("n1i", n1i),
        "m2i": _array("m2i", m2i),
        "sd2i": _array("sd2i", sd2i),
        "n2i": _array("n2i", n2i),
    }
    _same_length(cols)
    for name in ("sd1i", "sd2i"):
        if (cols[name] < 0).any():
            i = int(np.flatnonzero(cols[name] < 0)[0])
            raise ValidationError(f"{name}[{i}]", float(cols[name][i]), Expected("an SD >= 0"))
    for name in ("n1i", "n2i"):
        if (cols[name] < 2).any():
            i = int(np.flatnonzero(cols[name] < 2)[0])
            raise ValidationError(
                f"{name}[{i}]", float(cols[name][i]), Expected("an arm size >= 2")
            )
    m1, s1, n1, m2, s2, n2 = (cols[k] for k in ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"))
    if measure == "MD":
        return EffectSizes("MD", m1 - m2, s1**2 / n1 + s2**2 / n2)
    if measure == "ROM":
        for name, m in (("m1i", m1), ("m2i", m2)):
            if (m <= 0).any():
                i = int(np.flatnonzero(m <= 0)[0])
                raise ValidationError(
                    f"{name}[{i}]", float(m[i]), Expected("a mean > 0 for a ratio of means")
                )
        return EffectSizes("ROM", np.log(m1 / m2), s1**2 / (n1 * m1**2) + s2**2 / (n2 * m2**2))
    df = n1 + n2 - 2
    sp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / df)
    if (sp <= 0).any():
        i = int(np.flatnonzero(sp <= 0)[0])
        raise ValidationError(f"sd1i[{i}]", float(s1[i]), Expected("a pooled SD > 0 for an SMD"))
    j = np.array([hedges_correction(float(m)) for m in df])
    yi = j * (m1 - m2) / sp
    vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
    return EffectSizes("SMD", yi, vi)


def escalc_correlations(
    ri: Sequence[float] | FloatArray, ni: Sequence[float] | FloatArray
) -> EffectSizes:
    """Fisher's z from correlations ``ri`` and sample sizes ``ni``, as ``escalc("ZCOR", ri=, ni=)``.

    >>> es = escalc_correlations([0.5], [28])
    >>> round(float(es.yi[0]), 6), float(es.vi[0])
    (0.549306, 0.04)
    """
    r, n = _array("ri", ri), _array("ni", ni)
    _same_length({"ri": r, "ni": n})
    bad = (r <= -1) | (r >= 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(f"ri[{i}]", float(r[i]), Expected("a correlation between -1 and 1"))
    if (n <= 3).any():
        i = int(np.flatnonzero(n <= 3)[0])
        raise ValidationError(f"ni[{i}]", float(n[i]), Expected("a sample size > 3"))
    return EffectSizes("ZCOR", np.arctanh(r), 1.0 / (n - 3.0))
