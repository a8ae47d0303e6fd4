"""Fixtures: the committed synthetic studies (written by ``data/generate.py``, seeded)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def two_arm_csv() -> Path:
    return DATA / "two_arm.csv"


@pytest.fixture
def single_arm_csv() -> Path:
    return DATA / "single_arm.csv"


def raw_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows as the csv module reads them (an independent path for checks)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
