"""The study plan a scenario runs: visits, injections, arms and eligibility from the protocol.

The protocol library (``autoserum.protocols``) is the single source of the visit weeks, windows,
instruments and labs of each visit, the injection days, the arms (product, allocation ratio) and
the eligibility rules. The scenario adds only what the protocol leaves open (assumed
thresholds where the published one is unknown).

>>> plan = plan_for(get_scenario("asim-choi2024"))
>>> [v.code for v in plan.visits][:2], plan.injection_days
(['screening', 'run_in_start'], (0, 7, 14, 21))
"""

from __future__ import annotations

import collections
import copy
from dataclasses import dataclass

from autoserum.errors import ConfigurationError, Message
from autoserum.protocols import Protocol, load_protocol
from autoserum.simulate._model import Scenario, Threshold, VisitSpec
from autoserum.simulate.scenarios import get_scenario

__all__ = ["FACT_COLUMNS", "FACT_CONSTANTS", "Plan", "plan_for"]

#: Protocol eligibility facts read from a generated column at the first visit.
FACT_COLUMNS = {
    "age": "age",
    "easi": "easi",
    "scorad": "scorad",
    "oscorad": "oscorad",
    "sassad": "sassad",
    "poem": "poem",
    "dlqi": "dlqi",
    "pp_nrs": "pp_nrs",
    "viga_ad": "viga_ad",
    "bsa_percent": "scorad_extent",
}
_INSTRUMENT_OF = {"scorad_extent": "scorad", "oscorad": "scorad"}
#: Facts every simulated candidate meets by construction (they have AD, it is recalcitrant
#: where the protocol asks for it, and they observed the washout).
FACT_CONSTANTS: dict[str, bool | float] = {
    "atopic_dermatitis": True,
    "recalcitrant": True,
    "days_since_systemic_treatment": 365.0,
}


@dataclass(frozen=True)
class Plan:
    """What the generator needs from the protocol."""

    protocol: Protocol
    visits: tuple[VisitSpec, ...]
    injection_days: tuple[int, ...]
    arm_codes: tuple[str, ...]
    products: tuple[str, ...]
    ratios: tuple[int, ...]
    thresholds: tuple[Threshold, ...]

    @property
    def instruments(self) -> tuple[str, ...]:
        """Every instrument assessed at some visit, in order of first use."""
        return tuple(dict.fromkeys(code for v in self.visits for code in v.instruments))

    @property
    def labs(self) -> tuple[str, ...]:
        """Every lab measured at some visit, in order of first use."""
        return tuple(dict.fromkeys(code for v in self.visits for code in v.labs))


#: the last few plans made, each with a copy of its scenario: a design simulation asks for the
#: plan of the same scenario once per trial, and reading the protocol's TOML each time cost a
#: fifth of a trial
_RECENT: collections.deque[tuple[Scenario, Plan]] = collections.deque(maxlen=4)


def plan_for(scenario: Scenario) -> Plan:
    """Combine a scenario with its protocol; :class:`ConfigurationError` if they disagree."""
    for known, plan in tuple(_RECENT):
        if known == scenario:
            return plan
    plan = _make_plan(scenario)
    _RECENT.append((copy.deepcopy(scenario), plan))
    return plan


def _make_plan(scenario: Scenario) -> Plan:
    protocol = load_protocol(scenario.code)
    visits = tuple(
        sorted(
            (
                VisitSpec(
                    v.code,
                    v.day,
                    v.window_before or 0,
                    v.window_after or 0,
                    tuple(v.instruments),
                    tuple(v.labs),
                )
                for v in protocol.visits
            ),
            key=lambda v: v.day,
        )
    )
    arm_codes = tuple(arm.code for arm in protocol.arms)
    if arm_codes != tuple(arm.code for arm in scenario.arms):
        raise ConfigurationError(
            Message(
                "scenario %(scenario)s: arms %(arms)s do not match the protocol's %(protocol)s",
                scenario=scenario.code,
                arms=[a.code for a in scenario.arms],
                protocol=list(arm_codes),
            )
        )
    thresholds: list[Threshold] = []
    for rule in protocol.eligibility:
        if rule.source == "unknown" or rule.fact in FACT_CONSTANTS:
            continue
        column = FACT_COLUMNS.get(rule.fact)
        if column is None or rule.equals is not None:
            raise ConfigurationError(
                Message(
                    "protocol %(protocol)s: eligibility fact %(fact)s cannot be simulated",
                    protocol=scenario.code,
                    fact=repr(rule.fact),
                )
            )
        thresholds.append(Threshold(column, rule.minimum, rule.maximum))
    thresholds.extend(scenario.eligibility.thresholds)
    first = visits[0]
    for threshold in thresholds:
        instrument = _INSTRUMENT_OF.get(threshold.column, threshold.column)
        if instrument != "age" and instrument not in first.instruments:
            raise ConfigurationError(
                Message(
                    "protocol %(protocol)s: eligibility on %(column)s but the first visit "
                    "(%(visit)s) does not assess %(instrument)s",
                    protocol=scenario.code,
                    column=repr(threshold.column),
                    visit=first.code,
                    instrument=repr(instrument),
                )
            )
    return Plan(
        protocol=protocol,
        visits=visits,
        injection_days=tuple(sorted(inj.day for inj in protocol.injections)),
        arm_codes=arm_codes,
        products=tuple(arm.product for arm in protocol.arms),
        ratios=tuple(arm.allocation_ratio for arm in protocol.arms),
        thresholds=tuple(thresholds),
    )


def plan_for_code(code: str) -> Plan:
    """The plan of a shipped scenario."""
    return plan_for(get_scenario(code))
