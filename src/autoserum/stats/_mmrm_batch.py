"""The MMRM of many complete-data trials at once, in closed form.

With every subject observed at every visit, the MMRM of :func:`autoserum.stats.mmrm` (saturated
mean ``group * visit + baseline * visit``, unstructured covariance, REML) is a multivariate
linear regression with the same regressors z = (1, group, baseline) at every visit. Its GLS
estimate is then ordinary least squares visit by visit, and the REML estimate of the
unstructured covariance is the residual cross-product over n − 3 (Anderson 2003, §8.2; the
REML of a multivariate regression is its unbiased estimator). So the treatment difference at
visit v, its SE and the t test are

    d̂_v = [(ZᵀZ)⁻¹ Zᵀ y_v]_group,   SE² = RSS_v / (n − 3) · [(ZᵀZ)⁻¹]_group,group,

with N − 3T degrees of freedom (N = nT observations), as ``summary.gls`` and
:func:`~autoserum.stats.mmrm` use. One array pass fits thousands of trials; the iterative REML
of :func:`~autoserum.stats.mmrm` converges to the same values (to its optimisation tolerance),
which the tests check replicate by replicate.

Reference: Anderson TW. An Introduction to Multivariate Statistical Analysis, 3rd ed. Wiley
2003; Pinheiro & Bates (2000) §5.1.

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> group = np.r_[np.ones(20), np.zeros(20)]
>>> base = rng.normal(20, 4, (3, 40))
>>> y = rng.normal(0, 2, (3, 40, 2)) - 2.0 * group[None, :, None]
>>> est = mmrm_complete_batch(group, base, y)
>>> est.estimate.shape, float(est.df)
((3,), 74.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from autoserum.errors import ValidationError

__all__ = ["BatchEstimate", "mmrm_complete_batch"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BatchEstimate:
    """Per trial: the treatment − control difference at one visit, its SE, t and p (arrays of
    one value per trial) and the common degrees of freedom."""

    estimate: FloatArray
    se: FloatArray
    t: FloatArray
    p_value: FloatArray
    df: float


def mmrm_complete_batch(group: Any, baseline: Any, y: Any, *, visit: int = -1) -> BatchEstimate:
    """The MMRM's treatment difference at ``visit`` (an index into the last axis of ``y``) for
    a batch of complete-data trials.

    ``y`` is trials × subjects × visits (no missing values), ``baseline`` trials × subjects,
    ``group`` (1 treatment, 0 control) subjects or trials × subjects. Equal, trial by trial, to
    :func:`autoserum.stats.mmrm` on the long format of the same data.
    """
    yv = np.asarray(y, dtype=np.float64)
    if yv.ndim != 3 or yv.shape[1] < 4 or yv.shape[2] < 1:
        raise ValidationError("y", f"shape {yv.shape}", "trials x subjects (>= 4) x visits")
    if not np.isfinite(yv).all():
        raise ValidationError("y", "missing values", "complete data (use mmrm per trial)")
    reps, n, t = yv.shape
    base = np.broadcast_to(np.asarray(baseline, dtype=np.float64), (reps, n))
    grp = np.broadcast_to(np.asarray(group, dtype=np.float64), (reps, n))
    z = np.stack([np.ones((reps, n)), grp, base], axis=2)  # reps x n x 3
    ztz_inv = np.linalg.inv(np.swapaxes(z, 1, 2) @ z)  # reps x 3 x 3
    target = yv[:, :, visit]  # reps x n
    coef = np.einsum("rij,rnj,rn->ri", ztz_inv, z, target)
    resid = target - np.einsum("rnj,rj->rn", z, coef)
    sigma = np.einsum("rn,rn->r", resid, resid) / (n - 3)
    se = np.sqrt(sigma * ztz_inv[:, 1, 1])
    df = float(n * t - 3 * t)
    tstat = coef[:, 1] / se
    p = np.asarray(2.0 * sps.t.sf(np.abs(tstat), df), dtype=np.float64)
    return BatchEstimate(estimate=coef[:, 1], se=se, t=tstat, p_value=p, df=df)
