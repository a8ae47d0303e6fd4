"""R's ``uniroot`` (Brent's zeroin, ``R_zeroin2`` in ``src/library/stats/src/zeroin.c``).

Ported step for step so that the Hodges–Lehmann estimates and CIs of the normal-approximation
Wilcoxon branch, which R finds with ``uniroot(..., tol = 1e-4)`` on a step function, land on
exactly the abscissa R returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from autoserum.errors import Message, StatisticsError

__all__ = ["uniroot"]

_EPS = 2.220446049250313e-16
_DBL_MAX = 1.7976931348623157e308


def _finite(value: float) -> float:
    """R's ``fcn2``: -Inf -> -DBL_MAX; +Inf, NA, NaN -> DBL_MAX."""
    if math.isfinite(value):
        return value
    return -_DBL_MAX if value == -math.inf else _DBL_MAX


def uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    f_lower: float | None = None,
    f_upper: float | None = None,
    tol: float = 1e-4,
    maxiter: int = 1000,
) -> float:
    """The root R's ``uniroot(f, lower = lower, upper = upper, tol = tol)$root`` returns."""
    if not lower < upper:
        raise StatisticsError(
            Message(
                "root search needs lower < upper, got [%(lower)s, %(upper)s]",
                lower=lower,
                upper=upper,
            )
        )
    fa = f(lower) if f_lower is None else f_lower
    fb = f(upper) if f_upper is None else f_upper
    if math.isnan(fa) or math.isnan(fb):
        raise StatisticsError(Message("root search: the function is undefined at an end point"))
    trunc_a = max(min(fa, _DBL_MAX), -_DBL_MAX)
    trunc_b = max(min(fb, _DBL_MAX), -_DBL_MAX)
    if trunc_a * trunc_b > 0:
        raise StatisticsError(
            Message("root search: function values at the end points have the same sign")
        )
    return _zeroin2(f, lower, upper, fa, fb, tol, maxiter)


def _zeroin2(
    f: Callable[[float], float],
    ax: float,
    bx: float,
    fa: float,
    fb: float,
    tol: float,
    maxit: int,
) -> float:
    a, b = ax, bx
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxit + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * _EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = _finite(f(b))
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b
