"""Federated exact ANCOVA and MMRM: sites share sums, the coordinating centre fits.

Both models of :mod:`autoserum.stats` depend on the data only through low-order sums, so a
site can reduce its rows to those sums and the pooled fit can be computed from the sums of all
sites without any row leaving a site:

- the ANCOVA ``lm(y ~ group + baseline)`` through ``n``, the means and the centred
  cross-products of ``(group, baseline, y)``;
- the MMRM (``nlme::gls``, unstructured Σ, REML) through, per missingness pattern P of observed
  visits, ``n_P``, the means and the centred cross-products of ``(group, baseline, y_P)``
  (:mod:`autoserum.stats._mmrm_data` reduces pooled rows to the same statistics).

Sites send means and *centred* cross-products (not raw sums), combined by the parallel
update of Chan, Golub & LeVeque (1979) — ``C = Σ Cᵢ + Σ nᵢ (m̄ᵢ − m̄)(m̄ᵢ − m̄)ᵀ`` — so no
precision is lost to cancellation and the combined fit equals the pooled fit to rounding.

**Small-cell suppression.** No cell is published from fewer than ``min_cell`` subjects: a
pattern whose treatment or control part has 1 to ``min_cell − 1`` subjects is withheld (its
group sums would otherwise be that handful of subjects' values), and so is the ANCOVA block
when one of its arms is that small. When a pattern observed at the ANCOVA week is withheld the
ANCOVA block is withheld too (secondary suppression): subtracting the published patterns from
it would reveal the withheld cell. The combined fit equals the pooled fit only when nothing was
withheld; otherwise :func:`federated_mmrm` / :func:`federated_ancova` refuse, naming the site
and pattern (or, with ``allow_suppressed``, fit the subjects that remain and say so).

Reference: Chan, Golub & LeVeque (1979) "Updating formulae and a pairwise algorithm for
computing sample variances"; Karr et al. (2005) "Secure regression on distributed databases",
J Comput Graph Stat 14:263; Wolfson et al. (2010) DataSHIELD, Int J Epidemiol 39:1372.

>>> import numpy as np
>>> rng = np.random.default_rng(3)
>>> subj = np.repeat(np.arange(40), 2); vis = np.tile([4, 8], 40)
>>> grp = np.repeat(np.arange(40) % 2, 2); base = np.repeat(rng.normal(20, 4, 40), 2)
>>> y = -2.0 * grp + 0.3 * base + rng.normal(0, 2, 80)
>>> a = summarize_site(subj[:40], vis[:40], grp[:40], base[:40], y[:40], week=8)
>>> b = summarize_site(subj[40:], vis[40:], grp[40:], base[40:], y[40:], week=8)
>>> from autoserum.stats import ancova
>>> fed = federated_ancova([a, b]); pooled = ancova(y[vis == 8], grp[vis == 8], base[vis == 8])
>>> abs(fed.estimate - pooled.estimate) < 1e-12, fed.df
(True, 37.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as sps

from autoserum.errors import Expected, Message, StatisticsError, ValidationError
from autoserum.stats._ancova import as_column, as_group
from autoserum.stats._federated_sums import (
    SECONDARY,
    Moments,
    PatternMoments,
    SiteSummary,
    Suppression,
    joined,
    small_cell_reason,
)
from autoserum.stats._mmrm import fit_prepared
from autoserum.stats._mmrm_data import Pattern, PreparedData, prepare
from autoserum.stats._results import Estimate, MMRMResult
from autoserum.stats._validate import check_conf_level

__all__ = ["combined_patterns", "federated_ancova", "federated_mmrm", "summarize_site"]


def _small(n: int, treated: int, min_cell: int) -> str | None:
    """Why a cell of ``n`` subjects (``treated`` of them in the treatment arm) is withheld
    (the English text a site file carries)."""
    for arm, count in (("treatment", treated), ("control", n - treated)):
        if 0 < count < min_cell:
            return str(small_cell_reason(arm, min_cell))
    return None


def summarize_site(
    subject: Any,
    visit: Any,
    group: Any,
    baseline: Any,
    y: Any,
    *,
    week: Any,
    min_cell: int = 5,
) -> SiteSummary:
    """A site's sufficient statistics for the ANCOVA at ``week`` and the MMRM over all visits.

    The arguments are those of :func:`autoserum.stats.mmrm` (long format, one row per subject
    and visit, missing ``y`` as NaN); the ANCOVA uses the rows at ``week`` with a ``y``, as
    the endpoint analysis does. Cells from fewer than ``min_cell`` subjects are withheld
    (module docstring).
    """
    if not isinstance(min_cell, int) or isinstance(min_cell, bool) or min_cell < 1:
        raise ValidationError(
            "min_cell", min_cell, Expected("a whole number of subjects, at least 1")
        )
    data = prepare(subject, visit, group, baseline, y)
    yv = as_column(y, "y")
    visits = np.asarray(visit)
    keep = ~np.isnan(yv)
    levels, inverse = np.unique(visits[keep], return_inverse=True)
    visit_mean = np.bincount(inverse, weights=yv[keep]) / np.bincount(inverse)
    suppressed: list[Suppression] = []
    patterns: list[PatternMoments] = []
    week_withheld = False
    for pat in data.patterns:
        labels = tuple(data.levels[i] for i in pat.visits)
        # prepare's statistics are about the site's centres; move them back to raw means
        n = pat.n
        mean_c = np.concatenate([pat.s_zz[0, 1:], pat.s_yz[:, 0]]) / n
        raw = np.block([[pat.s_zz[1:, 1:], pat.s_yz[:, 1:].T], [pat.s_yz[:, 1:], pat.s_yy]])
        cross = raw - n * np.outer(mean_c, mean_c)
        shift = np.concatenate([[0.0, data.baseline_center], visit_mean[pat.visits]])
        moments = Moments(n=n, mean=mean_c + shift, cross=(cross + cross.T) / 2)
        why = _small(n, moments.treated, min_cell)
        if why is None:
            patterns.append(PatternMoments(visits=labels, moments=moments))
        else:
            suppressed.append(Suppression("mmrm", labels, why))
            week_withheld = week_withheld or week in labels
    if not np.any(levels == week):
        raise ValidationError("week", week, Expected("a visit with outcomes at this site"))
    gv, bv = as_group(group, "group"), as_column(baseline, "baseline")
    at = keep & (visits == week) & ~np.isnan(gv) & ~np.isnan(bv)
    anc = Moments.of(np.column_stack([gv[at], bv[at], yv[at]]))
    why = _small(anc.n, anc.treated, min_cell)
    if why is None and week_withheld:
        why = SECONDARY
    if why is not None:
        suppressed.insert(0, Suppression("ancova", None, why))
    return SiteSummary(
        week=week,
        min_cell=min_cell,
        ancova=anc if why is None else None,
        patterns=tuple(patterns),
        suppressed=tuple(suppressed),
    )


def _refuse_suppressed(
    sites: Sequence[SiteSummary], names: Sequence[str], model: str, allow: bool
) -> list[Message]:
    withheld = [
        Message("site %(site)s withheld %(what)s", site=repr(name), what=s.describe())
        for name, site in zip(names, sites, strict=True)
        for s in site.suppressed
        if s.model == model
    ]
    if withheld and not allow:
        raise StatisticsError(
            Message(
                "federated %(model)s: small-cell suppression removed data, so the combined fit "
                "would not equal the pooled fit: %(withheld)s",
                model=model,
                withheld=joined(withheld),
            )
        )
    return withheld


def _names(sites: Sequence[SiteSummary], names: Sequence[str] | None) -> Sequence[str]:
    if not sites:
        raise ValidationError("sites", 0, Expected("at least one site summary"))
    if names is None:
        return [f"#{i + 1}" for i in range(len(sites))]
    if len(names) != len(sites):
        raise ValidationError(
            "names", len(names), Expected("%(count)s names, one per site", count=len(sites))
        )
    return names


def federated_ancova(
    sites: Sequence[SiteSummary],
    *,
    names: Sequence[str] | None = None,
    conf_level: float = 0.95,
    allow_suppressed: bool = False,
) -> Estimate:
    """The ANCOVA of :func:`autoserum.stats.ancova` on the pooled rows of all sites, from
    their sums: ``b = Cₓₓ⁻¹ Cₓᵧ`` on the pooled centred cross-products of (group, baseline),
    residual SS ``Cᵧᵧ − bᵀCₓᵧ`` on n − 3 df (``lm``'s)."""
    level = check_conf_level(conf_level)
    labels = _names(sites, names)
    _refuse_suppressed(sites, labels, "ancova", allow_suppressed)
    parts = [s.ancova for s in sites if s.ancova is not None]
    if not parts:
        raise StatisticsError(Message("federated ancova: no site contributed an ANCOVA block"))
    m = Moments.combine(parts)
    if m.n < 4:
        raise StatisticsError(Message("ancova: need at least 4 complete rows, got %(n)s", n=m.n))
    if m.treated in (0, m.n):
        raise StatisticsError(
            Message("ancova: both groups (0 = control, 1 = treatment) must be present")
        )
    cxx, cxy, cyy = m.cross[:2, :2], m.cross[:2, 2], float(m.cross[2, 2])
    scale = np.sqrt(np.diag(cxx))
    if scale[1] == 0 or np.linalg.cond(cxx / np.outer(scale, scale)) > 1e10:
        raise StatisticsError(
            Message(
                "ancova: group and baseline are collinear (or baseline is constant); "
                "the adjusted difference cannot be estimated"
            )
        )
    coef = np.linalg.solve(cxx, cxy)
    df = m.n - 3
    rss = cyy - float(coef @ cxy)
    cov = (rss / df) * np.linalg.inv(cxx)
    estimate = float(coef[0])
    se = math.sqrt(max(float(cov[0, 0]), 0.0))
    if se == 0.0:
        raise StatisticsError(Message("ancova: the residual variance is zero (a perfect fit)"))
    tstat = estimate / se
    q = float(sps.t.ppf(1.0 - (1.0 - level) / 2.0, df))
    return Estimate(
        estimate=estimate,
        se=se,
        ci_low=estimate - q * se,
        ci_high=estimate + q * se,
        statistic=tstat,
        df=float(df),
        p_value=float(2.0 * sps.t.sf(abs(tstat), df)),
    )


def combined_patterns(sites: Sequence[SiteSummary]) -> PreparedData:
    """The pooled per-pattern statistics of :func:`autoserum.stats._mmrm_data.prepare`
    (same centring: baseline at its mean over subjects, y at its mean per visit)."""
    by_visits: dict[tuple[Any, ...], list[Moments]] = {}
    for site in sites:
        for p in site.patterns:
            by_visits.setdefault(tuple(p.visits), []).append(p.moments)
    if not by_visits:
        raise StatisticsError(Message("mmrm: no non-missing outcome"))
    levels = np.unique(np.asarray([v for key in by_visits for v in key]))
    index = {v: i for i, v in enumerate(levels.tolist())}
    pooled = {key: Moments.combine(parts) for key, parts in by_visits.items()}
    n_sub = sum(m.n for m in pooled.values())
    center = sum(m.n * float(m.mean[1]) for m in pooled.values()) / n_sub
    t = len(levels)
    total, count = np.zeros(t), np.zeros(t)
    for key, m in pooled.items():
        at = [index[v] for v in key]
        total[at] += m.n * m.mean[2:]
        count[at] += m.n
    visit_mean = total / count
    patterns = []
    for key, m in pooled.items():
        idx = np.array(sorted(index[v] for v in key), dtype=np.intp)
        order = [list(key).index(levels[i].item()) for i in idx]
        cols = [0, 1, *(2 + j for j in order)]
        mean = m.mean[cols]
        cross = m.cross[np.ix_(cols, cols)]
        s = Moments(n=m.n, mean=mean, cross=cross).about(
            np.concatenate([[0.0, center], visit_mean[idx]])
        )
        sums = m.n * (mean - np.concatenate([[0.0, center], visit_mean[idx]]))
        s_zz = np.empty((3, 3))
        s_zz[0, 0] = m.n
        s_zz[0, 1:] = s_zz[1:, 0] = sums[:2]
        s_zz[1:, 1:] = s[:2, :2]
        s_yz = np.column_stack([sums[2:], s[2:, :2]])
        patterns.append(
            (
                int(np.sum(1 << idx.astype(np.int64))),
                Pattern(visits=idx, n=m.n, s_zz=s_zz, s_yz=s_yz, s_yy=s[2:, 2:]),
            )
        )
    patterns.sort(key=lambda item: item[0])
    return PreparedData(
        levels=tuple(levels.tolist()),
        patterns=tuple(p for _, p in patterns),
        n_subjects=n_sub,
        n_observations=int(sum(m.n * (m.mean.size - 2) for m in pooled.values())),
        baseline_center=center,
    )


def federated_mmrm(
    sites: Sequence[SiteSummary],
    *,
    names: Sequence[str] | None = None,
    conf_level: float = 0.95,
    allow_suppressed: bool = False,
) -> MMRMResult:
    """The MMRM of :func:`autoserum.stats.mmrm` on the pooled rows of all sites, fitted by
    REML from their per-pattern sums (same estimates, SEs, df and log-likelihood)."""
    labels = _names(sites, names)
    _refuse_suppressed(sites, labels, "mmrm", allow_suppressed)
    return fit_prepared(combined_patterns(sites), conf_level=conf_level)
