"""Synthetic studies (pure core): a generative model of AD severity and scenarios from the
published trials.

>>> from autoserum.simulate import scenario_codes
>>> "ast-nahm2023" in scenario_codes()
True
"""

from autoserum.simulate._model import (
    AdverseEvents,
    ArmSpec,
    Course,
    Dropout,
    Eligibility,
    ItemModel,
    Labs,
    Population,
    Scenario,
    Target,
    Threshold,
    VisitSpec,
)
from autoserum.simulate.scenarios import get_scenario, scenario_codes

__all__ = [
    "AdverseEvents",
    "ArmSpec",
    "Course",
    "Dropout",
    "Eligibility",
    "ItemModel",
    "Labs",
    "Population",
    "Scenario",
    "Target",
    "Threshold",
    "VisitSpec",
    "get_scenario",
    "scenario_codes",
]
