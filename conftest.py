"""Names the package's docstring examples may use (``--doctest-modules``).

``tmp_path``: a fresh temporary directory per example, so an example that writes files never
writes into the repository.
"""

from __future__ import annotations

from typing import Any

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(autouse=True)
def _doctest_tmp_path(request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]) -> None:
    if isinstance(request.node, DoctestItem):
        doctest_namespace["tmp_path"] = request.getfixturevalue("tmp_path")
