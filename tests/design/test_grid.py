"""Design grids (issue 18, item 3): tasks by seed ranges add up to the whole run; a run resumes;
2 Dask workers give what one process gives. No timing here (benchmarks/grid.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from autoserum.cli._app import main
from autoserum.design import load_grid, parse_grid, run_grid, simulate_protocol_power
from autoserum.design._protocol_power import count_protocol_rejections
from autoserum.errors import ValidationError

GRID = {
    "protocols": ["ast-nahm2023"],
    "subjects": [16, 24],
    "effects": [1.0, 2.0],
    "tests": ["welch_t"],
    "endpoint": "scorad",
    "week": 8,
    "reps": 10,
    "chunk": 4,
    "seed": 3,
}


def test_cells_and_tasks_cover_every_combination_and_seed() -> None:
    grid = parse_grid(GRID)
    assert len(grid.cells()) == 4
    tasks = grid.tasks()
    assert [(t.seed, t.reps) for t in tasks[:3]] == [(3, 4), (7, 4), (11, 2)]
    assert len(tasks) == 12


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subjects": []}, "subjects"),
        ({"subjects": [10, 10]}, "subjects"),
        ({"effects": [-1.0]}, "effects[0]"),
        ({"reps": 5}, "reps"),
        ({"alpha": 1.5}, "alpha"),
        ({"colour": "red"}, "colour"),
        ({"endpoint": ""}, "endpoint"),
    ],
)
def test_bad_grid_names_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_grid({**GRID, **change})
    assert err.value.field == field


def test_seed_ranges_add_up_to_the_single_run(tmp_path: Path) -> None:
    grid = parse_grid({**GRID, "subjects": [24], "effects": [2.0]})
    run = run_grid(grid, tmp_path / "r.parquet")
    whole = simulate_protocol_power(
        "ast-nahm2023",
        n_subjects=24,
        endpoint="scorad",
        week=8,
        test="welch_t",
        reps=10,
        seed=3,
        effect_scale=2.0,
    )
    assert run.cells[0]["power"] == whole.power
    assert run.cells[0]["failures"] == whole.parameters["failed_analyses"]
    assert run.ran == 3


def test_a_run_resumes_and_gives_the_same_cells(tmp_path: Path) -> None:
    grid = parse_grid(GRID)
    out = tmp_path / "r.parquet"
    first = run_grid(grid, out)
    before = pl.read_parquet(out)
    parts = sorted((tmp_path / "r.parquet.parts").glob("*.json"))
    assert len(parts) == 12
    parts[5].unlink()
    again = run_grid(grid, out)
    assert (again.ran, again.skipped) == (1, 11)
    assert pl.read_parquet(out).equals(before)
    assert first.cells == again.cells
    # a larger effect gives more power (the comparison can fail)
    by = {(c["subjects"], c["effect"]): c["power"] for c in first.cells}
    assert by[(24, 2.0)] >= by[(24, 1.0)]


@pytest.mark.slow
# distributed's comms may leave a socket to the garbage collector when the cluster shuts down on a
# loaded machine (seen once at load 12 on 2 cores); that warning is the library's, not a result.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_two_dask_workers_give_what_one_process_gives(tmp_path: Path) -> None:
    """Acceptance (issue 18, item 2): the same power serial (one trial at a time), batched
    (all the cell's trials in one batch) and on a 2-worker local Dask cluster (tasks of 3
    trials), for the same seeds."""
    grid = parse_grid(
        {**GRID, "subjects": [16], "effects": [2.0], "tests": ["welch_t", "mmrm"], "reps": 12,
         "chunk": 3}
    )  # fmt: skip
    serial = run_grid(grid, tmp_path / "serial.parquet")
    dask = run_grid(grid, tmp_path / "dask.parquet", workers=2)
    assert dask.ran == serial.ran == 8
    assert pl.read_parquet(tmp_path / "dask.parquet").equals(
        pl.read_parquet(tmp_path / "serial.parquet")
    )
    for cell in dask.cells:
        kwargs: dict[str, Any] = {
            "n_subjects": 16, "endpoint": "scorad", "week": 8, "test": cell["test"],
            "effect_scale": 2.0,
        }  # fmt: skip
        batched = count_protocol_rejections("ast-nahm2023", seed=3, reps=12, **kwargs)
        one_by_one = [
            count_protocol_rejections("ast-nahm2023", seed=seed, reps=1, **kwargs)
            for seed in range(3, 15)
        ]
        assert cell["power"] == batched.rejections / 12
        assert batched.rejections == sum(c.rejections for c in one_by_one)
        assert cell["failures"] == batched.failures == sum(c.failures for c in one_by_one)


def test_cli_grid_writes_results_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid_file = tmp_path / "g.toml"
    grid_file.write_text(
        'protocols = ["ast-nahm2023"]\nsubjects = [16]\ntests = ["welch_t"]\n'
        'endpoint = "scorad"\nweek = 8\nreps = 10\nchunk = 10\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.parquet"
    with pytest.raises(SystemExit) as exc:
        main(["design", "grid", str(grid_file), "--out", str(out), "--plots", str(tmp_path)])
    assert exc.value.code == 0
    assert pl.read_parquet(out).height == 1
    assert (tmp_path / "power-ast-nahm2023-effect1-dropout1.svg").stat().st_size > 1000
    assert "1 cells (1 tasks run, 0 already done)" in capsys.readouterr().out


def test_cli_bad_grid_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid_file = tmp_path / "g.toml"
    grid_file.write_text('protocols = ["ast-nahm2023"]\nsubjects = "many"\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["design", "grid", str(grid_file), "--out", str(tmp_path / "r.parquet")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: subjects: got")
    assert err.count("\n") == 1


def test_the_shipped_example_grid_parses() -> None:
    grid = load_grid(Path(__file__).resolve().parents[2] / "examples" / "design-grid.toml")
    assert len(grid.cells()) == 4
