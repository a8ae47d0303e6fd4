"""Fixtures of the stats tests: the R reference values and the synthetic datasets they used."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REFERENCE = Path(__file__).resolve().parent / "reference"


def load_cases() -> list[dict[str, Any]]:
    """The cases of ``reference/reference.json`` (written by ``reference/reference.R``)."""
    with (REFERENCE / "reference.json").open() as fh:
        cases: list[dict[str, Any]] = json.load(fh)["cases"]
    return cases


class Trial:
    """A long-format trial CSV: subject, group, week, baseline, change (blank = missing)."""

    def __init__(self, name: str) -> None:
        with (REFERENCE / f"{name}.csv").open() as fh:
            rows = list(csv.DictReader(fh))
        self.subject = np.array([r["subject"] for r in rows])
        self.group = np.array([float(r["group"]) for r in rows])
        self.week = np.array([int(r["week"]) for r in rows])
        self.baseline = np.array([float(r["baseline"]) for r in rows])
        self.change = np.array([float(r["change"]) if r["change"] else np.nan for r in rows])

    def within(self, group: float, week: int) -> np.ndarray:
        """R: ``change[group == g & week == w & !is.na(change)]`` (file order)."""
        keep = (self.group == group) & (self.week == week) & ~np.isnan(self.change)
        kept: np.ndarray = self.change[keep]
        return kept


def load_vectors() -> dict[str, np.ndarray]:
    with (REFERENCE / "vectors.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, list[float]] = {}
    for r in rows:
        out.setdefault(r["name"], []).append(float(r["value"]) if r["value"] else np.nan)
    return {k: np.array(v) for k, v in out.items()}


@pytest.fixture(scope="session")
def trials() -> dict[str, Trial]:
    return {name: Trial(name) for name in ("trial_dropout", "trial_ties")}


@pytest.fixture(scope="session")
def vectors() -> dict[str, np.ndarray]:
    return load_vectors()
