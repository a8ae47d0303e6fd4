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

import numpy as np
import numpy.typing as npt
import polars as pl

from autoserum.errors import ValidationError
from autoserum.instruments import easi as easi_module
from autoserum.instruments import scorad as scorad_module
from autoserum.instruments._columns import (
    Column,
    bad_value,
    float_column,
    points_column,
    scaled_column,
)
from autoserum.instruments._model import Instrument, Item

__all__ = ["KERNELS", "KernelResult"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass
class KernelResult:
    """Integer numerators over ``denominator`` for the rows in ``fast``."""

    fast: Bools
    denominator: int
    total: Ints
    components: dict[str, Ints]
    extra: dict[str, Ints] = field(default_factory=dict)


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
                    f"a percentage agreeing with {region}_area "
                    f"({easi_module.AREA_PERCENT_TEXT[int(area[np.flatnonzero(clash)[0]])]})",
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


def sum_kernel(
    total_items: Sequence[str],
    subscales: Mapping[str, Sequence[str]],
    combine: Callable[[Instrument, pl.DataFrame], dict[str, Column]] | None = None,
) -> Callable[[Instrument, pl.DataFrame], KernelResult]:
    """A kernel for sums of integer points; rows with any missing item use the scalar path."""

    def kernel(inst: Instrument, frame: pl.DataFrame) -> KernelResult:
        n = frame.height
        columns = combine(inst, frame) if combine is not None else {}
        for item in inst.items:
            if item.path not in columns and item.condition is None:
                columns[item.path] = _column(inst, frame, item.path)
        fast = _all_present(list(columns.values()), n)
        total = np.zeros(n, dtype=np.int64)
        for path in total_items:
            total += columns[path].values
        components = {}
        for name, paths in subscales.items():
            part = np.zeros(n, dtype=np.int64)
            for path in paths:
                part += columns[path].values
            components[name] = part
        return KernelResult(fast, 1, total, components)

    return kernel


def dlqi_q7(inst: Instrument, frame: pl.DataFrame) -> dict[str, Column]:
    """DLQI q7 with q7b as one question: fast only where the pair is consistent."""
    q7_item: Item = inst.item("q7")
    q7b = points_column(frame, inst.item("q7b"))
    n = frame.height
    if q7_item.column not in frame.columns:
        return {"q7": Column(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.bool_), False)}
    series = frame.get_column(q7_item.column)
    if series.dtype in (pl.Null,):
        return {"q7": Column(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.bool_), False)}
    q7 = points_column(frame, q7_item)
    is_no = (series.cast(pl.String) == "no").fill_null(False).to_numpy()
    points = np.where(is_no, q7b.values, q7.values)
    consistent = np.where(is_no, q7b.present, ~q7b.present)
    return {"q7": Column(points, q7.present & consistent, False)}


def _registry_kernels() -> dict[str, Callable[[Instrument, pl.DataFrame], KernelResult]]:
    from autoserum.instruments import cdlqi, dlqi, poem, sassad

    dlqi_questions = [f"q{i}" for i in range(1, 11)]
    sassad_items = [f"{site}.{sign}" for site in sassad.SITES for sign in sassad.SIGNS]
    return {
        "easi": easi_kernel,
        "scorad": scorad_kernel,
        "dlqi": sum_kernel(dlqi_questions, dlqi.DLQI_SUBSCALES, dlqi_q7),
        "cdlqi": sum_kernel(dlqi_questions, cdlqi.CDLQI_SUBSCALES),
        "poem": sum_kernel(list(poem.POEM_ITEMS), {}),
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
