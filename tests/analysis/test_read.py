"""read_long / read_study: the tidy long format is validated cell by cell (docs/data-format.md)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from autoserum.analysis import read_adverse_events, read_long, read_study
from autoserum.errors import ValidationError
from tests.analysis.conftest import raw_rows, write_rows


def test_reads_and_types_the_visit_file(two_arm_csv: Path) -> None:
    frame = read_long(two_arm_csv)
    rows = raw_rows(two_arm_csv)
    assert frame.height == len(rows)
    assert frame.schema["week"] == pl.Float64
    assert frame.schema["easi"] == pl.Float64
    assert frame.schema["per_protocol"] == pl.Boolean
    assert frame["subject_id"].n_unique() == len({r["subject_id"] for r in rows})
    first = rows[0]
    got = frame.filter(
        (pl.col("subject_id") == first["subject_id"]) & (pl.col("week") == float(first["week"]))
    )
    assert got["easi"][0] == float(first["easi"])


def test_parquet_reads_the_same_as_csv(two_arm_csv: Path, tmp_path: Path) -> None:
    csv_frame = read_long(two_arm_csv)
    target = tmp_path / "study.parquet"
    csv_frame.write_parquet(target)
    assert read_long(target).equals(csv_frame)


def test_companion_adverse_events_are_read(two_arm_csv: Path) -> None:
    study = read_study(two_arm_csv)
    expected = raw_rows(two_arm_csv.with_name("two_arm.ae.csv"))
    assert study.adverse_events.height == len(expected)
    assert study.adverse_events.schema["serious"] == pl.Boolean


def test_missing_companion_gives_empty_adverse_events(tmp_path: Path, two_arm_csv: Path) -> None:
    target = write_rows(tmp_path / "x.csv", raw_rows(two_arm_csv))
    study = read_study(target)
    assert study.adverse_events.height == 0
    assert "severity" in study.adverse_events.columns


def _bad(tmp_path: Path, two_arm_csv: Path, index: int, column: str, value: str) -> Path:
    rows = raw_rows(two_arm_csv)
    rows[index][column] = value
    return write_rows(tmp_path / "bad.csv", rows)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("easi", "abc", "a number from 0 to 72"),
        ("easi", "72.5", "a number from 0 to 72"),
        ("viga_ad", "2.5", "an integer from 0 to 4"),
        ("per_protocol", "yes", "true or false"),
        ("week", "", "a number"),
        ("sex", "X", "one of F, M"),
        ("arm", "", "an arm code on every row"),
    ],
)
def test_a_bad_cell_names_line_column_value_and_expectation(
    tmp_path: Path, two_arm_csv: Path, column: str, value: str, expected: str
) -> None:
    path = _bad(tmp_path, two_arm_csv, 3, column, value)
    with pytest.raises(ValidationError) as info:
        read_long(path)
    err = info.value
    assert err.field == column
    assert err.expected == expected
    # data row index 3 is line 5 of the file (line 1 is the header)
    assert err.location == f"bad.csv, line 5, column {column!r}"
    assert "line 5" in str(err)


def test_subject_level_column_must_not_change(tmp_path: Path, two_arm_csv: Path) -> None:
    rows = raw_rows(two_arm_csv)
    rows[2]["age"] = str(int(rows[2]["age"]) + 1)
    with pytest.raises(ValidationError, match="line 4") as info:
        read_long(write_rows(tmp_path / "bad.csv", rows))
    assert info.value.field == "age"


def test_duplicate_week_is_rejected(tmp_path: Path, two_arm_csv: Path) -> None:
    rows = raw_rows(two_arm_csv)
    rows.insert(2, dict(rows[1]))
    with pytest.raises(ValidationError, match="line 4") as info:
        read_long(write_rows(tmp_path / "bad.csv", rows))
    assert info.value.expected == "one row per subject and week"


def test_unknown_and_missing_columns(tmp_path: Path, two_arm_csv: Path) -> None:
    rows = [{**r, "colour": "red"} for r in raw_rows(two_arm_csv)]
    with pytest.raises(ValidationError) as info:
        read_long(write_rows(tmp_path / "a.csv", rows))
    assert info.value.field == "colour"
    rows = [{k: v for k, v in r.items() if k != "week"} for r in raw_rows(two_arm_csv)]
    with pytest.raises(ValidationError) as info:
        read_long(write_rows(tmp_path / "b.csv", rows))
    assert info.value.field == "week"


def test_item_columns_are_accepted(tmp_path: Path, two_arm_csv: Path) -> None:
    rows = [{**r, "easi_head_neck_erythema": "1"} for r in raw_rows(two_arm_csv)]
    frame = read_long(write_rows(tmp_path / "items.csv", rows))
    assert "easi_head_neck_erythema" in frame.columns


def test_missing_flags_default_to_true(tmp_path: Path, two_arm_csv: Path) -> None:
    rows = [
        {k: v for k, v in r.items() if k not in ("treated", "per_protocol")}
        for r in raw_rows(two_arm_csv)
    ]
    frame = read_long(write_rows(tmp_path / "flags.csv", rows))
    assert frame["treated"].all()
    assert frame["per_protocol"].all()


def test_bad_adverse_event_cell(tmp_path: Path, two_arm_csv: Path) -> None:
    ae = raw_rows(two_arm_csv.with_name("two_arm.ae.csv"))
    ae[0]["severity"] = "extreme"
    path = write_rows(tmp_path / "ae.csv", ae)
    with pytest.raises(ValidationError, match="line 2") as info:
        read_adverse_events(path)
    assert info.value.expected == "one of mild, moderate, severe"


def test_adverse_event_subject_must_exist(tmp_path: Path, two_arm_csv: Path) -> None:
    write_rows(tmp_path / "v.csv", raw_rows(two_arm_csv))
    ae = raw_rows(two_arm_csv.with_name("two_arm.ae.csv"))
    ae[1]["subject_id"] = "NOBODY"
    write_rows(tmp_path / "v.ae.csv", ae)
    with pytest.raises(ValidationError, match="line 3") as info:
        read_study(tmp_path / "v.csv")
    assert info.value.field == "subject_id"


def test_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        read_long(tmp_path / "missing.csv")
    assert info.value.field == "path"
