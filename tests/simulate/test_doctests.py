"""The docstring examples of the simulate package run (docs that cannot rot)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "autoserum.simulate",
    "autoserum.simulate._model",
    "autoserum.simulate._latent",
    "autoserum.simulate._items",
    "autoserum.simulate._events",
    "autoserum.simulate._plan",
    "autoserum.simulate._study",
    "autoserum.simulate._targets",
    "autoserum.simulate._docs",
    "autoserum.simulate._io",
    "autoserum.simulate._labs",
    "autoserum.simulate.scenarios",
    "autoserum.simulate._defaults",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
