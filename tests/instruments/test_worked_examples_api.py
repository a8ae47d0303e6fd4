"""Every worked example of the specification through the Python API (sources in cases.py)."""

from __future__ import annotations

import pytest

from autoserum.instruments import score
from tests.instruments.cases import CASES, Case


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_worked_example(case: Case) -> None:
    result = score(case.instrument, case.payload)
    assert result.total == case.total  # exact (Fraction), source: case.source
    assert result.band == case.band
    for name, value in case.components.items():
        assert result.components[name] == value
    for name, value in case.extra.items():
        assert result.extra[name] == value
    if case.total is None:
        assert result.reason
    else:
        assert result.reason is None
