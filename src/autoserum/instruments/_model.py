"""The data model of the instruments: items, bands, band sets, instruments and scores.

Everything here is immutable data. An :class:`Instrument` declares its items, range, band sets,
missing-data rule and reference; its ``compute`` function turns validated item values into a
:class:`Computed` (total, components, reason, extras) with exact arithmetic.

Reference: ``docs/instruments.md`` (the project's scoring specification).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal

from autoserum.errors import Expected, ValidationError
from autoserum.instruments._diary import DiaryRule
from autoserum.instruments._values import (
    Value,
    display_value,
    format_number,
    number_expectation,
    to_fraction,
)

__all__ = ["Band", "BandSet", "Computed", "Instrument", "Item", "Score"]


@dataclass(frozen=True)
class Item:
    """One item of an instrument.

    ``path`` is the dotted item code of the nested payload (``head_neck.erythema``), ``column``
    the flat column name (``head_neck_erythema``). ``kind`` is ``"number"`` (a numeric value:
    ``allowed`` lists the allowed values, or ``minimum``/``maximum``/``step`` bound them) or
    ``"choice"`` (an answer code from ``allowed``, worth ``points[code]``). ``role`` is
    ``"score"`` for items that enter the total and ``"context"`` for items that only modify
    how it is computed (EASI ``age``, SCORAD ``patient_reported``). ``condition`` names an item
    and the value it must have for this item to be asked (DLQI ``q7b`` only when ``q7`` is
    ``no``); ``alternative_to`` names the item this one may replace (EASI ``area_percent``
    instead of ``area``). For choice items ``allowed`` is ordered from least to most severe.

    >>> item = Item("q1", "q1", "Itchy, sore, painful or stinging skin", "choice",
    ...             allowed=("not_at_all", "a_little"), points={"not_at_all": 0, "a_little": 1})
    >>> item.check("a_little")
    'a_little'
    """

    path: str
    column: str
    label: str
    kind: Literal["number", "choice"]
    allowed: tuple[Any, ...] | None = None
    minimum: Fraction | None = None
    maximum: Fraction | None = None
    step: Fraction | None = None
    unit: str | None = None
    role: Literal["score", "context"] = "score"
    points: Mapping[Any, int] | None = None
    condition: tuple[str, Any] | None = None
    alternative_to: str | None = None

    def expected(self) -> str:
        """What a valid value looks like, in words (used in every error message)."""
        return str(self._expected)

    def expectation(self) -> Expected:
        """:meth:`expected` as a translatable :class:`~autoserum.errors.Expected`."""
        return self._expected

    @cached_property
    def _allowed_set(self) -> frozenset[Any]:
        return frozenset(self.allowed or ())

    @cached_property
    def _expected(self) -> Expected:
        if self.kind == "choice":
            assert self.allowed is not None
            return Expected("one of %(values)s", values=", ".join(map(_code_text, self.allowed)))
        if self.allowed is not None:
            values = ", ".join(format_number(Fraction(a)) for a in self.allowed)
            return Expected("one of %(values)s", values=values)
        return number_expectation(self.minimum, self.maximum, self.step)

    def check(self, value: Any) -> Value:
        """Return the normalised value (``Fraction``, ``str`` or ``bool``) or raise.

        Raises :class:`~autoserum.errors.ValidationError` naming the item path, the value and
        the allowed values.
        """
        if self.kind == "choice":
            assert self.allowed is not None
            for allowed in self.allowed:
                if type(value) is type(allowed) and value == allowed:
                    return allowed  # type: ignore[no-any-return]
            raise ValidationError(self.path, value, self._expected)
        number = to_fraction(value, self.path, self._expected)
        if self.allowed is not None:
            if number not in self._allowed_set:
                raise ValidationError(self.path, value, self._expected)
            return number
        low = self.minimum
        if (low is not None and number < low) or (
            self.maximum is not None and number > self.maximum
        ):
            raise ValidationError(self.path, value, self._expected)
        if self.step is not None and ((number - (low or 0)) / self.step).denominator != 1:
            raise ValidationError(self.path, value, self._expected)
        return number

    def to_json(self) -> dict[str, Any]:
        """The item as JSON (for ``autoserum instruments --json`` and web forms)."""
        out: dict[str, Any] = {"path": self.path, "column": self.column, "label": self.label}
        out["kind"] = self.kind
        if self.allowed is not None:
            out["allowed"] = [
                a if isinstance(a, str | bool) else _json_number(Fraction(a)) for a in self.allowed
            ]
        for name in ("minimum", "maximum", "step"):
            bound = getattr(self, name)
            if bound is not None:
                out[name] = _json_number(bound)
        if self.points is not None:
            out["points"] = dict(self.points)
        for name in ("unit", "condition", "alternative_to"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        out["role"] = self.role
        return out


def _code_text(code: Any) -> str:
    if isinstance(code, bool):
        return "true" if code else "false"
    if isinstance(code, str):
        return code
    return format_number(Fraction(code))


def _json_number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


@dataclass(frozen=True)
class Band:
    """One band: values up to ``upper`` (inclusive when ``inclusive``) belong to it.

    The last band of a set has ``upper = None`` (no upper bound).
    """

    code: str
    label: str
    upper: Fraction | None
    inclusive: bool = True

    def contains_upper(self, value: Fraction) -> bool:
        """Whether ``value`` lies at or below this band's upper limit."""
        if self.upper is None:
            return True
        return value <= self.upper if self.inclusive else value < self.upper

    def to_json(self) -> dict[str, Any]:
        """``code``, ``label``, ``upper`` (number or null), ``inclusive`` and ``text``."""
        return {
            "code": self.code,
            "label": self.label,
            "upper": None if self.upper is None else _json_number(self.upper),
            "inclusive": self.inclusive,
            "text": self.describe(),
        }

    def describe(self) -> str:
        """``≤ 7`` / ``< 25`` / ``above`` in words."""
        if self.upper is None:
            return "above"
        return ("≤ " if self.inclusive else "< ") + format_number(self.upper)


@dataclass(frozen=True)
class BandSet:
    """A named set of bands, checked in order on the exact value.

    ``extra_bands`` band other values of the score (SCORAD: ``objective``).
    """

    name: str
    bands: tuple[Band, ...]
    reference: str
    note: str = ""
    extra_bands: Mapping[str, tuple[Band, ...]] = field(default_factory=dict)

    def assign(self, value: Fraction | None, key: str | None = None) -> str | None:
        """The band code of ``value`` (``None`` when the value is ``None``)."""
        if value is None:
            return None
        bands = self.bands if key is None else self.extra_bands[key]
        for band in bands:
            if band.contains_upper(value):
                return band.code
        raise AssertionError("the last band has no upper bound")  # pragma: no cover


@dataclass(frozen=True)
class Computed:
    """What an instrument's ``compute`` returns before banding."""

    total: Fraction | None
    components: Mapping[str, Fraction | None]
    reason: str | None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Instrument:
    """An instrument: its items, range, band sets, missing-data rule and reference."""

    code: str
    name: str
    items: tuple[Item, ...]
    minimum: Fraction
    maximum: Fraction
    band_sets: Mapping[str, BandSet]
    default_band_set: str | None
    missing_rule: str
    reference: str
    components: tuple[str, ...]
    compute: Callable[[Mapping[str, Value | None]], Computed] = field(repr=False, compare=False)
    polarity: str = "higher_worse"
    note: str = ""
    banded_extras: tuple[str, ...] = ()  # extra exact values with their own bands (SCORAD)
    #: a daily diary instrument: its recall and weekly rule (``None``: answered per visit)
    diary: DiaryRule | None = None
    #: who answers it: the clinician, or the patient (a patient-reported outcome, which a
    #: protocol may schedule for self-report)
    reported_by: Literal["clinician", "patient"] = "clinician"
    #: the heading of each group of items (the first part of a dotted path: EASI's regions),
    #: a label shown on the forms like the items' labels
    group_labels: Mapping[str, str] = field(default_factory=dict)
    #: who owns the wording patients read: ``None`` when the item labels are autoserum's own
    #: (shipped and translated in the catalogs), else the copyright holder of a licensed
    #: wording, which is never shipped: a site installs it (``autoserum.instruments.texts``)
    wording_licence: str | None = None

    def item(self, path: str) -> Item:
        """The item with this path (``head_neck.erythema``)."""
        found = self._by_path.get(path)
        if found is None:
            raise ValidationError("item", path, Expected("an item of %(code)s", code=self.code))
        return found

    @cached_property
    def _by_path(self) -> Mapping[str, Item]:
        return {item.path: item for item in self.items}

    @cached_property
    def items_by_column(self) -> Mapping[str, Item]:
        """The items by their flat column name (computed once)."""
        return {item.column: item for item in self.items}

    def flat_columns(self) -> tuple[str, ...]:
        """The flat column names of the items, in declaration order."""
        return tuple(item.column for item in self.items)

    def unflatten(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Flat columns (``head_neck_erythema``) to the nested payload; other columns ignored."""
        payload: dict[str, Any] = {}
        for item in self.items:
            if item.column in row:
                node = payload
                *parents, leaf = item.path.split(".")
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = row[item.column]
        return payload

    def flatten(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The nested payload to flat columns; an unknown key raises ``ValidationError``."""
        return {self.item(path).column: value for path, value in self.walk(payload).items()}

    def walk(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The raw values of a nested payload by item path (unknown keys raise)."""
        if not isinstance(payload, Mapping):
            raise ValidationError(
                "payload", payload, Expected("a JSON object of %(code)s items", code=self.code)
            )
        paths = {item.path for item in self.items}
        groups = {p.rsplit(".", 1)[0] for p in paths if "." in p}
        out: dict[str, Any] = {}
        _walk(payload, "", paths, groups, out)
        return out

    def parse(self, payload: Mapping[str, Any]) -> dict[str, Value | None]:
        """Validate a nested payload: every item path mapped to its value or ``None``."""
        raw = self.walk(payload)
        values: dict[str, Value | None] = {}
        for item in self.items:
            value = raw.get(item.path)
            values[item.path] = None if value is None else item.check(value)
        return values

    def to_json(self) -> dict[str, Any]:
        """The instrument as JSON (``autoserum instruments --json``)."""
        return {
            "code": self.code,
            "name": self.name,
            "minimum": _json_number(self.minimum),
            "maximum": _json_number(self.maximum),
            "polarity": self.polarity,
            "components": list(self.components),
            "default_band_set": self.default_band_set,
            "band_sets": {
                name: {
                    "reference": bs.reference,
                    "note": bs.note,
                    "bands": [b.to_json() for b in bs.bands],
                    **{
                        f"{key}_bands": [b.to_json() for b in bands]
                        for key, bands in bs.extra_bands.items()
                    },
                }
                for name, bs in self.band_sets.items()
            },
            "missing_rule": self.missing_rule,
            "reference": self.reference,
            "note": self.note,
            "items": [item.to_json() for item in self.items],
            "reported_by": self.reported_by,
            "diary": None if self.diary is None else self.diary.to_json(),
        }


def _walk(
    obj: Mapping[str, Any], prefix: str, paths: set[str], groups: set[str], out: dict[str, Any]
) -> None:
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if not isinstance(key, str):
            raise ValidationError(path, key, Expected("an item code (text)"))
        if path in paths:
            out[path] = value
        elif path in groups:
            if value is None:
                continue
            if not isinstance(value, Mapping):
                keys = sorted(p[len(path) + 1 :] for p in paths if p.startswith(path + "."))
                raise ValidationError(
                    path, value, Expected("an object with keys %(values)s", values=", ".join(keys))
                )
            _walk(value, path + ".", paths, groups, out)
        else:
            here = sorted(
                {p[len(prefix) :].split(".")[0] for p in paths | groups if p.startswith(prefix)}
            )
            raise ValidationError(
                path, value, Expected("an item among %(values)s", values=", ".join(here))
            )


@dataclass(frozen=True)
class Score:
    """The result of scoring one assessment. ``total`` is exact; ``None`` when not scorable."""

    instrument: str
    total: Fraction | None
    band: str | None
    band_set: str | None
    components: Mapping[str, Fraction | None]
    reason: str | None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def display_total(self) -> str | None:
        """The total rounded for display (half-up, 1 decimal, 2 where the value needs them)."""
        return None if self.total is None else display_value(self.total)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the CLI and the API (numbers as floats, exact values unrounded)."""
        out: dict[str, Any] = {
            "instrument": self.instrument,
            "total": _float(self.total),
            "band": self.band,
            "band_set": self.band_set,
            "components": {k: _float(v) for k, v in self.components.items()},
            "reason": self.reason,
        }
        for key, value in self.extra.items():
            out[key] = _float(value) if isinstance(value, Fraction) else value
        return out


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)
