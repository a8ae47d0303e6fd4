"""Item generators: every value on its instrument's allowed grid, items consistent with the
latent activity (the scoring specification, /work/shared/docs/instruments.md)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoserum.simulate import ItemModel
from autoserum.simulate._items import (
    DLQI_ANSWERS,
    DLQI_Q7,
    DLQI_Q7B,
    EASI_REGIONS,
    GENERATORS,
    Coded,
    Rows,
    easi_grid,
    region_percent,
)

N = 4000


def _rows(activity: float | np.ndarray, seed: int = 1, n: int = N) -> Rows:
    rng = np.random.default_rng(seed)
    act = np.broadcast_to(np.asarray(activity, dtype=np.float64), (n,)).copy()
    return Rows(
        rng=rng,
        activity=act,
        rho=np.exp(rng.normal(0, 0.35, (n, 4))),
        extent=np.exp(rng.normal(0, 0.3, n)),
        itch=np.exp(rng.normal(0, 0.3, n)),
        qol=np.exp(rng.normal(0, 0.35, n)),
        model=ItemModel(),
    )


def _draw(code: str, activity: float | np.ndarray, seed: int = 1) -> dict[str, object]:
    rows = _rows(activity, seed)
    return dict(GENERATORS[code](rows, region_percent(rows)))


@given(st.floats(min_value=-5, max_value=10, allow_nan=False))
def test_easi_grid_only_allowed_values(x: float) -> None:
    # instruments.md: EASI signs 0, 1, 1.5, 2, 2.5, 3 (0.5 is rejected)
    value = float(easi_grid(np.array([x]))[0])
    assert value in {0.0, 1.0, 1.5, 2.0, 2.5, 3.0}


@pytest.mark.parametrize("activity", [0.05, 0.5, 1.0, 2.0, 5.0])
def test_easi_items_on_their_grids(activity: float) -> None:
    items = _draw("easi", activity)
    assert len(items) == 20
    for region in EASI_REGIONS:
        area = np.asarray(items[f"{region}_area"])
        assert set(np.unique(area)) <= set(range(7))
        for sign in ("erythema", "induration", "excoriation", "lichenification"):
            values = np.asarray(items[f"{region}_{sign}"])
            assert set(np.unique(values)) <= {0.0, 1.0, 1.5, 2.0, 2.5, 3.0}


def test_area_zero_exactly_when_no_percent() -> None:
    rows = _rows(np.linspace(0.0, 2.0, N))
    percent = region_percent(rows)
    items = GENERATORS["easi"](rows, percent)
    for r, region in enumerate(EASI_REGIONS):
        area = np.asarray(items[f"{region}_area"])
        assert np.array_equal(area == 0, percent[:, r] == 0)
        # instruments.md area mapping: [10,30) -> 2, [90,100] -> 6
        assert np.all(area[(percent[:, r] >= 10) & (percent[:, r] < 30)] == 2)
        assert np.all(area[percent[:, r] >= 90] == 6)


def test_scorad_items_on_their_grids() -> None:
    items = _draw("scorad", np.linspace(0.0, 4.0, N))
    extent = np.asarray(items["extent"])
    assert extent.min() >= 0
    assert extent.max() <= 100
    assert np.array_equal(extent, np.rint(extent))
    for sign in ("erythema", "edema", "oozing", "excoriation", "lichenification", "dryness"):
        assert set(np.unique(np.asarray(items[sign]))) <= {0, 1, 2, 3}
    for vas in ("pruritus", "sleeplessness"):
        values = np.asarray(items[vas])
        assert values.min() >= 0
        assert values.max() <= 10
        # steps of 0.1: ten times the value is a whole number
        assert np.allclose(values * 10, np.rint(values * 10), atol=1e-9)


def test_dlqi_answer_codes() -> None:
    items = _draw("dlqi", np.linspace(0.0, 4.0, N))
    for q in (1, 2):
        column = items[f"q{q}"]
        assert isinstance(column, Coded)
        # instruments.md: not_relevant is offered on q3-q10 only
        assert set(np.unique(column.codes)) <= {0, 1, 2, 3}
    for q in (3, 4, 5, 6, 8, 9, 10):
        column = items[f"q{q}"]
        assert isinstance(column, Coded)
        assert column.categories == DLQI_ANSWERS
        assert set(np.unique(column.codes)) <= set(range(5))
    q7, q7b = items["q7"], items["q7b"]
    assert isinstance(q7, Coded)
    assert isinstance(q7b, Coded)
    assert q7.categories == DLQI_Q7
    assert q7b.categories == DLQI_Q7B
    # q7b is answered exactly when q7 is "no"
    assert np.array_equal(q7.codes == 0, q7b.codes >= 0)
    assert set(np.unique(q7b.codes)) <= {-1, 0, 1, 2}
    assert {0, 1, 2} <= set(np.unique(q7.codes))


@pytest.mark.parametrize(
    ("code", "top"),
    [("poem", 4), ("sassad", 3), ("pp_nrs", 10), ("sleep_nrs", 10), ("viga_ad", 4)],
)
def test_integer_items_within_range(code: str, top: int) -> None:
    items = _draw(code, np.linspace(0.0, 5.0, N))
    for values in items.values():
        array = np.asarray(values)
        assert array.dtype == np.int8
        assert array.min() == 0
        assert array.max() == top


@pytest.mark.parametrize("code", sorted(GENERATORS))
def test_items_rise_with_activity(code: str) -> None:
    """Every item's mean is higher at activity 1.5 than at 0.5 (consistent with the latent)."""

    def level(column: object) -> float:
        codes = column.codes if isinstance(column, Coded) else np.asarray(column)
        return float(np.clip(codes, 0, 3 if isinstance(column, Coded) else None).mean())

    low, high = _draw(code, 0.5, seed=2), _draw(code, 1.5, seed=2)
    for name in low:
        if (code, name) in {("dlqi", "q7"), ("dlqi", "q7b"), ("patient_global", "effectiveness")}:
            continue
        assert level(high[name]) > level(low[name]), name


@pytest.mark.parametrize("code", sorted(GENERATORS))
def test_resolved_disease_gives_zero_signs(code: str) -> None:
    """At a tiny activity (the case report's resolution) the signs are all 0."""
    if code in {"dlqi", "pp_nrs", "sleep_nrs", "poem", "patient_global"}:
        return
    items = _draw(code, 1e-4)
    for name, values in items.items():
        if name in {"pruritus", "sleeplessness"}:
            continue
        assert float(np.abs(np.asarray(values, dtype=np.float64)).max()) <= 1.0, name


def test_effectiveness_rating_follows_improvement() -> None:
    """patient_global effectiveness (0 very effective ... 4 not effective): missing before
    treatment, better (lower) the more the disease improved."""
    rows = _rows(1.0)
    assert np.isnan(
        np.asarray(GENERATORS["patient_global"](rows, region_percent(rows))["effectiveness"])
    ).all()
    ratings = {}
    for improvement in (0.0, 1.0):
        rows = _rows(1.0)
        rows = Rows(**{**rows.__dict__, "improvement": np.full(N, improvement)})
        values = np.asarray(
            GENERATORS["patient_global"](rows, region_percent(rows))["effectiveness"]
        )
        assert set(np.unique(values)) <= {0.0, 1.0, 2.0, 3.0, 4.0}
        ratings[improvement] = values.mean()
    assert ratings[1.0] < ratings[0.0] - 1
