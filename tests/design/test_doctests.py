"""The docstring examples of the design package run (docs that cannot rot)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "autoserum.design",
    "autoserum.design._analytic",
    "autoserum.design._curve",
    "autoserum.design._dispatch",
    "autoserum.design._mmrm_power",
    "autoserum.design._protocol_power",
    "autoserum.design._simulation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name == "autoserum.design._analytic"
