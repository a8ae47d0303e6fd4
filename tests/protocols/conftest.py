"""Fixtures of the protocol tests: the documented example protocol."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"


def example_text() -> str:
    """The complete example protocol of docs/protocols.md (its first ```toml block)."""
    match = re.search(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert match is not None, "docs/protocols.md has no ```toml example"
    return match.group(1)


@pytest.fixture
def example() -> str:
    return example_text()


@pytest.fixture
def example_data() -> dict[str, Any]:
    return tomllib.loads(example_text())


@pytest.fixture
def example_file(tmp_path: Path) -> Path:
    path = tmp_path / "example.toml"
    path.write_text(example_text(), encoding="utf-8")
    return path
