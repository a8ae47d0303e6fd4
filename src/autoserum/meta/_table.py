"""Effect sizes from a table with metafor's column names (the input of ``autoserum meta``).

One row per study; a ``study`` column (label) and one of these column sets:

- ``yi, vi`` or ``yi, sei``: effect sizes already computed (ratios on the log scale);
- ``ai, bi, ci, di``: 2×2 counts (events/non-events, arm 1 then arm 2) → RR (default), OR, RD,
  PETO;
- ``m1i, sd1i, n1i, m2i, sd2i, n2i``: arm summaries → MD (default), SMD or ROM;
- ``ri, ni``: correlations and sample sizes → ZCOR (Fisher's z).

>>> rows = [{"study": "a", "yi": "0.1", "sei": "0.2"}, {"study": "b", "yi": "0.3", "sei": "0.1"}]
>>> t = effects_from_rows(rows)
>>> t.labels, t.measure, [round(v, 2) for v in t.vi]
(('a', 'b'), None, [0.04, 0.01])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autoserum.errors import Expected, ValidationError
from autoserum.meta._escalc import (
    CONTINUOUS_MEASURES,
    COUNT_MEASURES,
    escalc_correlations,
    escalc_counts,
    escalc_means,
)

__all__ = ["MEASURES", "EffectTable", "effects_from_rows"]

MEASURES = ("MD", "SMD", "ROM", "RR", "OR", "RD", "PETO", "ZCOR")
_COUNTS = ("ai", "bi", "ci", "di")
_MEANS = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")


@dataclass(frozen=True)
class EffectTable:
    """Labels, effect sizes and variances read from a metafor-style table."""

    labels: tuple[str, ...]
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    measure: str | None
    source_columns: tuple[str, ...]


def _number(rows: Sequence[Mapping[str, str]], col: str) -> list[float]:
    out = []
    for i, row in enumerate(rows):
        raw = (row.get(col) or "").strip()
        try:
            val = float(raw)
        except ValueError:
            raise ValidationError(col, raw, Expected("a number"), location=f"row {i + 2}") from None
        if not math.isfinite(val):
            raise ValidationError(col, raw, Expected("a finite number"), location=f"row {i + 2}")
        out.append(val)
    return out


def effects_from_rows(rows: Sequence[Mapping[str, str]], measure: str | None = None) -> EffectTable:
    """Read study rows (strings, as from ``csv.DictReader``) into effect sizes.

    Row numbers in errors count the header as row 1.
    """
    if not rows:
        raise ValidationError("rows", 0, Expected("at least one study row"))
    if measure is not None and measure not in MEASURES:
        raise ValidationError(
            "measure", measure, Expected("one of %(values)s", values=", ".join(MEASURES))
        )
    cols = set(rows[0])
    if "study" not in cols:
        raise ValidationError("study", None, Expected("a 'study' column with one label per row"))
    labels = tuple((r.get("study") or "").strip() or f"study {i + 1}" for i, r in enumerate(rows))
    if "yi" in cols and ("vi" in cols or "sei" in cols):
        yi = _number(rows, "yi")
        if "vi" in cols:
            vi, used = _number(rows, "vi"), ("yi", "vi")
        else:
            vi, used = [s**2 for s in _number(rows, "sei")], ("yi", "sei")
        return EffectTable(labels, tuple(yi), tuple(vi), measure, used)
    if set(_COUNTS) <= cols:
        m = measure or "RR"
        if m not in COUNT_MEASURES:
            raise ValidationError(
                "measure",
                m,
                Expected("one of %(values)s for counts", values=", ".join(COUNT_MEASURES)),
            )
        es = escalc_counts(m, *(_number(rows, c) for c in _COUNTS))
        return EffectTable(labels, tuple(es.yi.tolist()), tuple(es.vi.tolist()), m, _COUNTS)
    if set(_MEANS) <= cols:
        m = measure or "MD"
        if m not in CONTINUOUS_MEASURES:
            raise ValidationError(
                "measure",
                m,
                Expected(
                    "one of %(values)s for arm summaries", values=", ".join(CONTINUOUS_MEASURES)
                ),
            )
        es = escalc_means(m, *(_number(rows, c) for c in _MEANS))
        return EffectTable(labels, tuple(es.yi.tolist()), tuple(es.vi.tolist()), m, _MEANS)
    if {"ri", "ni"} <= cols:
        if measure not in (None, "ZCOR"):
            raise ValidationError("measure", measure, Expected("ZCOR for correlations"))
        es = escalc_correlations(_number(rows, "ri"), _number(rows, "ni"))
        return EffectTable(
            labels, tuple(es.yi.tolist()), tuple(es.vi.tolist()), "ZCOR", ("ri", "ni")
        )
    raise ValidationError(
        "columns",
        ", ".join(sorted(cols)),
        Expected("study plus yi,vi or yi,sei or ai,bi,ci,di or m1i,sd1i,n1i,m2i,sd2i,n2i or ri,ni"),
    )
