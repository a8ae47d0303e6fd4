"""metafor-style tables and the forest/funnel plots."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from autoserum.errors import ValidationError
from autoserum.meta import effects_from_rows, forest_plot, funnel_plot, rma, save_figure

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "metafor_reference.json").read_text())


def _rows(name: str) -> list[dict[str, str]]:
    with (REF_DIR / name).open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_counts_table_defaults_to_rr_and_matches_metafor() -> None:
    # R: escalc("RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg); rtol 1e-6
    table = effects_from_rows(_rows("dat_bcg.csv"))
    assert table.measure == "RR"
    assert table.yi == pytest.approx(REF["bcg_RR"]["yi"], rel=1e-6)
    assert table.labels[0] == "Aronson 1948"


def test_means_table_with_smd_matches_metafor() -> None:
    # R: escalc("SMD", m1i=, sd1i=, n1i=, m2i=, sd2i=, n2i=, data=dat.normand1999); rtol 1e-6
    table = effects_from_rows(_rows("dat_normand1999.csv"), "SMD")
    assert table.vi == pytest.approx(REF["normand_SMD"]["vi"], rel=1e-6)


def test_yi_sei_table_squares_the_standard_error() -> None:
    # arithmetic: vi = sei²
    table = effects_from_rows([{"study": "a", "yi": "1", "sei": "0.5"}])
    assert table.vi == (0.25,)


@pytest.mark.parametrize(
    ("rows", "measure", "field"),
    [
        ([{"study": "a", "yi": "x", "vi": "1"}], None, "yi"),
        ([{"study": "a", "foo": "1"}], None, "columns"),
        ([{"yi": "1", "vi": "1"}], None, "study"),
        ([{"study": "a", "ai": "1", "bi": "1", "ci": "1", "di": "1"}], "SMD", "measure"),
        ([{"study": "a", "yi": "1", "vi": "1"}], "HR", "measure"),
    ],
)
def test_bad_tables_name_the_field(
    rows: list[dict[str, str]], measure: str | None, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        effects_from_rows(rows, measure)
    assert err.value.field == field


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_forest_and_funnel_plots_are_written(tmp_path: Path, suffix: str) -> None:
    table = effects_from_rows(_rows("dat_bcg.csv"))
    res = rma(table.yi, table.vi, method="REML", measure="RR", labels=table.labels)
    forest = save_figure(forest_plot(res), tmp_path / f"forest{suffix}")
    funnel = save_figure(funnel_plot(res), tmp_path / f"funnel{suffix}")
    assert forest.stat().st_size > 1000
    assert funnel.stat().st_size > 1000
    if suffix == ".svg":
        assert "Aronson 1948" in forest.read_text()


def test_save_figure_refuses_an_unknown_suffix(tmp_path: Path) -> None:
    res = rma([0.1, 0.2], [0.01, 0.02], method="FE")
    with pytest.raises(ValidationError, match="path"):
        save_figure(forest_plot(res), tmp_path / "forest.txt")
