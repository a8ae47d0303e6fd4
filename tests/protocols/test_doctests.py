"""The examples in the docstrings of the protocol modules run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "autoserum.protocols",
    "autoserum.protocols._schema",
    "autoserum.protocols._loader",
    "autoserum.protocols._schedule",
    "autoserum.protocols._eligibility",
    "autoserum.study.randomisation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
