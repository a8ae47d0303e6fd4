"""Assurance: the probability of success of a trial averaged over a prior for the effect
(O'Hagan A, Stevens JW, Campbell MJ. Pharm Stat 2005;4:187-201), for the two-arm parallel design
on a continuous change (SD σ, n per arm), computed two ways: analytically and by simulation.

- ``frequentist``: success = a two-sided two-sample t test at ``alpha`` significant in favour of
  the therapy. Analytic: the noncentral-t power in the favourable direction (as R's
  ``power.t.test``) integrated over the normal effect prior by Gauss–Hermite quadrature (80
  nodes). Simulated: δ drawn from the prior, then the t statistic from its sufficient statistics
  (mean difference ~ N(δ, 2σ²/n), pooled variance ~ σ²χ²(2n − 2)/(2n − 2)).
- ``bayesian`` (the Bayesian design option): success = P(δ > 0 | data) > ``threshold`` with the
  control arm's MAP prior N(m_C, s_C²) in the analysis, a flat prior for the therapy arm and σ
  known. The posterior mean of δ is D = w·ȳ_C + (1 − w)·m_C − ȳ_T with w = (n/σ²)/(n/σ² + 1/s_C²),
  its SD S = √(1/(n/σ² + 1/s_C²) + σ²/n). With θ_C drawn from the MAP prior and δ from the effect
  prior, D ~ N(m_δ, (1 − w)²s_C² + s_δ² + w²σ²/n + σ²/n), so assurance =
  Φ((m_δ − z_threshold·S)/SD(D)) exactly. Simulated: θ_C, δ, ȳ_C, ȳ_T drawn, the rule applied.

>>> from autoserum.design import NormalPrior
>>> prior = NormalPrior(10.0, 5.0, "effect", ())
>>> a = assurance(30, effect_prior=prior, sigma=20.0, simulate=0)
>>> round(a.analytic, 4)
0.4839
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from autoserum.design._priors import NormalPrior
from autoserum.errors import Expected, ValidationError

__all__ = ["AssuranceResult", "assurance"]

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(80)


@dataclass(frozen=True)
class AssuranceResult:
    """Assurance of one design: analytic, simulated (with its Monte-Carlo SE) and inputs."""

    kind: str
    n_per_arm: int
    sigma: float
    alpha: float
    threshold: float | None
    effect_prior: dict[str, Any]
    control_prior: dict[str, Any] | None
    analytic: float
    simulated: float | None
    mc_se: float | None
    reps: int
    seed: int
    power_at_prior_mean: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _power_favourable(delta: np.ndarray, n: int, sigma: float, alpha: float) -> np.ndarray:
    df = 2 * n - 2
    crit = stats.t.ppf(1 - alpha / 2, df)
    ncp = delta / (sigma * math.sqrt(2 / n))
    return np.asarray(stats.nct.sf(crit, df, ncp), dtype=np.float64)


def _check(n: int, sigma: float, alpha: float, simulate: int) -> None:
    if n < 2:
        raise ValidationError("n", n, Expected("at least 2 per arm"))
    if not sigma > 0:
        raise ValidationError("sigma", sigma, Expected("an SD > 0"))
    if not 0 < alpha < 1:
        raise ValidationError("alpha", alpha, Expected("a significance level between 0 and 1"))
    if simulate and simulate < 1000:
        raise ValidationError("simulate", simulate, Expected("0 or at least 1000 replicates"))


def assurance(
    n: int,
    *,
    effect_prior: NormalPrior,
    sigma: float,
    alpha: float = 0.05,
    control_prior: NormalPrior | None = None,
    threshold: float | None = None,
    simulate: int = 100_000,
    seed: int = 1,
) -> AssuranceResult:
    """Assurance of a two-arm trial with ``n`` per arm (frequentist, or Bayesian with
    ``control_prior`` and ``threshold``)."""
    _check(n, sigma, alpha, simulate)
    bayes = control_prior is not None or threshold is not None
    if bayes and (control_prior is None or threshold is None or not 0.5 <= threshold < 1):
        raise ValidationError(
            "threshold",
            threshold,
            Expected("a posterior probability in [0.5, 1) with a control prior"),
        )
    m_d, s_d = effect_prior.mean, effect_prior.sd
    rng = np.random.default_rng(seed)
    se2 = sigma**2 / n
    power_mean = float(_power_favourable(np.array([m_d]), n, sigma, alpha)[0])
    sim = mc = None
    if control_prior is not None and threshold is not None:
        m_c, s_c = control_prior.mean, control_prior.sd
        prec_c = n / sigma**2 + 1 / s_c**2
        w = (n / sigma**2) / prec_c
        post_sd = math.sqrt(1 / prec_c + se2)
        z = float(stats.norm.ppf(threshold))
        sd_d = math.sqrt((1 - w) ** 2 * s_c**2 + s_d**2 + w**2 * se2 + se2)
        analytic = float(stats.norm.cdf((m_d - z * post_sd) / sd_d))
        method = (
            f"Bayesian: success if P(delta > 0 | data) > {threshold:g}; control arm prior ="
            f" MAP N({m_c:.2f}, {s_c:.2f}^2) (ESS {control_prior.ess(sigma):.1f}), flat prior"
            " for the therapy arm, sigma known; analytic closed form"
        )
        if simulate:
            theta_c = rng.normal(m_c, s_c, simulate)
            delta = rng.normal(m_d, s_d, simulate)
            y_c = rng.normal(theta_c, math.sqrt(se2))
            y_t = rng.normal(theta_c - delta, math.sqrt(se2))
            d = w * y_c + (1 - w) * m_c - y_t
            hits = d / post_sd > z
            sim = float(hits.mean())
    else:
        deltas = m_d + s_d * _NODES
        analytic = float(np.sum(_WEIGHTS * _power_favourable(deltas, n, sigma, alpha)))
        analytic /= math.sqrt(2 * math.pi)
        method = (
            "two-sample t test, two-sided alpha, significant in favour of the therapy; analytic:"
            " noncentral-t power integrated over the effect prior (Gauss-Hermite, 80 nodes)"
        )
        if simulate:
            delta = rng.normal(m_d, s_d, simulate)
            diff = rng.normal(delta, math.sqrt(2 * se2))
            df = 2 * n - 2
            s2 = sigma**2 * rng.chisquare(df, simulate) / df
            t = diff / np.sqrt(s2 * 2 / n)
            hits = t > stats.t.ppf(1 - alpha / 2, df)
            sim = float(hits.mean())
    if sim is not None:
        mc = math.sqrt(sim * (1 - sim) / simulate)
    return AssuranceResult(
        kind="bayesian" if bayes else "frequentist",
        n_per_arm=n,
        sigma=sigma,
        alpha=alpha,
        threshold=threshold,
        effect_prior=effect_prior.to_dict(),
        control_prior=control_prior.to_dict() if control_prior is not None else None,
        analytic=analytic,
        simulated=sim,
        mc_se=mc,
        reps=simulate,
        seed=seed,
        power_at_prior_mean=power_mean,
        method=method,
    )
