"""The dense EASI kernel: complete numeric frames in cache-sized chunks.

Used by batch scoring when every EASI item column is numeric and has no missing value (the
common case of a data set to score). It works in the units of
:mod:`autoserum.instruments._kernels` (EASI in 1/20), holding the integers in float64, which
represents them exactly (at most 1440): doubled signs ``t = 2·sign`` must be integers in
{0, 2, 3, 4, 5, 6}, areas integers 0–6, multipliers in tenths. Validation is done by chunk
reductions; a chunk that fails is handed back (``None``) so that the general kernel reports
the exact row, column and value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from autoserum.instruments import easi as easi_module
from autoserum.instruments._model import Instrument

__all__ = ["DenseResult", "easi_dense"]

CHUNK = 16384
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DenseResult:
    """Totals and region scores (divided by 20) and the totals' numerators (int16)."""

    total: Floats
    components: dict[str, Floats]
    keys: npt.NDArray[np.int16]


def _arrays(inst: Instrument, frame: pl.DataFrame) -> dict[str, Any] | None:
    """The item columns as NumPy arrays, or ``None`` when the dense path does not apply."""
    out: dict[str, Any] = {}
    for item in inst.items:
        if item.alternative_to is not None:
            if item.column in frame.columns and frame.get_column(item.column).null_count() < (
                frame.height
            ):
                return None
            continue
        if item.column not in frame.columns:
            return None
        series = frame.get_column(item.column)
        if series.null_count() or not (series.dtype.is_float() or series.dtype.is_integer()):
            return None
        out[item.path] = series.to_numpy()
    return out


def easi_dense(inst: Instrument, frame: pl.DataFrame) -> DenseResult | None:
    """EASI of a complete numeric frame, or ``None`` to use the general path.

    Returns the total and the region scores already divided by 20 (float64; the division of
    exact integers is correctly rounded), and the total's numerators as int16 keys for banding.
    """
    arrays = _arrays(inst, frame)
    if arrays is None:
        return None
    n = frame.height
    regions = easi_module.REGIONS
    signs = [[arrays[f"{r}.{s}"] for s in easi_module.SIGNS] for r in regions]
    areas = [arrays[f"{r}.area"] for r in regions]
    areas_integer = all(a.dtype.kind in "iu" for a in areas)
    age = arrays["age"]
    limit = float(easi_module.CHILD_AGE_LIMIT)
    adult = np.array([float(easi_module.ADULT_MULTIPLIERS[r] * 10) for r in regions])
    kid = np.array([float(easi_module.CHILD_MULTIPLIERS[r] * 10) for r in regions])
    change = kid - adult  # per region: multiplier = adult + change · child
    total = np.empty(n)
    keys = np.empty(n, dtype=np.int16)
    components = {r: np.empty(n) for r in regions}
    x = np.empty((4, 4, CHUNK))
    frac = np.empty((4, 4, CHUNK))
    area = np.empty((4, CHUNK))
    area_frac = np.empty((4, CHUNK))
    s = np.empty((4, CHUNK))
    t = np.empty(CHUNK)
    child = np.empty(CHUNK)
    mult = np.empty(CHUNK)
    ones = np.empty((4, 4, CHUNK), dtype=np.bool_)
    age_max = float(inst.item("age").maximum or 0)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        m = stop - start
        xv, fv, av, sv, tv = x[:, :, :m], frac[:, :, :m], area[:, :m], s[:, :m], t[:m]
        for r in range(4):
            for j in range(4):
                np.multiply(signs[r][j][start:stop], 2.0, out=xv[r, j])
            np.copyto(av[r], areas[r][start:stop], casting="unsafe")
        # doubled signs: integers in [0, 6] other than 1 (no half point below 1)
        np.floor(xv, out=fv)
        np.subtract(xv, fv, out=fv)
        if not (fv.max() == 0 and xv.min() >= 0 and xv.max() <= 6):
            return None
        if np.equal(xv, 1.0, out=ones[:, :, :m]).any():
            return None
        if not (av.min() >= 0 and av.max() <= 6):
            return None
        if not areas_integer:
            np.floor(av, out=area_frac[:, :m])
            np.subtract(av, area_frac[:, :m], out=area_frac[:, :m])
            if area_frac[:, :m].max() != 0:
                return None
        ages = age[start:stop]
        if not (ages.min() >= 0 and ages.max() <= age_max):  # also false for NaN
            return None
        np.less(ages, limit, out=child[:m], casting="unsafe")
        np.add(xv[:, 0], xv[:, 1], out=sv)
        np.add(sv, xv[:, 2], out=sv)
        np.add(sv, xv[:, 3], out=sv)
        np.multiply(sv, av, out=sv)
        for r in range(4):
            if change[r] == 0:
                np.multiply(sv[r], adult[r], out=sv[r])
            else:
                np.multiply(child[:m], change[r], out=mult[:m])
                np.add(mult[:m], adult[r], out=mult[:m])
                np.multiply(sv[r], mult[:m], out=sv[r])
        np.add.reduce(sv, axis=0, out=tv)
        np.copyto(keys[start:stop], tv, casting="unsafe")
        np.divide(tv, 20.0, out=total[start:stop])
        for r, region in enumerate(regions):
            np.divide(sv[r], 20.0, out=components[region][start:stop])
    return DenseResult(total, components, keys)
