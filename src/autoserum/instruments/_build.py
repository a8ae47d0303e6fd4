"""Small builders shared by the instrument modules (items, bands, missing-item reasons)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from autoserum.instruments._model import Band, Item

__all__ = ["F", "bands", "choice_item", "integer_item", "missing_reason", "questionnaire_points"]

F = Fraction


def integer_item(
    path: str, label: str, high: int, *, low: int = 0, unit: str | None = None
) -> Item:
    """A numeric item taking the integers ``low`` … ``high``."""
    return Item(
        path=path,
        column=path.replace(".", "_"),
        label=label,
        kind="number",
        allowed=tuple(F(v) for v in range(low, high + 1)),
        minimum=F(low),
        maximum=F(high),
        step=F(1),
        unit=unit,
    )


def choice_item(
    path: str,
    label: str,
    points: Mapping[str, int],
    *,
    condition: tuple[str, Any] | None = None,
) -> Item:
    """A choice item whose codes are worth ``points`` (ordered by points, then as given)."""
    order = sorted(points, key=lambda code: points[code])
    return Item(
        path=path,
        column=path.replace(".", "_"),
        label=label,
        kind="choice",
        allowed=tuple(order),
        points=dict(points),
        condition=condition,
    )


def bands(*spec: tuple[str, str, Fraction | int | None, bool]) -> tuple[Band, ...]:
    """Bands from ``(code, label, upper, inclusive)`` tuples."""
    return tuple(
        Band(code, label, None if upper is None else F(upper), inclusive)
        for code, label, upper, inclusive in spec
    )


def missing_reason(names: Iterable[str]) -> str:
    """``missing: q6, q7``."""
    return "missing: " + ", ".join(names)


def questionnaire_points(
    values: Mapping[str, Any], items: Sequence[Item]
) -> dict[str, Fraction | None]:
    """Points of each answered choice item (``None`` when unanswered)."""
    out: dict[str, Fraction | None] = {}
    for item in items:
        value = values[item.path]
        assert item.points is not None
        out[item.path] = None if value is None else F(item.points[value])
    return out
