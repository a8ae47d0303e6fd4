"""Hypothesis strategies that draw valid (possibly incomplete) payloads for any instrument."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from autoserum.instruments import Instrument, Item


def as_input(value: Any) -> Any:
    """A Fraction as the JSON-like number a user would type (int or float)."""
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def grid(item: Item) -> list[Any] | None:
    """The finite list of valid values of an item, ordered from least to most severe."""
    if item.allowed is not None:
        return [as_input(a) for a in item.allowed]
    if item.step is not None:
        assert item.minimum is not None
        assert item.maximum is not None
        count = int((item.maximum - item.minimum) / item.step)
        return [as_input(item.minimum + k * item.step) for k in range(count + 1)]
    return None


def valid_value(item: Item) -> st.SearchStrategy[Any]:
    values = grid(item)
    if values is not None:
        return st.sampled_from(values)
    assert item.minimum is not None
    assert item.maximum is not None
    low, high = float(item.minimum), float(item.maximum)
    return st.one_of(
        st.integers(int(low), int(high)),
        st.floats(low, high, allow_nan=False),
        st.sampled_from([low, high]),
    )


def condition_met(item: Item, flat: dict[str, Any], inst: Instrument) -> bool:
    if item.condition is None:
        return True
    path, expected = item.condition
    return bool(flat.get(inst.item(path).column) == expected)


@st.composite
def flat_rows(draw: st.DrawFn, inst: Instrument, *, missing: bool = True) -> dict[str, Any]:
    """One flat row: every column present (``None`` = missing)."""
    row: dict[str, Any] = {}
    use_alternative = {
        item.alternative_to: draw(st.booleans()) for item in inst.items if item.alternative_to
    }
    for item in inst.items:
        if item.alternative_to is not None:
            if not use_alternative[item.alternative_to]:
                row[item.column] = None
                continue
        elif use_alternative.get(item.path):
            row[item.column] = None
            continue
        if not condition_met(item, row, inst):
            row[item.column] = None
            continue
        gone = missing and draw(st.integers(0, 9)) == 0
        row[item.column] = None if gone else draw(valid_value(item))
    return row
