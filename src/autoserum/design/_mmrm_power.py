"""Power of an MMRM analysis with dropout, by seeded simulation.

Each replicate draws, per subject, a baseline and post-baseline outcomes from a multivariate
normal with SD ``sd`` and compound-symmetric correlation ``rho`` (baseline included); the
therapy arm's mean differs by ``delta × t/t_last`` at visit t (the effect builds up linearly).
Dropout is monotone and completely at random: after each visit a subject still in the study
leaves with the hazard 1 − (1 − ``dropout``)^(1/V), so a fraction ``dropout`` is missing at the
last visit. Each replicate is analysed with :func:`autoserum.stats.mmrm` (as
``nlme::gls(y ~ group*visit + baseline*visit, corSymm, varIdent, REML)``) and the test of the
group difference at the last visit counts as a rejection when p < α. A fit that does not
converge counts as no rejection and is reported.

Replicates are fitted in batches (``batched=True``, the default): the trials in which every
subject completed every visit are fitted together in closed form by
:func:`autoserum.stats.mmrm_complete_batch` (the MMRM of complete data is OLS per visit with the
REML covariance RᵀR/(n − 3)); the others together by the batched REML of
:func:`autoserum.stats.mmrm_batch`, and any trial that one does not answer alone by
:func:`autoserum.stats.mmrm`. The data
are drawn from the same random stream in the same order as the one-trial-at-a-time path
(``batched=False``), so both give the same rejections for the same seed; the tests check it.

With no dropout the MMRM contrast at the last visit equals the ANCOVA at that visit (a
saturated mean model with complete data: GLS = OLS), so the simulated power must agree with
:func:`autoserum.design.power_t_test` ``("ancova", ...)`` within Monte-Carlo error; the tests
check it.

Reference: Lu K, Luo X, Chen PY. Sample size estimation for repeated measures analysis in
randomized clinical trials with missing data. Int J Biostat 2008;4(1):9.

>>> res = simulate_mmrm_power(n=12, delta=8, sd=10, rho=0.5, reps=100, seed=1)
>>> res.reps, res.design
(100, 'mmrm')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from autoserum.design._simulation import SimulatedPower
from autoserum.errors import Expected, StatisticsError, ValidationError
from autoserum.stats import mmrm, mmrm_batch, mmrm_complete_batch

__all__ = ["simulate_mmrm_power"]

FloatArray = np.ndarray
_BATCH = 500  # trials fitted together


def _long(
    post: np.ndarray, baseline: np.ndarray, group: np.ndarray, completed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The long format (subject, visit 1..V, group, baseline, y) of the visits completed."""
    m, v = post.shape
    keep = np.arange(v)[None, :] < completed[:, None]
    subj = np.repeat(np.arange(m), v).reshape(m, v)
    vis = np.tile(np.arange(1, v + 1), (m, 1))
    return (
        subj[keep],
        vis[keep],
        np.repeat(group, v).reshape(m, v)[keep],
        np.repeat(baseline, v).reshape(m, v)[keep],
        post[keep],
    )


def _completed(rng: np.random.Generator, m: int, v: int, hazard: float) -> np.ndarray:
    """Monotone MCAR dropout: the number of post-baseline visits each subject completes."""
    completed = np.full(m, v)
    for j in range(v - 1, -1, -1):
        leave = rng.random(m) < hazard
        completed = np.where(leave, np.minimum(completed, j), completed)
    return completed


def _one_trial(
    rng: np.random.Generator,
    n: int,
    delta: float,
    sd: float,
    rho: float,
    visits: Sequence[float],
    *,
    hazard: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One trial in the long format, drawn with ``Generator.multivariate_normal`` (the
    reference path)."""
    v = len(visits)
    cov = sd**2 * (rho * np.ones((v + 1, v + 1)) + (1 - rho) * np.eye(v + 1))
    draws = rng.multivariate_normal(np.zeros(v + 1), cov, size=2 * n)
    group = np.r_[np.ones(n), np.zeros(n)]
    shift = delta * np.asarray(visits, dtype=float) / float(visits[-1])
    post = draws[:, 1:] + group[:, None] * shift[None, :]
    completed = _completed(rng, 2 * n, v, hazard)
    return _long(post, draws[:, 0], group, completed)


def _mvn_factor(sd: float, rho: float, v: int) -> np.ndarray:
    """The factor ``Generator.multivariate_normal`` (method ``svd``) applies to standard normal
    draws: ``x @ (u √s)ᵀ`` reproduces its output bit for bit without an SVD per trial."""
    cov = sd**2 * (rho * np.ones((v + 1, v + 1)) + (1 - rho) * np.eye(v + 1))
    u, s, _ = np.linalg.svd(cov)
    return np.asarray((u * np.sqrt(s)).T)


def _p_last(
    subj: np.ndarray, vis: np.ndarray, group: np.ndarray, base: np.ndarray, y: np.ndarray, last: int
) -> float | None:
    """p of the MMRM at the last visit, or None when the fit fails or does not converge."""
    try:
        fit = mmrm(subj, vis, group, base, y)
    except StatisticsError:
        return None
    if not fit.converged:
        return None
    return next(e.p_value for e in fit.per_visit if e.visit == last)


def _batch_p_values(
    rng: np.random.Generator,
    reps: int,
    n: int,
    shift: np.ndarray,
    factor: np.ndarray,
    hazard: float,
) -> list[float | None]:
    """p-values of ``reps`` trials: drawn one by one (same stream order as :func:`_one_trial`),
    complete ones fitted together in closed form, the others by the batched REML."""
    v = shift.size
    group = np.r_[np.ones(n), np.zeros(n)]
    post = np.empty((reps, 2 * n, v))
    base = np.empty((reps, 2 * n))
    done = np.empty((reps, 2 * n), dtype=np.int64)
    for r in range(reps):
        draws = rng.standard_normal((2 * n, v + 1)) @ factor
        post[r] = draws[:, 1:] + group[:, None] * shift[None, :]
        base[r] = draws[:, 0]
        done[r] = _completed(rng, 2 * n, v, hazard)
    complete = (done == v).all(axis=1)
    out: list[float | None] = [None] * reps
    if complete.any():
        est = mmrm_complete_batch(group, base[complete], post[complete])
        for index, p in zip(np.flatnonzero(complete), est.p_value, strict=True):
            out[int(index)] = float(p)
    partial = np.flatnonzero(~complete)
    if partial.size:
        y = np.where(np.arange(v)[None, None, :] < done[partial][:, :, None], post[partial], np.nan)
        est = mmrm_batch(group, base[partial], y)
        assert est.converged is not None
        for index, p, ok in zip(partial, est.p_value, est.converged, strict=True):
            i = int(index)
            if ok:
                out[i] = float(p)
            else:  # the batch's estimability checks or optimisation failed: fit it alone
                out[i] = _p_last(*_long(post[i], base[i], group, done[i]), last=v)
    return out


def simulate_mmrm_power(
    *,
    n: int,
    delta: float,
    sd: float,
    rho: float,
    visits: Sequence[float] = (4, 8, 12),
    dropout: float = 0.0,
    reps: int = 200,
    seed: int,
    sig_level: float = 0.05,
    batched: bool = True,
    progress: Callable[[int], None] | None = None,
) -> SimulatedPower:
    """Simulated power of the MMRM test at the last visit, ``n`` randomized per group.

    ``batched=False`` fits one trial at a time (the reference path; same result, slower).
    ``progress``, if given, is called with the number of replicates each step finished.
    """
    if not isinstance(n, int) or n < 5:
        raise ValidationError("n", n, Expected("an integer >= 5 per group"))
    if not sd > 0:
        raise ValidationError("sd", sd, Expected("a standard deviation > 0"))
    if not 0 <= rho < 1:
        raise ValidationError("rho", rho, Expected("a correlation in [0, 1)"))
    if not 0 <= dropout < 0.8:
        raise ValidationError("dropout", dropout, Expected("a fraction in [0, 0.8)"))
    if len(visits) < 2 or list(visits) != sorted(set(visits)) or visits[0] <= 0:
        raise ValidationError("visits", list(visits), Expected("at least two increasing weeks > 0"))
    if not isinstance(reps, int) or reps < 20:
        raise ValidationError("reps", reps, Expected("an integer >= 20 replicates"))
    rng = np.random.default_rng(seed)
    hazard = 1 - (1 - dropout) ** (1 / len(visits))
    last = len(visits)
    p_values: list[float | None] = []
    if batched:
        shift = delta * np.asarray(visits, dtype=float) / float(visits[-1])
        factor = _mvn_factor(sd, rho, len(visits))
        while len(p_values) < reps:
            size = min(_BATCH, reps - len(p_values))
            p_values += _batch_p_values(rng, size, n, shift, factor, hazard)
            if progress is not None:
                progress(size)
    else:
        for _ in range(reps):
            trial = _one_trial(rng, n, delta, sd, rho, visits, hazard=hazard)
            p_values.append(_p_last(*trial, last=last))
            if progress is not None:
                progress(1)
    failures = sum(p is None for p in p_values)
    rejections = sum(p is not None and p < sig_level for p in p_values)
    p = rejections / reps
    se = math.sqrt(p * (1 - p) / reps)
    return SimulatedPower(
        design="mmrm",
        n=n,
        reps=reps,
        seed=seed,
        power=p,
        mc_se=se,
        ci_low=max(0.0, p - 1.959963984540054 * se),
        ci_high=min(1.0, p + 1.959963984540054 * se),
        sig_level=sig_level,
        parameters={
            "delta": delta,
            "sd": sd,
            "rho": rho,
            "dropout": dropout,
            "failed_fits": failures,
        },
        method=(
            f"Monte-Carlo, {reps} replicates, seed {seed}: MVN outcomes (compound symmetry rho), "
            f"monotone MCAR dropout {dropout:g} by the last visit, autoserum.stats.mmrm at visit "
            f"{visits[-1]:g}"
        ),
    )
