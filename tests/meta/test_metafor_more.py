"""The measures and estimators added in issue 17 against R's metafor: ZCOR (ri, ni), ROM, PETO;
ML, SJ, EB, HE; the confidence level.

Every expected number comes from ``reference/metafor_reference_more.json``, written by
``reference/reference_more.R`` (metafor 3.8-1, iterative estimators to threshold 1e-12).
Tolerance: 1e-6 relative (absolute 1e-9 near 0).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autoserum.errors import ValidationError
from autoserum.meta import (
    effects_from_rows,
    escalc_correlations,
    escalc_counts,
    escalc_means,
    rma,
)

REF_DIR = Path(__file__).parent / "reference"
REF: dict[str, Any] = json.loads((REF_DIR / "metafor_reference_more.json").read_text())
RTOL, ATOL = 1e-6, 1e-9
KEYS = ("estimate", "se", "ci_low", "ci_high", "statistic", "p_value", "tau2", "i2", "h2", "q")
KEYS_PI = ("pi_low", "pi_high")


def _rows(name: str) -> list[dict[str, str]]:
    with (REF_DIR / name).open(newline="") as fh:
        return list(csv.DictReader(fh))


def _col(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(r[key]) for r in rows]


def _effects(key: str) -> tuple[Any, Any]:
    data, measure = key.split("_")
    if data == "molloy":
        rows = _rows("dat_molloy2014.csv")
        es = escalc_correlations(_col(rows, "ri"), _col(rows, "ni"))
    elif data in ("bcg", "zero"):
        rows = _rows("dat_bcg.csv" if data == "bcg" else "zero_cells.csv")
        es = escalc_counts(measure, *(_col(rows, c) for c in ("ai", "bi", "ci", "di")))
    else:
        rows = _rows("dat_normand1999.csv")
        cols = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
        es = escalc_means(measure, *(_col(rows, c) for c in cols))
    return es.yi, es.vi


@pytest.mark.parametrize("key", ["molloy_ZCOR", "normand_ROM", "bcg_PETO", "zero_PETO"])
def test_new_measures_match_metafor(key: str) -> None:
    # R: escalc("ZCOR", ri=, ni=) / escalc("ROM", m1i=, ...) / escalc("PETO", ai=, ...)
    yi, vi = _effects(key)
    np.testing.assert_allclose(yi, REF[key]["yi"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(vi, REF[key]["vi"], rtol=RTOL, atol=ATOL)


FITS = [
    (key, fit)
    for key in ("molloy_ZCOR", "normand_ROM", "bcg_PETO", "bcg_RR", "normand_SMD")
    for fit in REF[key]["fits"]
]


def _check(res: Any, expected: dict[str, Any], fit: str) -> None:
    out = res.to_dict()
    assert res.k == expected["k"]
    for key in (*KEYS, "q_p_value", *KEYS_PI):
        np.testing.assert_allclose(
            out[key], expected[key], rtol=RTOL, atol=ATOL, err_msg=f"{fit} {key}"
        )


@pytest.mark.parametrize(("key", "fit"), FITS, ids=[f"{k}-{f}" for k, f in FITS])
def test_new_estimators_match_metafor(key: str, fit: str) -> None:
    # R: rma(yi, vi, method = "ML"|"SJ"|"EB"|"HE", test = "z"|"knha"); rtol 1e-6
    if key in ("bcg_RR", "normand_SMD"):
        base = {"bcg_RR": "bcg_RR", "normand_SMD": "normand_SMD"}[key]
        data, measure = base.split("_")
        if data == "bcg":
            rows = _rows("dat_bcg.csv")
            es = escalc_counts(measure, *(_col(rows, c) for c in ("ai", "bi", "ci", "di")))
        else:
            rows = _rows("dat_normand1999.csv")
            cols = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
            es = escalc_means(measure, *(_col(rows, c) for c in cols))
        yi, vi = es.yi, es.vi
    else:
        yi, vi = _effects(key)
    method, test = fit.split("_")
    res = rma(yi, vi, method=method, hk=test == "knha")
    _check(res, REF[key]["fits"][fit], fit)


LEVEL90 = list(REF["bcg_RR"]["level90"])


@pytest.mark.parametrize("fit", LEVEL90)
def test_level_90_matches_metafor(fit: str) -> None:
    # R: rma(yi, vi, method = ..., test = ..., level = 90) on dat.bcg RR; rtol 1e-6
    rows = _rows("dat_bcg.csv")
    es = escalc_counts("RR", *(_col(rows, c) for c in ("ai", "bi", "ci", "di")))
    method, test = fit.split("_")
    res = rma(es.yi, es.vi, method=method, hk=test == "knha", level=0.90)
    _check(res, REF["bcg_RR"]["level90"][fit], fit)


def test_eb_is_the_paule_mandel_root() -> None:
    # metafor's EB iteration converges to Q(tau2) = k - p, the PM estimating equation
    yi, vi = _effects("bcg_PETO")
    assert rma(yi, vi, method="EB").tau2 == pytest.approx(rma(yi, vi, method="PM").tau2, rel=1e-12)


def test_correlation_table_and_bad_input() -> None:
    table = effects_from_rows([{"study": "a", "ri": "0.5", "ni": "28"}])
    assert table.measure == "ZCOR"
    assert table.vi == (0.04,)
    with pytest.raises(ValidationError, match="ri"):
        escalc_correlations([1.0], [20])
    with pytest.raises(ValidationError, match="ni"):
        escalc_correlations([0.2], [3])
    with pytest.raises(ValidationError, match="m1i"):
        escalc_means("ROM", [0.0], [1.0], [10], [1.0], [1.0], [10])
