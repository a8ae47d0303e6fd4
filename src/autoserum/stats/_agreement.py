"""Inter-rater agreement: intraclass correlations and Cohen's (weighted) kappa, as R's
``psych::ICC`` and ``psych::cohen.kappa`` report them.

References: Shrout & Fleiss (1979) Psychol Bull 86:420 (ICC(1,1) … ICC(3,k)); McGraw & Wong
(1996) Psychol Methods 1:30, Table 7 (F tests and confidence intervals, including the
Satterthwaite-type df of the two-way random absolute-agreement ICC); Cohen (1960, 1968);
Fleiss, Cohen & Everitt (1969) Psychol Bull 72:323 (large-sample variances of kappa and
weighted kappa).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from autoserum.errors import Expected, Message, StatisticsError, ValidationError
from autoserum.stats._results_agreement import ICCResult, ICCRow, KappaResult
from autoserum.stats._validate import check_conf_level

__all__ = ["KAPPA_WEIGHTS", "cohen_kappa", "icc"]

FloatArray = npt.NDArray[np.float64]

#: Agreement weights of the weighted kappa over k ordered categories i, j = 1..k:
#: ``linear`` 1 − |i − j|/(k − 1), ``quadratic`` 1 − (i − j)²/(k − 1)² (psych's default).
KAPPA_WEIGHTS = ("linear", "quadratic")

_TYPES = (
    ("ICC1", "one-way random", "absolute agreement", "single"),
    ("ICC2", "two-way random", "absolute agreement", "single"),
    ("ICC3", "two-way mixed", "consistency", "single"),
    ("ICC1k", "one-way random", "absolute agreement", "average"),
    ("ICC2k", "two-way random", "absolute agreement", "average"),
    ("ICC3k", "two-way mixed", "consistency", "average"),
)


def _ratings(ratings: Any) -> FloatArray:
    try:
        x = np.asarray(ratings, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            "ratings", type(ratings).__name__, Expected("a subjects × raters table of numbers")
        ) from exc
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise ValidationError(
            "ratings", f"shape {x.shape}", Expected("a table of at least 2 subjects × 2 raters")
        )
    bad = ~np.isfinite(x)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ValidationError(
            f"ratings[{i}][{j}]",
            float(x[i, j]),
            Expected(
                "a finite rating (every subject rated by every rater; as "
                "psych::ICC, incomplete subjects are not analysed)"
            ),
        )
    return x


def icc(ratings: Any, *, conf_level: float = 0.95) -> ICCResult:
    """The six intraclass correlations of a subjects × raters table, as R
    ``psych::ICC(x, alpha = 1 - conf_level)``: ICC1 (one-way random), ICC2 (two-way random,
    absolute agreement), ICC3 (two-way mixed, consistency), each for a single rater and for
    the average of the k raters, with F, df, p-value and CI.

    >>> r = icc([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...          [6, 2, 4, 7]])  # Shrout & Fleiss (1979) Table 2
    >>> [round(row.icc, 2) for row in r.rows]
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    level = check_conf_level(conf_level)
    x = _ratings(ratings)
    n, k = x.shape
    grand = x.mean()
    ss_subjects = k * float(np.sum((x.mean(axis=1) - grand) ** 2))
    ss_raters = n * float(np.sum((x.mean(axis=0) - grand) ** 2))
    ss_error = float(np.sum((x - grand) ** 2)) - ss_subjects - ss_raters
    df_b, df_j, df_e, df_w = n - 1, k - 1, (n - 1) * (k - 1), n * (k - 1)
    msb, msj = ss_subjects / df_b, ss_raters / df_j
    mse, msw = max(ss_error, 0.0) / df_e, (ss_raters + max(ss_error, 0.0)) / df_w
    if msb <= 0.0 or mse <= 0.0 or msw <= 0.0:
        raise StatisticsError(
            Message(
                "ratings: the ICC needs variation between subjects and between a subject's "
                "ratings (mean squares: subjects %(subjects)s, residual %(residual)s); "
                "ratings identical across raters or across subjects leave it undefined",
                subjects=f"{msb:.6g}",
                residual=f"{mse:.6g}",
            )
        )
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    icc1k, icc2k = (msb - msw) / msb, (msb - mse) / (msb + (msj - mse) / n)
    icc3k = (msb - mse) / msb
    f1, f3 = msb / msw, msb / mse
    p1, p3 = float(sps.f.sf(f1, df_b, df_w)), float(sps.f.sf(f3, df_b, df_e))
    q = 1.0 - (1.0 - level) / 2.0

    def bounds(f: float, dfd: int) -> tuple[float, float]:  # F-interval of MSB/MS(denominator)
        return f / float(sps.f.ppf(q, df_b, dfd)), f * float(sps.f.ppf(q, dfd, df_b))

    fl1, fu1 = bounds(f1, df_w)
    fl3, fu3 = bounds(f3, df_e)
    single = {  # (F - 1)/(F + k - 1) for a single rater, 1 - 1/F for the average
        "ICC1": ((fl1 - 1) / (fl1 + k - 1), (fu1 - 1) / (fu1 + k - 1)),
        "ICC3": ((fl3 - 1) / (fl3 + k - 1), (fu3 - 1) / (fu3 + k - 1)),
        "ICC1k": (1 - 1 / fl1, 1 - 1 / fu1),
        "ICC3k": (1 - 1 / fl3, 1 - 1 / fu3),
    }
    # ICC2: McGraw & Wong (1996) Table 7, case 2A, with Satterthwaite's df v.
    fj = msj / mse
    a = n * (1 + (k - 1) * icc2) - k * icc2
    v = (k - 1) * (n - 1) * (k * icc2 * fj + a) ** 2 / ((n - 1) * k**2 * icc2**2 * fj**2 + a**2)
    f_star, f_2star = float(sps.f.ppf(q, n - 1, v)), float(sps.f.ppf(q, v, n - 1))
    c = k * msj + (k * n - k - n) * mse
    lo2 = n * (msb - f_star * mse) / (f_star * c + n * msb)
    hi2 = n * (f_2star * msb - mse) / (c + n * f_2star * msb)
    single["ICC2"] = (lo2, hi2)
    single["ICC2k"] = (lo2 * k / (1 + lo2 * (k - 1)), hi2 * k / (1 + hi2 * (k - 1)))
    values = {"ICC1": icc1, "ICC2": icc2, "ICC3": icc3}
    values |= {"ICC1k": icc1k, "ICC2k": icc2k, "ICC3k": icc3k}
    rows = []
    for name, model, definition, unit in _TYPES:
        one_way = name.startswith("ICC1")
        rows.append(
            ICCRow(
                type=name,
                model=model,
                definition=definition,
                unit=unit,
                icc=float(values[name]),
                statistic=float(f1 if one_way else f3),
                df1=df_b,
                df2=df_w if one_way else df_e,
                p_value=p1 if one_way else p3,
                ci_low=float(single[name][0]),
                ci_high=float(single[name][1]),
            )
        )
    return ICCResult(n, k, level, msb, msj, mse, msw, tuple(rows))


def _categories(
    r1: Sequence[Any], r2: Sequence[Any], levels: Sequence[Any] | None
) -> tuple[list[tuple[Any, Any]], tuple[Any, ...]]:
    if len(r1) != len(r2):
        raise ValidationError(
            "rater2", f"{len(r2)} ratings", Expected("%(count)s ratings, as rater1", count=len(r1))
        )
    pairs = [(a, b) for a, b in zip(r1, r2, strict=True) if not (_missing(a) or _missing(b))]
    if not pairs:
        raise ValidationError(
            "rater1", "no pair rated by both raters", Expected("at least one pair")
        )
    if levels is None:
        seen = {v for pair in pairs for v in pair}
        try:
            cats = tuple(sorted(seen))
        except TypeError as exc:
            raise ValidationError(
                "levels", None, Expected("the ordered categories (ratings of mixed types)")
            ) from exc
    else:
        cats = tuple(levels)
        if len(set(cats)) != len(cats):
            raise ValidationError("levels", list(cats), Expected("distinct categories"))
        known = set(cats)
        for field, index in (("rater1", 0), ("rater2", 1)):
            for i, pair in enumerate(pairs):
                if pair[index] not in known:
                    raise ValidationError(
                        f"{field}[{i}]",
                        pair[index],
                        Expected("one of %(values)s", values=list(cats)),
                    )
    if len(cats) < 2:
        raise ValidationError("levels", list(cats), Expected("at least 2 categories"))
    return pairs, cats


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fce_variance(p: FloatArray, w: FloatArray, n: int) -> tuple[float, float, float]:
    """Kappa, observed and chance agreement and the large-sample variance of Fleiss, Cohen &
    Everitt (1969), for agreement weights ``w`` (the identity gives Cohen's kappa)."""
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po, pe = float(np.sum(w * p)), float(np.sum(w * np.outer(rows, cols)))
    if pe >= 1.0:
        raise StatisticsError(
            Message(
                "kappa: every rating falls in one category, so chance agreement is 1 and kappa "
                "is undefined"
            )
        )
    w_row, w_col = w @ cols, w.T @ rows  # mean weights of row i and of column j
    term = w * (1 - pe) - np.add.outer(w_row, w_col) * (1 - po)
    var = (float(np.sum(p * term**2)) - (po * pe - 2 * pe + po) ** 2) / (n * (1 - pe) ** 4)
    return po, pe, max(var, 0.0)


def cohen_kappa(
    rater1: Sequence[Any],
    rater2: Sequence[Any],
    *,
    weights: Literal["linear", "quadratic"] = "quadratic",
    levels: Sequence[Any] | None = None,
    conf_level: float = 0.95,
) -> KappaResult:
    """Cohen's kappa and the weighted kappa of two raters, as R
    ``psych::cohen.kappa(cbind(rater1, rater2), w = W, levels = levels)`` with agreement
    weights ``W`` linear or quadratic (:data:`KAPPA_WEIGHTS`).

    ``levels`` are the ordered categories of the scale (e.g. IGA 0–4); give them when a
    category may go unused, since the weights depend on the number of categories. Without
    them the categories seen are sorted. Pairs with a missing rating are dropped (as
    ``na.omit``). SEs are the large-sample ones of Fleiss, Cohen & Everitt (1969); CIs are
    ``estimate ± z·SE`` bounded to [−1, 1]. Kappa, weighted kappa and the unweighted SE
    equal psych's; for the weighted SE psych 2.2.9 uses a row mean weight that departs
    from the published formula, which is used here (the reference script documents both).

    >>> r = cohen_kappa([0, 1, 2, 2, 3, 4, 1], [0, 1, 2, 3, 3, 4, 2], levels=range(5))
    >>> round(r.kappa, 4), round(r.weighted_kappa, 4)
    (0.641, 0.9103)
    """
    if weights not in KAPPA_WEIGHTS:
        raise ValidationError("weights", weights, Expected("linear or quadratic"))
    level = check_conf_level(conf_level)
    pairs, cats = _categories(rater1, rater2, levels)
    index = {c: i for i, c in enumerate(cats)}
    k, n = len(cats), len(pairs)
    table = np.zeros((k, k))
    for a, b in pairs:
        table[index[a], index[b]] += 1
    p = table / n
    dist = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / (k - 1)
    w = 1 - dist if weights == "linear" else 1 - dist**2
    po, pe, var = _fce_variance(p, np.eye(k), n)
    wpo, wpe, wvar = _fce_variance(p, w, n)
    z = float(sps.norm.ppf(1 - (1 - level) / 2))
    kappa, wkappa = (po - pe) / (1 - pe), (wpo - wpe) / (1 - wpe)
    se, wse = math.sqrt(var), math.sqrt(wvar)
    return KappaResult(
        n=n,
        categories=cats,
        weights=weights,
        conf_level=level,
        kappa=kappa,
        kappa_se=se,
        kappa_ci_low=max(-1.0, kappa - z * se),
        kappa_ci_high=min(1.0, kappa + z * se),
        weighted_kappa=wkappa,
        weighted_se=wse,
        weighted_ci_low=max(-1.0, wkappa - z * wse),
        weighted_ci_high=min(1.0, wkappa + z * wse),
        observed_agreement=wpo,
        expected_agreement=wpe,
    )
