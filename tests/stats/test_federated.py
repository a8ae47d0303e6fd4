"""Federated ANCOVA and MMRM equal the pooled fits; small cells are withheld and named.

Expected numbers are the pooled fits of :func:`autoserum.stats.ancova` / :func:`mmrm` on the
same rows (themselves checked against R ``lm`` and ``nlme::gls`` in test_reference.py);
tolerance 1e-10 absolute on estimates, SEs, CIs and p-values, exact on df.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from autoserum.errors import StatisticsError, ValidationError
from autoserum.stats import (
    SiteSummary,
    ancova,
    federated_ancova,
    federated_mmrm,
    mmrm,
    summarize_site,
)

WEEKS = (4.0, 8.0, 12.0)
TOL = 1e-10

Rows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _site(seed: int, n: int, *, shift: float, start: int, small_pattern: bool = False) -> Rows:
    """A site of ``n`` subjects, 1:1, with monotone dropout (seeded, synthetic).

    Dropout is assigned by position so that every pattern × arm cell has at least 5 subjects,
    unless ``small_pattern`` leaves three treated subjects observed at week 8 only."""
    rng = np.random.default_rng(seed)
    cov = np.array([[30.0, 18.0, 12.0], [18.0, 36.0, 22.0], [12.0, 22.0, 44.0]])
    subj, vis, grp, base, y = [], [], [], [], []
    for i in range(n):
        g = i % 2
        b = rng.normal(24.0 + shift, 6.0)
        e = rng.multivariate_normal(np.zeros(3), cov)
        last = 3 if i < n - 20 else (2 if i < n - 10 else 1)
        only = 1 if small_pattern and i in (1, 3, 5) else None
        for j, w in enumerate(WEEKS):
            value = -4.0 * g * (j + 1) / 3 - 0.4 * (b - 24.0) - 2.0 * j + e[j]
            subj.append(start + i)
            vis.append(w)
            grp.append(g)
            base.append(b)
            seen = j < last if only is None else j == only
            y.append(value if seen else np.nan)
    return tuple(np.array(a, dtype=float) for a in (subj, vis, grp, base, y))  # type: ignore[return-value]


SITES = [
    _site(11, 60, shift=0.0, start=0),
    _site(12, 48, shift=3.0, start=1000),
    _site(13, 52, shift=-2.0, start=2000),
]


def _pooled(sites: list[Rows]) -> Rows:
    return tuple(np.concatenate(parts) for parts in zip(*sites, strict=True))  # type: ignore[return-value]


def _summaries(sites: list[Rows], **kw: Any) -> list[SiteSummary]:
    """Each site's summary, sent as JSON text and parsed back, as in the protocol."""
    out = []
    for rows in sites:
        doc = json.dumps(summarize_site(*rows, week=12.0, **kw).to_dict(), allow_nan=False)
        out.append(SiteSummary.from_dict(json.loads(doc)))
    return out


def test_three_sites_equal_the_pooled_mmrm() -> None:
    summaries = _summaries(SITES)
    assert not any(s.suppressed for s in summaries)
    fed = federated_mmrm(summaries)
    pooled = mmrm(*_pooled(SITES))
    assert fed.n_subjects == pooled.n_subjects == 160
    assert fed.n_observations == pooled.n_observations
    assert fed.converged
    assert pooled.converged
    assert fed.log_lik == pytest.approx(pooled.log_lik, abs=1e-8)  # a sum over 400 rows
    for f, p in zip(fed.per_visit, pooled.per_visit, strict=True):
        assert f.visit == p.visit
        assert f.df == p.df
        for key in ("estimate", "se", "ci_low", "ci_high", "p_value"):
            assert getattr(f, key) == pytest.approx(getattr(p, key), abs=TOL), key
    np.testing.assert_allclose(fed.covariance, pooled.covariance, rtol=1e-10)


def test_three_sites_equal_the_pooled_ancova() -> None:
    fed = federated_ancova(_summaries(SITES))
    _subj, vis, grp, base, y = _pooled(SITES)
    at = (vis == 12.0) & ~np.isnan(y)
    pooled = ancova(y[at], grp[at], base[at])
    assert fed.df == pooled.df == at.sum() - 3
    for key in ("estimate", "se", "ci_low", "ci_high", "statistic", "p_value"):
        assert getattr(fed, key) == pytest.approx(getattr(pooled, key), abs=TOL), key


def test_a_site_shares_no_rows_and_no_cell_below_k() -> None:
    text = json.dumps(summarize_site(*SITES[0], week=12.0).to_dict())
    assert "subject" not in text
    summary = SiteSummary.from_dict(json.loads(text))
    cells = [p.moments for p in summary.patterns]
    assert summary.ancova is not None
    for m in [*cells, summary.ancova]:
        assert min(m.treated, m.n - m.treated) >= 5


def test_suppression_names_the_site_and_pattern() -> None:
    sites = [_site(11, 60, shift=0.0, start=0, small_pattern=True), *SITES[1:]]
    summaries = _summaries(sites)
    withheld = summaries[0].suppressed
    assert [(s.model, s.visits) for s in withheld] == [("mmrm", (8.0,))]
    with pytest.raises(
        StatisticsError, match=r"site 'seoul' withheld the MMRM pattern observed at visits \{8\}"
    ):
        federated_mmrm(summaries, names=["seoul", "busan", "osaka"])
    # the ANCOVA at week 12 does not contain the withheld pattern: it is still the pooled fit
    _subj, vis, grp, base, y = _pooled(sites)
    at = (vis == 12.0) & ~np.isnan(y)
    assert federated_ancova(summaries).estimate == pytest.approx(
        ancova(y[at], grp[at], base[at]).estimate, abs=TOL
    )


def test_allowing_suppression_fits_the_subjects_that_remain() -> None:
    sites = [_site(11, 60, shift=0.0, start=0, small_pattern=True), *SITES[1:]]
    fed = federated_mmrm(_summaries(sites), allow_suppressed=True)
    subj, vis, grp, base, y = _pooled(sites)
    dropped = np.isin(subj, [1.0, 3.0, 5.0])
    pooled = mmrm(subj[~dropped], vis[~dropped], grp[~dropped], base[~dropped], y[~dropped])
    for f, p in zip(fed.per_visit, pooled.per_visit, strict=True):
        assert f.estimate == pytest.approx(p.estimate, abs=TOL)
        assert f.se == pytest.approx(p.se, abs=TOL)


def test_secondary_suppression_withholds_the_ancova() -> None:
    # three treated subjects observed at 4 and 12 only: their pattern is withheld, and so is
    # the ANCOVA at week 12 that contains them (subtraction would reveal them)
    subj, vis, grp, base, y = (a.copy() for a in SITES[0])
    for s in (1.0, 3.0, 5.0):
        y[(subj == s) & (vis == 8.0)] = np.nan
    summary = summarize_site(subj, vis, grp, base, y, week=12.0)
    assert summary.ancova is None
    assert [s.model for s in summary.suppressed] == ["ancova", "mmrm"]
    assert "secondary suppression" in summary.suppressed[0].reason
    with pytest.raises(StatisticsError, match="withheld the ANCOVA"):
        federated_ancova([summary])


def test_a_malformed_summary_names_the_field() -> None:
    doc = summarize_site(*SITES[0], week=12.0).to_dict()
    doc["mmrm_patterns"][0]["cross_products"] = [[1.0]]
    with pytest.raises(ValidationError, match=r"mmrm_patterns\[0\]\.cross_products"):
        SiteSummary.from_dict(doc)
    with pytest.raises(ValidationError, match="format"):
        SiteSummary.from_dict({"format": "something else"})


def test_min_cell_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="min_cell"):
        summarize_site(*SITES[0], week=12.0, min_cell=0)
