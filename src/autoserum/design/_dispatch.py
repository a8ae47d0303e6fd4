"""One entry point for every power design: the analytic answer, the simulated one and the power
curve, chosen by the design's name. The CLI (``autoserum power``), a notebook and a design grid
call this one function and get the same answer; the edges only parse and render.

>>> res = power_design("two_sample", delta=9.6, sd=10, power=0.9)
>>> res.to_dict()["analytic"]["n_ceiling"]
24
>>> power_design("paired", sd=1, n=10)
Traceback (most recent call last):
...
autoserum.errors.ValidationError: delta: got None; expected delta for the paired design
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autoserum.design._analytic import power_prop_test, power_t_test
from autoserum.design._curve import power_curve
from autoserum.design._json import json_ready
from autoserum.design._mmrm_power import simulate_mmrm_power
from autoserum.design._protocol_power import simulate_protocol_power
from autoserum.design._simulation import simulate_power
from autoserum.errors import Expected, ValidationError

__all__ = ["POWER_DESIGNS", "PowerDesign", "default_curve_ns", "power_design"]

POWER_DESIGNS = (
    "paired",
    "two_sample",
    "ancova",
    "proportions",
    "wilcoxon",
    "mann_whitney",
    "mmrm",
    "protocol",
)
_LEAST_REPS = {"mmrm": 20, "protocol": 10}
_NO_CURVE = ("mmrm", "protocol")


@dataclass(frozen=True)
class PowerDesign:
    """What a design gives: ``analytic`` and/or ``simulated`` (the ``to_dict`` of
    :class:`~autoserum.design.PowerResult` / :class:`~autoserum.design.SimulatedPower`),
    ``curve`` rows, and ``size`` (the sample size the answer is for, per group; all enrolled
    subjects for ``protocol``)."""

    design: str
    size: float
    analytic: dict[str, Any] | None = None
    simulated: dict[str, Any] | None = None
    curve: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``design`` and whichever of the three parts were computed."""
        out: dict[str, Any] = {"design": self.design}
        for key in ("analytic", "simulated", "curve"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return dict(json_ready(out))


def _need(name: str, value: float | None, design: str) -> float:
    if value is None:
        raise ValidationError(
            name, None, Expected("%(name)s for the %(design)s design", name=name, design=design)
        )
    return value


def default_curve_ns(around: float) -> list[int]:
    """About 20 sample sizes from 3 to twice ``around`` (the design's answer)."""
    top = max(20, int(2 * around) + 1)
    step = max(1, top // 20)
    return list(range(max(3, step), top + 1, step))


def power_design(
    design: str,
    *,
    delta: float | None = None,
    sd: float | None = None,
    rho: float | None = None,
    p1: float | None = None,
    p2: float | None = None,
    n: int | None = None,
    power: float | None = None,
    sig_level: float = 0.05,
    strict: bool = False,
    simulate: int = 0,
    seed: int = 1,
    dropout: float = 0.0,
    visits: Sequence[float] = (4.0, 8.0, 12.0),
    protocol: str | None = None,
    subjects: int | None = None,
    endpoint: str = "",
    week: float | None = None,
    test: str = "",
    curve: bool = False,
    curve_ns: Sequence[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> PowerDesign:
    """Sample size for a target ``power`` or power for ``n`` per group, of one design.

    ``paired``, ``two_sample`` and ``ancova`` are analytic (as R's ``power.t.test``) and
    ``proportions`` as ``power.prop.test``; ``simulate`` adds Monte-Carlo replicates where a
    simulation exists. ``wilcoxon`` and ``mann_whitney`` are simulated only (default 2,000
    replicates), ``mmrm`` and ``protocol`` simulate whole trials (default 200). ``curve`` adds
    the power at each of ``curve_ns`` (default: :func:`default_curve_ns` of the answer).
    ``progress`` is called with the number of replicates finished (long simulations).
    """
    d = design.lower().replace("-", "_")
    if d not in POWER_DESIGNS:
        raise ValidationError(
            "design",
            design,
            Expected("one of %(values)s", values=", ".join(POWER_DESIGNS).replace("_", "-")),
        )
    least = _LEAST_REPS.get(d, 100)
    if simulate and simulate < least:
        raise ValidationError(
            "simulate", simulate, Expected("0 or at least %(least)s replicates", least=least)
        )
    analytic: dict[str, Any] | None = None
    simulated: dict[str, Any] | None = None
    if d == "proportions":
        res = power_prop_test(
            p1=_need("p1", p1, d),
            p2=_need("p2", p2, d),
            n=n,
            power=power,
            sig_level=sig_level,
            strict=strict,
        )
        analytic, size = res.to_dict(), res.n
    elif d in ("paired", "two_sample", "ancova"):
        res = power_t_test(
            d,
            delta=_need("delta", delta, d),
            sd=_need("sd", sd, d),
            n=n,
            power=power,
            sig_level=sig_level,
            rho=rho,
            strict=strict,
        )
        analytic, size = res.to_dict(), res.n
    elif d == "protocol":
        if protocol is None or subjects is None or week is None or not endpoint or not test:
            raise ValidationError(
                "protocol", protocol, Expected("protocol, subjects, endpoint, week and test")
            )
        simulated = simulate_protocol_power(
            protocol,
            n_subjects=subjects,
            endpoint=endpoint,
            week=week,
            test=test.lower().replace("-", "_"),
            reps=simulate or 200,
            seed=seed,
            sig_level=sig_level,
            progress=progress,
        ).to_dict()
        size = float(subjects)
    elif d == "mmrm":
        if n is None:
            raise ValidationError("n", None, Expected("n for the simulated mmrm design"))
        simulated = simulate_mmrm_power(
            n=n,
            delta=_need("delta", delta, d),
            sd=_need("sd", sd, d),
            rho=_need("rho", rho, d),
            visits=tuple(visits),
            dropout=dropout,
            reps=simulate or 200,
            seed=seed,
            sig_level=sig_level,
            progress=progress,
        ).to_dict()
        size = float(n)
    else:
        if n is None:
            raise ValidationError("n", None, Expected("n for the simulated %(d)s design", d=d))
        if power is not None:
            raise ValidationError(
                "power", power, Expected("no target power for %(d)s: give n", d=d)
            )
        simulate = simulate or 2000
        size = float(n)
    if simulate and d not in ("proportions", "ancova", "mmrm", "protocol"):
        simulated = simulate_power(
            d,
            n=math.ceil(size - 1e-9),
            delta=_need("delta", delta, d),
            sd=_need("sd", sd, d),
            reps=simulate,
            seed=seed,
            sig_level=sig_level,
        ).to_dict()
    rows = None
    if curve:
        if d in _NO_CURVE:
            raise ValidationError(
                "curve", d, Expected("a design with a curve (none for %(d)s: run per size)", d=d)
            )
        rows = power_curve(
            d,
            list(curve_ns) if curve_ns is not None else default_curve_ns(size),
            delta=delta,
            sd=sd,
            rho=rho,
            p1=p1,
            p2=p2,
            sig_level=sig_level,
            reps=simulate if d in ("wilcoxon", "mann_whitney") else 0,
            seed=seed,
        )
    return PowerDesign(design=d, size=size, analytic=analytic, simulated=simulated, curve=rows)
