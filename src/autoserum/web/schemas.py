"""Pydantic schemas of the API: separate ``*Create``/``*Update`` (input) and ``*Public`` (output).

Input models forbid unknown fields, so a misspelt item code is an error, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from autoserum.errors import ValidationError
from autoserum.instruments import Score, get_instrument
from autoserum.web.forms import parse_instrument_form, score_form

__all__ = [
    "InstrumentPublic",
    "ItemPublic",
    "ItemValue",
    "ScoreRequest",
    "StudyPublic",
    "parse_items",
    "score_items",
]

ItemValue = str | int | float | bool | None


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemPublic(BaseModel):
    column: str
    path: str
    label: str
    kind: str
    allowed: list[Any] | None
    minimum: float | int | None
    maximum: float | int | None
    step: float | int | None
    unit: str | None


class InstrumentPublic(BaseModel):
    code: str
    name: str
    minimum: float | None
    maximum: float | None
    default_band_set: str
    band_sets: list[str]
    reference: str
    items: list[ItemPublic]


class StudyPublic(BaseModel):
    name: str
    protocol_code: str
    title: str
    blinding: str
    open_label: bool
    sites: list[str]


class ScoreRequest(_Input):
    items: dict[str, ItemValue] = Field(
        description="Flat item columns of the instrument, e.g. {'head_neck_erythema': 2}",
        examples=[{"pruritus": 4}],
    )
    band_set: str | None = None


def _as_text(value: ItemValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def parse_items(code: str, items: Mapping[str, ItemValue]) -> dict[str, Any]:
    """Validate flat item columns of ``code`` exactly as the web form does; the parsed values.

    Raises :class:`ValidationError` naming the first offending column.
    """
    columns = set(get_instrument(code).flat_columns())
    for key in items:
        if key not in columns:
            raise ValidationError(
                key, items[key], f"an item column of {code}: " + ", ".join(sorted(columns))
            )
    parsed = parse_instrument_form(code, {k: _as_text(v) for k, v in items.items()})
    for column, message in parsed.errors.items():
        raise ValidationError(column, items.get(column), message.split("expected ", 1)[-1])
    return parsed.flat


def score_items(code: str, items: Mapping[str, ItemValue], band_set: str | None = None) -> Score:
    """Validate and score flat item columns of ``code``."""
    flat = parse_items(code, items)
    if band_set is None:
        from autoserum.web.forms import ParsedForm

        result = score_form(code, ParsedForm({}, flat, {}))
        if result is None:  # pragma: no cover - parse_items raised already
            raise ValidationError("items", dict(items), "valid item values")
        return result
    from autoserum.instruments import score

    return score(code, get_instrument(code).unflatten(flat), band_set=band_set)
