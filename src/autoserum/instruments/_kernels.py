"""Batch kernels: integer arithmetic on scaled units, one per kind of instrument.

Each kernel validates the item columns (vectorised), scores the rows it can score on its fast
path (``fast``) as integer numerators over a common ``denominator``, and leaves the other rows
(missing items, alternative item forms) to the exact scalar path. Units:

- EASI in 1/20: signs in halves (×2), multipliers in tenths (×10): region = Σ(2·sign) · area ·
  (10·multiplier), EASI = Σ region / 20.
- SCORAD in 1/50: A in tenths (a = 10·A), C in tenths (c = 10·C): SCORAD = (a + 175·B + 5·c)
  / 50, objective = (a + 175·B) / 50.
- Questionnaires and single items: integer points, denominator 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from autoserum.errors import Expected, ValidationError
from autoserum.instruments import easi as easi_module
from autoserum.instruments import scorad as scorad_module
from autoserum.instruments._columns import (
    Column,
    bad_value,
    choice_codes,
    float_column,
    points_column,
    scaled_column,
)
from autoserum.instruments._easi_dense import easi_dense
from autoserum.instruments._model import Instrument, Item

__all__ = ["KERNELS", "KernelResult"]

Ints = npt.NDArray[Any]  # integers, as int64 or as exactly represented float64
Bools = npt.NDArray[np.bool_]


@dataclass
class KernelResult:
    """Integer numerators over ``denominator`` for the rows in ``fast``."""

    fast: Bools
    denominator: int
    total: Ints
    components: dict[str, Ints]
    extra: dict[str, Ints] = field(default_factory=dict)
    component_missing: dict[str, Bools] = field(default_factory=dict)  # null on fast rows
    divided: bool = False  # total/components already divided by the denominator
    keys: Ints | None = None  # the total's numerators as integers, when ``divided``


def _column(inst: Instrument, frame: pl.DataFrame, path: str, scale: int = 1) -> Column:
    item = inst.item(path)
    if item.kind == "choice":
        return points_column(frame, item)
    return scaled_column(frame, item, scale)


def _all_present(columns: Sequence[Column], n: int) -> Bools:
    fast = np.ones(n, dtype=np.bool_)
    for col in columns:
        if not col.complete:
            fast &= col.present
    return fast


def easi_kernel(inst: Instrument, frame: pl.DataFrame) -> KernelResult:
    """EASI in units of 1/20 (see the module docstring)."""
    n = frame.height
    dense = easi_dense(inst, frame)
    if dense is not None:
        return KernelResult(
            np.ones(n, dtype=np.bool_),
            20,
            dense.total,
            dense.components,
            divided=True,
            keys=dense.keys,
        )
    age, age_present, age_exact = float_column(frame, inst.item("age"))
    fast = age_present.copy() if age_exact else np.zeros(n, dtype=np.bool_)
    child = age < float(easi_module.CHILD_AGE_LIMIT)
    components: dict[str, Ints] = {}
    total = np.zeros(n, dtype=np.int64)
    for region in easi_module.REGIONS:
        signs = [_column(inst, frame, f"{region}.{s}", 2) for s in easi_module.SIGNS]
        area_col = _column(inst, frame, f"{region}.area")
        area = area_col.values
        pct_item = inst.item(f"{region}.area_percent")
        pct, pct_present, pct_exact = float_column(frame, pct_item)
        area_present = area_col.present
        if pct_present.any():
            if not pct_exact:
                fast &= ~pct_present
            mapped = np.zeros(n, dtype=np.int64)
            for low, score in easi_module.AREA_PERCENT_BOUNDS:
                mapped = np.where(
                    (pct > float(low)) | ((pct == float(low)) & (low > 0)), score, mapped
                )
            clash = pct_present & area_present & (mapped != area) & pct_exact
            if clash.any():
                series = frame.get_column(pct_item.column)
                err = bad_value(pct_item, series, clash)
                raise ValidationError(
                    err.field,
                    err.value,
                    Expected(
                        "a percentage agreeing with %(region)s_area (%(area_percent_text)s)",
                        region=region,
                        area_percent_text=easi_module.AREA_PERCENT_TEXT[
                            int(area[np.flatnonzero(clash)[0]])
                        ],
                    ),
                    location=err.location,
                )
            area = np.where(area_present, area, mapped)
            area_present = area_present | pct_present
        sign_sum = signs[0].values + signs[1].values + signs[2].values + signs[3].values
        if not all(s.complete for s in signs):
            fast &= area_present & ((area == 0) | _all_present(signs, n))
        elif not area_col.complete or pct_present.any():
            fast &= area_present
        adult = int(easi_module.ADULT_MULTIPLIERS[region] * 10)
        kid = int(easi_module.CHILD_MULTIPLIERS[region] * 10)
        region_score = sign_sum * area
        if adult == kid:
            region_score *= adult
        else:
            region_score *= np.where(child, kid, adult)
        components[region] = region_score
        total += region_score
    return KernelResult(fast, 20, total, components)


def scorad_kernel(inst: Instrument, frame: pl.DataFrame) -> KernelResult:
    """SCORAD and objective SCORAD in units of 1/50 (see the module docstring)."""
    n = frame.height
    extent = _column(inst, frame, "extent", 10)
    grades = [_column(inst, frame, s) for s in scorad_module.INTENSITY]
    subjective = [_column(inst, frame, s, 10) for s in scorad_module.SUBJECTIVE]
    fast = _all_present([extent, *grades, *subjective], n)
    for region in scorad_module.EXTENT_REGIONS:
        col = _column(inst, frame, f"extent_regions.{region}", 10)
        fast &= ~col.present  # the per-region form is scored by the scalar path
    flag_column = inst.item("patient_reported").column
    if flag_column in frame.columns:
        series = frame.get_column(flag_column)
        if series.dtype not in (pl.Boolean, pl.Null):
            fast &= series.is_null().to_numpy()  # the scalar path names the bad value
    a = extent.values
    b = grades[0].values
    for g in grades[1:]:
        b = b + g.values
    c = subjective[0].values + subjective[1].values
    objective = a + 175 * b
    return KernelResult(
        fast,
        50,
        objective + 5 * c,
        {"extent_a": 5 * a, "intensity_b": 50 * b, "subjective_c": 5 * c},
        extra={"objective": objective},
    )


Combine = Callable[[Instrument, pl.DataFrame], tuple[dict[str, Column], Bools | None]]


def sum_kernel(
    total_items: Sequence[str],
    subscales: Mapping[str, Sequence[str]],
    combine: Combine | None = None,
    *,
    tolerated: int = 0,
) -> Callable[[Instrument, pl.DataFrame], KernelResult]:
    """A kernel for sums of integer points.

    Up to ``tolerated`` missing items of ``total_items`` score 0 (the "one unanswered question"
    rule); a component with a missing item is null. Items outside ``total_items`` (patient
    global ``effectiveness``) may be missing. Other rows, and rows ``combine`` flags as
    inconsistent, use the scalar path (which explains or rejects them).
    """

    def kernel(inst: Instrument, frame: pl.DataFrame) -> KernelResult:
        n = frame.height
        columns, invalid = combine(inst, frame) if combine is not None else ({}, None)
        for item in inst.items:
            if item.path not in columns and item.condition is None:
                columns[item.path] = _column(inst, frame, item.path)
        missing_count = np.zeros(n, dtype=np.int64)
        total = np.zeros(n, dtype=np.int64)
        for path in total_items:
            total += columns[path].values
            if not columns[path].complete:
                missing_count += ~columns[path].present
        fast = missing_count <= tolerated
        if invalid is not None:
            fast &= ~invalid
        components = {}
        component_missing = {}
        for name, paths in subscales.items():
            part = np.zeros(n, dtype=np.int64)
            gap = np.zeros(n, dtype=np.bool_)
            for path in paths:
                part += columns[path].values
                if not columns[path].complete:
                    gap |= ~columns[path].present
            components[name] = part
            if gap.any():
                component_missing[name] = gap
        return KernelResult(fast, 1, total, components, component_missing=component_missing)

    return kernel


def dlqi_q7(inst: Instrument, frame: pl.DataFrame) -> tuple[dict[str, Column], Bools | None]:
    """DLQI q7 with q7b as one question (answered: q7 yes/not_relevant, or no with q7b).

    Rows where q7b is given although q7 is not ``no`` are flagged for the scalar path, which
    rejects them.
    """
    q7_item: Item = inst.item("q7")
    q7b = points_column(frame, inst.item("q7b"))
    q7 = points_column(frame, q7_item)
    if not q7.present.any():
        return {"q7": q7}, q7b.present if q7b.present.any() else None
    series = frame.get_column(q7_item.column)
    if isinstance(series.dtype, pl.Categorical | pl.Enum):
        series = series.cast(pl.String)
    assert q7_item.allowed is not None
    is_no = (choice_codes(q7_item, series) == q7_item.allowed.index("no")) & q7.present
    points = np.where(is_no, q7b.values, q7.values)
    answered = q7.present & np.where(is_no, q7b.present, True)
    invalid = q7b.present & ~is_no
    return {"q7": Column(points, answered, False)}, invalid


def _registry_kernels() -> dict[str, Callable[[Instrument, pl.DataFrame], KernelResult]]:
    from autoserum.instruments import cdlqi, dlqi, poem, sassad

    dlqi_questions = [f"q{i}" for i in range(1, 11)]
    sassad_items = [f"{site}.{sign}" for site in sassad.SITES for sign in sassad.SIGNS]
    return {
        "easi": easi_kernel,
        "scorad": scorad_kernel,
        "dlqi": sum_kernel(dlqi_questions, dlqi.DLQI_SUBSCALES, dlqi_q7, tolerated=1),
        "cdlqi": sum_kernel(dlqi_questions, cdlqi.CDLQI_SUBSCALES, tolerated=1),
        "poem": sum_kernel(list(poem.POEM_ITEMS), {}, tolerated=1),
        "sassad": sum_kernel(
            sassad_items,
            {site: [f"{site}.{sign}" for sign in sassad.SIGNS] for site in sassad.SITES},
        ),
        "pp_nrs": sum_kernel(["score"], {}),
        "sleep_nrs": sum_kernel(["score"], {}),
        "viga_ad": sum_kernel(["grade"], {}),
        "patient_global": sum_kernel(
            ["status"],
            {"disease_status": ["status"], "treatment_effectiveness": ["effectiveness"]},
        ),
    }


KERNELS = _registry_kernels()
