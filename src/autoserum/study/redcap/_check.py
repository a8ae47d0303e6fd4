"""Checking a REDCap data dictionary against a mapping and autoserum's registries before any
record is read: every mapped field exists, an instrument item's field takes the item's values
(its choices are answer codes of the instrument registry, its number range within the item's),
a choice field's codes are in the entity registry's vocabulary. An error names the dictionary's
line and field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.instruments import Item
from autoserum.study.odm import ODM_REGISTRY, choice_text, field_columns, instrument_of
from autoserum.study.redcap._dictionary import DICTIONARY_COLUMNS

__all__ = ["check_dictionary"]

_NAME, _TYPE = DICTIONARY_COLUMNS[0], DICTIONARY_COLUMNS[3]
_CHOICES, _VALIDATION = DICTIONARY_COLUMNS[5], DICTIONARY_COLUMNS[7]
_LOW, _HIGH = DICTIONARY_COLUMNS[8], DICTIONARY_COLUMNS[9]


def _codes(text: str) -> list[str]:
    return [part.split(",", 1)[0].strip() for part in text.split("|") if part.strip()]


def check_dictionary(
    header: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    mapping: Mapping[str, Any],
    *,
    file: str,
) -> None:
    """Refuse a dictionary (``header`` and ``rows``, line 2 first) that does not fit the
    mapping and the registries."""
    if tuple(header) != DICTIONARY_COLUMNS:
        for n, expected in enumerate(DICTIONARY_COLUMNS):
            got = header[n] if n < len(header) else None
            if got != expected:
                raise ValidationError(
                    f"{file} header column {n + 1}",
                    got,
                    Expected("%(expected)s (REDCap's 18 columns)", expected=repr(expected)),
                )
        raise ValidationError(f"{file} header", len(header), Expected("REDCap's 18 columns"))
    lines = {row[_NAME]: (n, row) for n, row in enumerate(rows, start=2)}
    for entity, form in mapping.get("forms", {}).items():
        fields = field_columns(ODM_REGISTRY[entity])
        for column, name in form.get("fields", {}).items():
            n, row = _find(lines, name, file)
            field = fields.get(column)
            if field is not None and field.kind == "choice" and row[_TYPE] in ("radio", "dropdown"):
                extra = [c for c in _codes(row[_CHOICES]) if c not in field.choices]
                if extra:
                    raise ValidationError(
                        f"{file} line {n} field {name}",
                        extra[0],
                        Expected("one of %(values)s", values=", ".join(field.choices)),
                    )
    for code, names in mapping.get("instruments", {}).items():
        inst = instrument_of(code)
        for column, name in names.get("items", {}).items():
            item = next((i for i in inst.items if i.column == column), None) if inst else None
            if item is None:
                raise ValidationError(
                    f"mapping instruments.{code}.items",
                    column,
                    Expected("an item column of %(code)s", code=code),
                )
            n, row = _find(lines, name, file)
            _check_item(item, row, f"{file} line {n} field {name}")


def _find(
    lines: Mapping[str, tuple[int, Mapping[str, str]]], name: str, file: str
) -> tuple[int, Mapping[str, str]]:
    if name not in lines:
        raise ValidationError(f"{file} field {name}", None, Expected("the field the mapping names"))
    return lines[name]


def _check_item(item: Item, row: Mapping[str, str], where: str) -> None:
    kind = row[_TYPE]
    allowed = [choice_text(a) if item.kind == "choice" else _text(a) for a in item.allowed or ()]
    if kind in ("radio", "dropdown"):
        extra = [c for c in _codes(row[_CHOICES]) if allowed and c not in allowed]
        if extra or not allowed:
            raise ValidationError(where, extra[0] if extra else kind, item.expected())
        return
    if item.kind == "choice" or kind != "text" or row[_VALIDATION] not in ("integer", "number"):
        expected = (
            Expected("a radio or dropdown of %(values)s", values=", ".join(allowed))
            if item.kind == "choice"
            else Expected("a text field validated as integer or number")
        )
        raise ValidationError(where, f"{kind} {row[_VALIDATION]}".strip(), expected)
    for bound, inside in ((row[_LOW], item.minimum), (row[_HIGH], item.maximum)):
        if bound and inside is not None:
            try:
                value = Fraction(bound)
            except (ValueError, ZeroDivisionError):
                raise ValidationError(where, bound, Expected("a number")) from None
            if (item.minimum is not None and value < item.minimum) or (
                item.maximum is not None and value > item.maximum
            ):
                raise ValidationError(where, bound, item.expected())


def _text(value: Any) -> str:
    number = Fraction(value)
    return str(number.numerator) if number.denominator == 1 else str(float(number))
