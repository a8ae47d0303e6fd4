"""autoserum.meta against R's metafor on data sets that ship with metafor.

Every expected number comes from ``reference/metafor_reference.json``, written by
``reference/reference.R`` (metafor 3.8-1: ``escalc``, ``rma``, ``confint``, ``predict``,
``leave1out``; iterative estimators run to threshold 1e-12). Tolerance: 1e-6 relative
(absolute 1e-9 for values near 0).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autoserum.meta import (
    escalc_counts,
    escalc_means,
    leave_one_out,
    rma,
    subgroup_analysis,
)

REF_DIR = Path(__file__).parent / "reference"
REF: dict[str, Any] = json.loads((REF_DIR / "metafor_reference.json").read_text())
RTOL, ATOL = 1e-6, 1e-9


def _rows(name: str) -> list[dict[str, str]]:
    with (REF_DIR / name).open(newline="") as fh:
        return list(csv.DictReader(fh))


def _col(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(r[key]) for r in rows]


BCG = _rows("dat_bcg.csv")
NORMAND = _rows("dat_normand1999.csv")
ZERO = _rows("zero_cells.csv")


def _counts(rows: list[dict[str, str]], measure: str) -> tuple[Any, Any]:
    es = escalc_counts(measure, *(_col(rows, c) for c in ("ai", "bi", "ci", "di")))
    return es.yi, es.vi


def _means(measure: str) -> tuple[Any, Any]:
    cols = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
    es = escalc_means(measure, *(_col(NORMAND, c) for c in cols))
    return es.yi, es.vi


def _data(key: str) -> tuple[Any, Any, list[str], list[dict[str, str]]]:
    data, measure = key.split("_")
    if data == "bcg":
        yi, vi = _counts(BCG, measure)
        return yi, vi, [r["alloc"] for r in BCG], BCG
    yi, vi = _means(measure)
    return yi, vi, [r["group"] for r in NORMAND], NORMAND


DATASETS = ["bcg_RR", "bcg_OR", "bcg_RD", "normand_MD", "normand_SMD"]
FITS = [(d, f) for d in DATASETS for f in REF[d]["fits"]]


@pytest.mark.parametrize("key", DATASETS)
def test_escalc_matches_metafor(key: str) -> None:
    # R: escalc(measure, ai=, bi=, ci=, di=) / escalc(measure, m1i=, ..., n2i=); rtol 1e-6
    yi, vi, _, _ = _data(key)
    np.testing.assert_allclose(yi, REF[key]["yi"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(vi, REF[key]["vi"], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_escalc_zero_cells_match_metafor(measure: str) -> None:
    # R: escalc(measure, ..., data = zero_cells) (add = 1/2, to = "only0"); rtol 1e-6
    yi, vi = _counts(ZERO, measure)
    np.testing.assert_allclose(yi, REF[f"zero_{measure}"]["yi"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(vi, REF[f"zero_{measure}"]["vi"], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("key", "fit"), FITS)
def test_rma_matches_metafor(key: str, fit: str) -> None:
    # R: rma(yi, vi, method = <FE|DL|REML|PM>, test = <"z"|"knha">); confint(); predict(); 1e-6
    method, test = fit.split("_")
    yi, vi, _, _ = _data(key)
    res = rma(yi, vi, method=method, hk=test == "knha").to_dict()
    expected = REF[key]["fits"][fit]
    for name, value in expected.items():
        assert res[name] == pytest.approx(value, rel=RTOL, abs=ATOL), name


@pytest.mark.parametrize(("key", "fit"), FITS)
def test_subgroup_test_matches_metafor(key: str, fit: str) -> None:
    # R: rma(yi, vi, mods = ~ factor(group), method=, test=): QM, QMdf, QMp, tau2, QE; 1e-6
    method, test = fit.split("_")
    yi, vi, groups, _ = _data(key)
    res = subgroup_analysis(yi, vi, groups, method=method, hk=test == "knha")
    sub = "subgroup_alloc" if key.startswith("bcg") else "subgroup_group"
    expected = REF[key][sub][fit]
    assert res.qm == pytest.approx(expected["qm"], rel=RTOL, abs=ATOL)
    assert res.qm_df1 == expected["qm_df1"]
    assert res.qm_df2 == expected["qm_df2"]
    assert res.qm_p_value == pytest.approx(expected["qm_p_value"], rel=RTOL, abs=ATOL)
    assert res.tau2_residual == pytest.approx(expected["tau2"], rel=RTOL, abs=ATOL)
    assert res.qe == pytest.approx(expected["qe"], rel=RTOL, abs=ATOL)
    np.testing.assert_allclose(res.coefficients, expected["coef"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(res.coefficient_se, expected["se"], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("key", DATASETS)
@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM"])
def test_leave_one_out_matches_metafor(key: str, method: str) -> None:
    # R: leave1out(rma(yi, vi, method = method)); rtol 1e-6
    yi, vi, _, rows = _data(key)
    res = rma(yi, vi, method=method, labels=[r["study"] for r in rows])
    loo = [x.to_dict() for x in leave_one_out(res)]
    expected = REF[key]["leave1out"][method]
    names = ["estimate", "se", "ci_low", "ci_high", "p_value", "q", "i2"]
    if method == "FE":  # metafor's leave1out has no tau2 column for FE: it is 0 by definition
        assert all(x["tau2"] == 0.0 for x in loo)
    else:
        names.append("tau2")
    for name in names:
        np.testing.assert_allclose(
            [x[name] for x in loo], expected[name], rtol=RTOL, atol=ATOL, err_msg=name
        )
    assert [x["omitted"] for x in loo] == [r["study"] for r in rows]
