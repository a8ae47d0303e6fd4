"""Single-item scales: the total is the one item's value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from autoserum.instruments._model import Computed
from autoserum.instruments._values import Value

__all__ = ["single_item"]


def single_item(path: str) -> Callable[[Mapping[str, Value | None]], Computed]:
    """A ``compute`` that returns the value of ``path`` (not scored when it is missing)."""

    def compute(values: Mapping[str, Value | None]) -> Computed:
        value = values[path]
        if isinstance(value, Fraction):
            return Computed(value, {}, None)
        return Computed(None, {}, f"missing: {path}")

    return compute
