"""The scenarios: one per protocol of the library, modelled on its published results.

Each scenario cites where each number comes from (``Scenario.sources``); values that no source
gives are marked ``assumption``, and values tuned by simulation to reproduce a published target
are marked ``calibrated``. The published results are in ``/work/shared/data/evidence/``
(``sources.md``, ``extraction.csv``).

>>> scenario_codes()
('aaht-zhao2022', 'abt-pittler2003', 'aigt-nahm2020', 'asim-choi2024', 'ast-nahm2023')
>>> get_scenario("ast-nahm2023").arms[0].code
'serum'
"""

from __future__ import annotations

from dataclasses import replace

from autoserum.errors import Message, NotFoundError
from autoserum.simulate._model import Scenario
from autoserum.simulate._scenarios_open import AAHT, ASIM
from autoserum.simulate._scenarios_rct import ABT, AIGT, AST

__all__ = ["SCENARIOS", "get_scenario", "scenario_codes"]

_ZERO = {
    "effect": "control arm: no specific effect",
    "effect_sd": "control arm: no specific effect",
    "il10_effect": "no effect on IL-10 (not measured, or none reported)",
    "ifng_effect": "no effect on IFN-gamma (not measured, or none reported)",
    "ige_effect": "no direct effect on IgE (IgE follows severity)",
    "treg_effect": "no effect on CD4+IL-10+ T cells (not measured, or none reported)",
    "symptom_effect": "no effect on symptoms beyond the effect on the latent severity",
}


def _finalise(scenario: Scenario) -> Scenario:
    """Give the arms' zero effects their standard provenance."""
    sources = dict(scenario.sources)
    for arm in scenario.arms:
        for name, note in _ZERO.items():
            key = f"arms.{arm.code}.{name}"
            if key not in sources and getattr(arm, name) == 0:
                sources[key] = note
    return replace(scenario, sources=sources)


SCENARIOS: dict[str, Scenario] = {
    s.code: _finalise(s) for s in sorted((ABT, AAHT, AIGT, ASIM, AST), key=lambda s: s.code)
}


def scenario_codes() -> tuple[str, ...]:
    """Codes of the shipped scenarios (= protocol codes of the library), sorted."""
    return tuple(SCENARIOS)


def get_scenario(code: str) -> Scenario:
    """The scenario of a protocol code; :class:`NotFoundError` if there is none.

    >>> get_scenario("aigt-nahm2020").arm("igg").exacerbation_risk
    0.115
    """
    try:
        return SCENARIOS[code]
    except KeyError:
        raise NotFoundError(
            Message(
                "no simulation scenario for protocol %(code)s; known: %(values)s",
                code=repr(code),
                values=", ".join(SCENARIOS),
            )
        ) from None
