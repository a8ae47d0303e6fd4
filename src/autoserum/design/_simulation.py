"""Power by seeded Monte-Carlo simulation, for tests without a closed-form power.

Each replicate draws normal change scores (mean ``delta`` in the treated arm, 0 in the control,
SD ``sd``), runs the test at two-sided level α and counts rejections. The Monte-Carlo standard
error is √(p(1 − p)/reps). Tests: ``paired`` (one-sample t on the change), ``two_sample``
(Student t), ``wilcoxon`` (signed-rank on the change) and ``mann_whitney`` (rank-sum), the rank
tests run by :mod:`autoserum.stats` exactly as the trial analysis runs them (as R
``wilcox.test``: exact p for small samples without ties, continuity-corrected normal otherwise).
Where an analytic power exists (the t tests) the simulated power agrees with it within
Monte-Carlo error, which the tests check.

Reference: Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate statistical
methods. Stat Med 2019;38:2074–102 (Monte-Carlo SE).

>>> res = simulate_power("paired", n=20, delta=0.5, sd=1.0, reps=500, seed=1)
>>> res.reps, 0 < res.power < 1
(500, True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from autoserum.design._json import json_ready
from autoserum.errors import Expected, ValidationError
from autoserum.stats import mann_whitney, wilcoxon_signed_rank

__all__ = ["DESIGNS_SIMULATED", "SimulatedPower", "simulate_power"]

DESIGNS_SIMULATED = ("paired", "two_sample", "wilcoxon", "mann_whitney")
_BATCH = 2000


@dataclass(frozen=True)
class SimulatedPower:
    """Simulated power with its Monte-Carlo error."""

    design: str
    n: int
    reps: int
    seed: int
    power: float
    mc_se: float
    ci_low: float
    ci_high: float
    sig_level: float
    parameters: dict[str, float]
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (a non-finite float is ``None``)."""
        return dict(json_ready(asdict(self)))


def _p_values(design: str, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    n = x.shape[1]
    if design == "paired":
        t = x.mean(axis=1) / (x.std(axis=1, ddof=1) / math.sqrt(n))
        return np.asarray(2 * stats.t.sf(np.abs(t), n - 1))
    if design == "wilcoxon":
        return np.array([wilcoxon_signed_rank(row).p_value for row in x])
    if y is None:  # pragma: no cover - two-arm designs always draw y
        raise ValidationError("design", design, Expected("a two-arm design with a control sample"))
    if design == "two_sample":
        sp2 = (x.var(axis=1, ddof=1) + y.var(axis=1, ddof=1)) / 2
        t = (x.mean(axis=1) - y.mean(axis=1)) / np.sqrt(sp2 * 2 / n)
        return np.asarray(2 * stats.t.sf(np.abs(t), 2 * n - 2))
    return np.array([mann_whitney(a, b).p_value for a, b in zip(x, y, strict=True)])


def simulate_power(
    design: str,
    *,
    n: int,
    delta: float,
    sd: float,
    reps: int = 2000,
    seed: int,
    sig_level: float = 0.05,
) -> SimulatedPower:
    """Simulated power of ``design`` with ``n`` per group (seeded, reproducible)."""
    if design not in DESIGNS_SIMULATED:
        raise ValidationError(
            "design", design, Expected("one of %(values)s", values=", ".join(DESIGNS_SIMULATED))
        )
    if not isinstance(n, int) or n < 3:
        raise ValidationError("n", n, Expected("an integer >= 3 per group"))
    if not isinstance(reps, int) or reps < 100:
        raise ValidationError("reps", reps, Expected("an integer >= 100 replicates"))
    if not sd > 0:
        raise ValidationError("sd", sd, Expected("a standard deviation > 0"))
    if not 0 < sig_level < 1:
        raise ValidationError("sig_level", sig_level, Expected("a number strictly between 0 and 1"))
    rng = np.random.default_rng(seed)
    two_arm = design in ("two_sample", "mann_whitney")
    rejections = 0
    done = 0
    while done < reps:
        m = min(_BATCH, reps - done)
        x = rng.normal(delta, sd, size=(m, n))
        y = rng.normal(0.0, sd, size=(m, n)) if two_arm else None
        rejections += int(np.sum(_p_values(design, x, y) < sig_level))
        done += m
    p = rejections / reps
    se = math.sqrt(p * (1 - p) / reps)
    return SimulatedPower(
        design=design,
        n=n,
        reps=reps,
        seed=seed,
        power=p,
        mc_se=se,
        ci_low=max(0.0, p - 1.959963984540054 * se),
        ci_high=min(1.0, p + 1.959963984540054 * se),
        sig_level=sig_level,
        parameters={"delta": delta, "sd": sd},
        method=f"Monte-Carlo, {reps} replicates, seed {seed}, normal data; test: {design}",
    )
