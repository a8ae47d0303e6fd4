"""Priors for the next trial from the evidence registry: a meta-analytic-predictive (MAP) prior
for the control arm's change and a prior for the effect.

MAP prior (Neuenschwander B et al. Clin Trials 2010;7:5-18; Schmidli H et al. Biometrics
2014;70:1023-32): the control arms of past trials are modelled as y_h ~ N(θ_h, s_h²),
θ_h ~ N(μ, τ²); the prior for the new trial's control parameter is the predictive distribution
of θ_new, here computed with :func:`autoserum.meta.bayes_rma` (half-normal prior on τ) and
approximated by the normal with the same mean and SD (its effective sample size is σ²/SD²).
The effect prior is the predictive distribution of a new trial's effect from the registry's
comparable trials, the same way.

What the registry gives and what had to be assumed (``registry_priors``; outcome: % change of
the severity score from baseline, lower is better; δ = control change − therapy change, > 0
favours the therapy):

- control arms: Nahm 2023 saline, SCORAD +10.7% at week 8 (10 completers; sign as printed, see
  the sign-ambiguity flag); Nahm 2020 saline, EASI −20.3% at week 16 (25 randomized). Pittler's
  placebo change is NR. No SD is reported: σ = 40 percentage points is an autoserum default;
- effect of autologous serum: Nahm 2023, δ = 10.7 − (−14.8) = 25.5 points, SE from the exact
  p = 0.006 with a t on 18 df (25.5 / 3.113 = 8.19). Pittler (whole blood, SASSAD points) and
  Nahm 2020 (IgG) are other scales or products and are not used.

>>> control, effect, _ = registry_priors()
>>> round(effect.mean), round(control.ess(SIGMA_PCT_CHANGE), 1)
(24, 2.3)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

from autoserum.errors import Expected, ValidationError
from autoserum.evidence import load_registry
from autoserum.meta import bayes_rma

__all__ = ["SIGMA_PCT_CHANGE", "NormalPrior", "map_prior", "registry_priors"]

#: SD of the % change of a severity score: no trial of the registry reports it (autoserum default).
SIGMA_PCT_CHANGE = 40.0
_TAU_SCALE = 20.0  # half-normal scale of between-trial SD, percentage points


@dataclass(frozen=True)
class NormalPrior:
    """A normal prior with where it came from."""

    mean: float
    sd: float
    label: str
    derivation: tuple[str, ...]

    def ess(self, sigma: float) -> float:
        """Effective sample size for an outcome with SD ``sigma``: σ²/SD²."""
        return sigma**2 / self.sd**2

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = asdict(self)
        out["derivation"] = list(self.derivation)
        return out


def map_prior(
    means: Sequence[float],
    ses: Sequence[float],
    *,
    tau_scale: float,
    label: str,
    derivation: Sequence[str] = (),
) -> NormalPrior:
    """The MAP prior: predictive distribution of a new trial's parameter (normal approximation)."""
    if len(means) != len(ses) or not means:
        raise ValidationError(
            "means", list(means), Expected("one standard error per mean, at least one")
        )
    res = bayes_rma(list(means), [s * s for s in ses], tau_scale=tau_scale, mu_prior_sd=100.0)
    how = (
        *derivation,
        f"MAP: predictive of a new trial from {len(means)} trial(s), {res.method}; normal"
        f" approximation N({res.pred_mean:.2f}, {res.pred_sd:.2f}^2) (95% interval of the"
        f" mixture {res.pred_ci_low:.1f} to {res.pred_ci_high:.1f})",
    )
    return NormalPrior(res.pred_mean, res.pred_sd, label, how)


def _value(result_id: str) -> float:
    res = load_registry().results[result_id]
    if res.value is None:
        raise ValidationError(result_id, "NR", Expected("a reported value"))
    return res.value


def registry_priors(
    *, sigma: float = SIGMA_PCT_CHANGE
) -> tuple[NormalPrior, NormalPrior, tuple[str, ...]]:
    """The control-arm MAP prior, the effect prior and the report of how they were made."""
    if not sigma > 0:
        raise ValidationError("sigma", sigma, Expected("an SD > 0"))
    c23 = _value("nahm2023.scorad.w8.placebo.pct_change")
    n23 = _value("nahm2023.completed.w8.placebo.n")
    c20 = _value("nahm2020.easi.w16.placebo.pct_change")
    n20 = _value("nahm2020.enrolled.w0.placebo.n")
    control = map_prior(
        [c23, c20],
        [sigma / n23**0.5, sigma / n20**0.5],
        tau_scale=_TAU_SCALE,
        label="control-arm % change of severity (saline)",
        derivation=(
            f"Nahm 2023 saline SCORAD {c23:+.1f}% at week 8, n = {n23:.0f} completers"
            " (results.csv; sign as printed)",
            f"Nahm 2020 saline EASI {c20:+.1f}% at week 16, n = {n20:.0f} (results.csv)",
            f"SE = sigma/sqrt(n) with sigma = {sigma:g} points (autoserum default: SD NR)",
        ),
    )
    t23 = _value("nahm2023.scorad.w8.serum.pct_change")
    p23 = _value("nahm2023.scorad.w8.serum-placebo.p_value")
    n_serum = _value("nahm2023.completed.w8.serum.n")
    delta = c23 - t23
    t_stat = float(stats.t.ppf(1 - p23 / 2, n_serum + n23 - 2))
    effect = map_prior(
        [delta],
        [delta / t_stat],
        tau_scale=_TAU_SCALE,
        label="effect of autologous serum, delta = control - serum % change",
        derivation=(
            f"Nahm 2023: delta = {c23:+.1f} - ({t23:+.1f}) = {delta:.1f} points at week 8",
            f"SE = delta / q_t(1 - {p23:g}/2, {n_serum + n23 - 2:.0f}) = {delta:.1f} /"
            f" {t_stat:.3f} = {delta / t_stat:.2f}",
        ),
    )
    report = (
        "The control-arm prior and the effect prior come from the evidence registry:",
        *(f"  control: {x}" for x in control.derivation),
        f"  -> control prior N({control.mean:.1f}, {control.sd:.1f}^2),"
        f" ESS {control.ess(sigma):.1f} patients at sigma = {sigma:g}",
        *(f"  effect: {x}" for x in effect.derivation),
        f"  -> effect prior N({effect.mean:.1f}, {effect.sd:.1f}^2)",
        "  certainty of the source evidence: very low (GRADE, autoserum evidence grade)",
    )
    return control, effect, report
