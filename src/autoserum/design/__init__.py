"""Trial design (pure core): sample size and power for the protocol library's designs,
analytic (as R's ``power.t.test`` / ``power.prop.test``) and by seeded simulation.

>>> from autoserum.design import power_t_test
>>> power_t_test("paired", delta=8, sd=12, power=0.8).n_ceiling
20
"""

from autoserum.design._analytic import (
    DESIGNS_ANALYTIC,
    PowerResult,
    power_prop_test,
    power_t_test,
)
from autoserum.design._assurance import AssuranceResult, assurance
from autoserum.design._curve import CURVE_DESIGNS, plot_power_curve, power_curve
from autoserum.design._dispatch import (
    POWER_DESIGNS,
    PowerDesign,
    default_curve_ns,
    power_design,
)
from autoserum.design._grid import DesignGrid, GridCell, GridTask, load_grid, parse_grid
from autoserum.design._grid_run import GridRun, plot_grid, run_grid
from autoserum.design._mmrm_power import simulate_mmrm_power
from autoserum.design._priors import SIGMA_PCT_CHANGE, NormalPrior, map_prior, registry_priors
from autoserum.design._protocol_power import PROTOCOL_TESTS, simulate_protocol_power
from autoserum.design._simulation import DESIGNS_SIMULATED, SimulatedPower, simulate_power

__all__ = [
    "CURVE_DESIGNS",
    "DESIGNS_ANALYTIC",
    "DESIGNS_SIMULATED",
    "POWER_DESIGNS",
    "PROTOCOL_TESTS",
    "SIGMA_PCT_CHANGE",
    "AssuranceResult",
    "DesignGrid",
    "GridCell",
    "GridRun",
    "GridTask",
    "NormalPrior",
    "PowerDesign",
    "PowerResult",
    "SimulatedPower",
    "assurance",
    "default_curve_ns",
    "load_grid",
    "map_prior",
    "parse_grid",
    "plot_grid",
    "plot_power_curve",
    "power_curve",
    "power_design",
    "power_prop_test",
    "power_t_test",
    "registry_priors",
    "run_grid",
    "simulate_mmrm_power",
    "simulate_power",
    "simulate_protocol_power",
]
