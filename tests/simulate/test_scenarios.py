"""Scenarios: one per protocol, every parameter with its provenance, docs generated from code."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from autoserum.errors import NotFoundError
from autoserum.protocols import protocol_codes
from autoserum.simulate import get_scenario, scenario_codes
from autoserum.simulate._docs import END, START, parameter_markdown, parameter_table
from autoserum.simulate._model import numeric_leaves, replace_parameter
from autoserum.simulate._plan import plan_for

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulate.md"


def test_one_scenario_per_protocol() -> None:
    assert scenario_codes() == tuple(sorted(protocol_codes()))


def test_unknown_scenario() -> None:
    with pytest.raises(NotFoundError, match="no-such"):
        get_scenario("no-such")


@pytest.mark.parametrize("code", scenario_codes())
def test_every_parameter_has_a_source(code: str) -> None:
    scenario = get_scenario(code)
    leaves = dict(numeric_leaves(scenario))
    missing = sorted(path for path in leaves if not scenario.sources.get(path, "").strip())
    assert missing == []
    stale = sorted(path for path in scenario.sources if path not in leaves)
    assert stale == []
    assert all(math.isfinite(v) for v in leaves.values())


@pytest.mark.parametrize("code", scenario_codes())
def test_plan_matches_protocol(code: str) -> None:
    plan = plan_for(get_scenario(code))
    assert plan.arm_codes == tuple(a.code for a in get_scenario(code).arms)
    assert plan.visits[0].day < 0 or plan.visits[0].code == "baseline"
    assert any(v.day == 0 for v in plan.visits)
    assert plan.injection_days[0] == 0


@pytest.mark.parametrize("code", scenario_codes())
def test_targets_refer_to_planned_data(code: str) -> None:
    scenario = get_scenario(code)
    plan = plan_for(scenario)
    weeks = {v.week for v in plan.visits}
    columns = set(plan.instruments) | set(plan.labs) | {"oscorad"}
    arms = set(plan.arm_codes) | {""}
    for target in scenario.targets:
        assert target.column in columns, target.name
        assert target.arm in arms, target.name
        assert target.control in arms, target.name
        assert target.week in weeks or target.statistic in {
            "correlation",
            "spearman",
            "not_treated",
        }
        assert target.source.strip()


def test_replace_parameter_by_path() -> None:
    scenario = get_scenario("ast-nahm2023")
    changed = replace_parameter(scenario, "arms.serum.effect", 0.9)
    assert changed.arm("serum").effect == 0.9
    assert changed.arm("placebo") == scenario.arm("placebo")
    assert replace_parameter(scenario, "course.drift_per_week", 0.5).course.drift_per_week == 0.5


def test_parameter_table_covers_every_scenario() -> None:
    table = parameter_table()
    assert set(table["scenario"]) == set(scenario_codes())
    assert table.filter(table["source"] == "").height == 0


def test_docs_table_generated_from_code() -> None:
    """docs/simulate.md holds exactly the generated tables (scripts/simulate_docs.py)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(START, 1)[1].split(END, 1)[0]
    assert section == parameter_markdown()
