"""Calibrate the simulation scenarios to their published targets (run by hand, not in CI).

Each step solves one parameter by bisection so that one target statistic (computed on a large
simulated study with a fixed seed: common random numbers keep the search smooth) hits the
published value. Paste the printed values into ``src/autoserum/simulate/scenarios.py``; the
calibration tests in ``tests/simulate/`` then check every target on fresh seeds.

Usage: .venv/bin/python scripts/calibrate_simulate.py [N_SUBJECTS]
"""

from __future__ import annotations

import sys
from dataclasses import replace

from autoserum.simulate import Scenario, get_scenario, simulate_scenario, target_statistic
from autoserum.simulate._model import replace_parameter

#: (scenario, parameter path, target name, low, high, aim); solved in this order.
STEPS: tuple[tuple[str, str, str, float, float, float | None], ...] = (
    ("ast-nahm2023", "course.drift_per_week", "scorad_placebo_week_8", -0.1, 0.3, None),
    ("ast-nahm2023", "arms.serum.symptom_effect", "scorad_serum_week_8", 0.0, 3.0, None),
    ("aigt-nahm2020", "course.placebo_effect", "easi_placebo_week_16", -0.5, 1.5, None),
    ("aigt-nahm2020", "arms.igg.effect", "easi_igg_week_16", 0.0, 3.0, None),
    ("abt-pittler2003", "course.onset_days", "sassad_difference_week_9", 5.0, 400.0, None),
    ("asim-choi2024", "arms.serum.symptom_effect", "scorad_week_4", 0.0, 3.0, None),
    ("aaht-zhao2022", "labs.ige_severity_slope", "ige_normal_week_43", 0.3, 3.0, 0.97),
)


#: A parameter re-solved inside every evaluation of another (the week-5 effect of the
#: whole-blood trial is re-solved for each onset time tried for its week-9 target).
INNER = {
    ("abt-pittler2003", "course.onset_days"): (
        "arms.abt.effect",
        "sassad_difference_week_5",
        0.0,
        3.0,
    ),
}


def _value(scenario: Scenario, target_name: str, n: int, path: str = "") -> float:
    inner = INNER.get((scenario.code, path))
    if inner is not None:
        inner_path, inner_target, low, high = inner
        scenario, _, _ = solve(scenario, inner_path, inner_target, low, high, None, n)
    target = next(t for t in scenario.targets if t.name == target_name)
    return target_statistic(simulate_scenario(scenario, n, seed=20261121).visits, target)


def solve(
    scenario: Scenario,
    path: str,
    target_name: str,
    low: float,
    high: float,
    aim: float | None,
    n: int,
) -> tuple[Scenario, float, float]:
    """Bisection on ``path`` so that the target statistic reaches its published value."""
    target = next(t for t in scenario.targets if t.name == target_name)
    goal = target.value if aim is None else aim
    f_low = _value(replace_parameter(scenario, path, low), target_name, n, path) - goal
    mid = low
    for _ in range(14):
        mid = (low + high) / 2
        f_mid = _value(replace_parameter(scenario, path, mid), target_name, n, path) - goal
        if (f_mid > 0) == (f_low > 0):
            low, f_low = mid, f_mid
        else:
            high = mid
    value = round(mid, 3)
    calibrated = replace_parameter(scenario, path, value)
    inner = INNER.get((scenario.code, path))
    if inner is not None:
        inner_path, inner_target, i_low, i_high = inner
        calibrated, inner_value, _ = solve(
            calibrated, inner_path, inner_target, i_low, i_high, None, n
        )
        print(f"{scenario.code}: {inner_path} = {inner_value}", flush=True)
    return calibrated, value, _value(calibrated, target_name, n)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    current: dict[str, Scenario] = {}
    for code, path, target_name, low, high, aim in STEPS:
        scenario = current.get(code, get_scenario(code))
        scenario, value, reached = solve(scenario, path, target_name, low, high, aim, n)
        current[code] = replace(scenario)
        print(f"{code}: {path} = {value}  ({target_name} -> {reached:.2f})", flush=True)


if __name__ == "__main__":
    main()
