"""Synthetic studies (pure core): a generative model of AD severity and scenarios from the
published trials.

>>> from autoserum.simulate import simulate_study, scenario_codes
>>> "ast-nahm2023" in scenario_codes()
True
>>> study = simulate_study("asim-choi2024", 25, seed=7)
>>> list(dict.fromkeys(study.visits["visit"]))
['screening', 'run_in_start', 'baseline', 'week_4', 'week_8']
"""

from autoserum.simulate._endpoints import EndpointTrials, simulate_endpoint, simulate_endpoints
from autoserum.simulate._history import SimulatedHistory, simulate_history
from autoserum.simulate._io import conmed_path, write_study
from autoserum.simulate._model import (
    AdverseEvents,
    ArmSpec,
    Course,
    Dropout,
    Eligibility,
    ItemModel,
    Labs,
    Population,
    Rescue,
    Scenario,
    Target,
    Threshold,
    VisitSpec,
)
from autoserum.simulate._product import PRODUCT_SCHEMA, simulate_product
from autoserum.simulate._study import SimulatedStudy, simulate_scenario, simulate_study
from autoserum.simulate._targets import target_statistic
from autoserum.simulate._vitals import simulate_vital_signs
from autoserum.simulate.scenarios import get_scenario, scenario_codes

__all__ = [
    "PRODUCT_SCHEMA",
    "AdverseEvents",
    "ArmSpec",
    "Course",
    "Dropout",
    "Eligibility",
    "EndpointTrials",
    "ItemModel",
    "Labs",
    "Population",
    "Rescue",
    "Scenario",
    "SimulatedHistory",
    "SimulatedStudy",
    "Target",
    "Threshold",
    "VisitSpec",
    "conmed_path",
    "get_scenario",
    "scenario_codes",
    "simulate_endpoint",
    "simulate_endpoints",
    "simulate_history",
    "simulate_product",
    "simulate_scenario",
    "simulate_study",
    "simulate_vital_signs",
    "target_statistic",
    "write_study",
]
