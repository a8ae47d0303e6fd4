"""Laboratory values of a visit: log-normal, tied to the subject's severity and the arm.

Total IgE and eosinophils: the subject's level (between-subject, correlated with the usual
severity) moves with the change of the latent severity (``severity_slope``); IL-10, IFN-gamma
and CD4+IL-10+ T cells carry the arm's specific effect with the effect's time course. Values
are rounded to the precision a laboratory reports (IgE 0.1 kU/L, counts 0.01 x10^9/L).

>>> float(rounded(np.array([1.234]), 1)[0])
1.2
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from autoserum.errors import Expected, ValidationError
from autoserum.simulate._latent import Subjects
from autoserum.simulate._model import Scenario, VisitSpec
from autoserum.simulate._streams import Draws

__all__ = ["draw_labs", "rounded"]

FloatArray = NDArray[np.float64]


def rounded(values: FloatArray, decimals: int) -> FloatArray:
    """Round a lab value to the precision a laboratory reports."""
    return np.asarray(np.round(values, decimals), dtype=np.float64)


def draw_labs(
    rng: Draws,
    scenario: Scenario,
    visit: VisitSpec,
    subjects: Subjects,
    z: FloatArray,
    specific: FloatArray,
) -> dict[str, FloatArray]:
    """The visit's labs for the present subjects.

    ``z``: latent log activity per subject; ``specific``: the arm's specific shift of
    (log IgE, log IL-10, log IFN-gamma, log CD4+IL-10+ %) at this visit, subjects x 4.
    """
    labs = scenario.labs
    n = z.shape[0]
    change = z - subjects.usual
    out: dict[str, FloatArray] = {}
    for code in visit.labs:
        if code == "ige":
            log_value = subjects.ige + labs.ige_severity_slope * change - specific[:, 0]
            value = rounded(np.exp(log_value + labs.ige_visit_sd * rng.standard_normal(n)), 1)
        elif code == "eosinophils":
            log_value = subjects.eos + labs.eos_severity_slope * change
            value = rounded(np.exp(log_value + labs.eos_visit_sd * rng.standard_normal(n)), 2)
        elif code == "eosinophils_pct":
            log_count = subjects.eos + labs.eos_severity_slope * change
            log_count = log_count + labs.eos_visit_sd * rng.standard_normal(n)
            leukocytes = labs.leukocytes_log_mean + labs.leukocytes_log_sd * rng.standard_normal(n)
            value = rounded(100.0 * np.exp(log_count - leukocytes), 1)
        elif code in {"il10", "ifng", "treg_il10"}:
            column = {"il10": 1, "ifng": 2, "treg_il10": 3}[code]
            base = {"il10": subjects.il10, "ifng": subjects.ifng, "treg_il10": subjects.treg}[code]
            noise = labs.cytokine_visit_sd * rng.standard_normal(n)
            value = rounded(np.exp(base + specific[:, column] + noise), 2)
        else:
            raise ValidationError(
                "visits.labs",
                code,
                Expected("one of ige, eosinophils, eosinophils_pct, il10, ifng, treg_il10"),
            )
        out[code] = np.asarray(value, dtype=np.float64)
    return out
