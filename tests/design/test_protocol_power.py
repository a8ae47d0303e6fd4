"""Power of protocol-library trials simulated with autoserum.simulate and analysed with
autoserum.stats (seeded; few replicates to keep the suite fast)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from autoserum.cli._app import main
from autoserum.design import simulate_protocol_power
from autoserum.errors import ValidationError


@pytest.mark.slow
def test_protocol_power_is_reproducible_and_grows_with_n() -> None:
    kwargs: dict[str, Any] = {
        "endpoint": "sassad",
        "week": 5,
        "test": "ancova",
        "reps": 12,
        "seed": 4,
    }
    small = simulate_protocol_power("abt-pittler2003", n_subjects=10, **kwargs)
    again = simulate_protocol_power("abt-pittler2003", n_subjects=10, **kwargs)
    large = simulate_protocol_power("abt-pittler2003", n_subjects=80, **kwargs)
    assert small == again
    assert large.power > small.power
    assert large.parameters["failed_analyses"] == 0
    assert "simulate_study('abt-pittler2003', 80 enrolled, seeds 4..15)" in large.method


@pytest.mark.slow
@pytest.mark.parametrize(
    ("code", "endpoint", "week", "test"),
    [
        ("asim-choi2024", "easi", 4, "wilcoxon"),
        ("asim-choi2024", "scorad", 8, "paired_t"),
        ("ast-nahm2023", "scorad", 8, "mmrm"),
        ("aigt-nahm2020", "easi", 16, "mann_whitney"),
    ],
)
def test_every_protocol_test_runs(code: str, endpoint: str, week: int, test: str) -> None:
    res = simulate_protocol_power(
        code, n_subjects=24, endpoint=endpoint, week=week, test=test, reps=10, seed=2
    )
    assert 0 <= res.power <= 1
    assert res.parameters["failed_analyses"] == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"test": "mann_whitney"}, "test"),  # single-arm protocol: no two-sample test
        ({"endpoint": "sassad"}, "endpoint"),  # not measured in the Choi protocol
        ({"week": 6}, "week"),
        ({"reps": 3}, "reps"),
    ],
)
def test_protocol_power_bad_input(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "n_subjects": 10, "endpoint": "easi", "week": 4, "test": "wilcoxon", "reps": 10, "seed": 1,
    }  # fmt: skip
    with pytest.raises(ValidationError) as err:
        simulate_protocol_power("asim-choi2024", **(base | kwargs))  # type: ignore[arg-type]
    assert err.value.field == field


def test_power_protocol_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["power", "protocol", "--protocol", "ast-nahm2023", "--subjects", "20"]
    argv += ["--endpoint", "scorad", "--week", "8", "--test", "mann-whitney"]
    argv += ["--simulate", "10", "--seed", "5", "--json"]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code in (0, None)
    sim = json.loads(capsys.readouterr().out)["simulated"]
    assert (sim["design"], sim["reps"], sim["n"]) == ("ast-nahm2023:mann_whitney", 10, 20)


def test_power_protocol_cli_needs_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["power", "protocol", "--protocol", "ast-nahm2023"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.startswith("error: protocol: got 'ast-nahm2023'")
