"""Normal quantiles bit-identical to R's ``qnorm``.

R's ``qnorm`` is Wichura's AS 241 (PPND16), as is CPython's
:meth:`statistics.NormalDist.inv_cdf`, and the two agree to the last bit for the lower tail;
SciPy's ``ndtri`` (Cephes) can differ from them by a few ulps. That matters where R feeds the
quantile to a root search on a step function (the Hodges–Lehmann CIs of ``wilcox.test``):
a different last bit can move the root R returns. For the upper tail R forms
``0.5 - p + 0.5`` in the central region and uses ``p`` itself in the tails; reproduced here.

>>> qnorm(0.025), qnorm(0.05, lower_tail=False)
(-1.9599639845400538, 1.6448536269514726)
"""

from __future__ import annotations

from statistics import NormalDist

__all__ = ["qnorm"]

_STANDARD = NormalDist()


def qnorm(p: float, *, lower_tail: bool = True) -> float:
    """R ``qnorm(p, lower.tail = lower_tail)`` for 0 < p < 1."""
    if lower_tail:
        return _STANDARD.inv_cdf(p)
    upper = 0.5 - p + 0.5
    if abs(upper - 0.5) <= 0.425:
        return _STANDARD.inv_cdf(upper)
    return -_STANDARD.inv_cdf(p)
