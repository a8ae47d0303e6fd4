"""Instrument forms generated from the instrument registry, and their server-side parsing.

Field names are the flat item columns of the scoring specification (``head_neck_erythema``,
``dlqi`` answers ``q1``…); :func:`parse_instrument_form` turns the posted strings into the
nested payload of :func:`autoserum.instruments.score`, collecting one message per field.

Example::

    >>> fields = instrument_fields("easi")
    >>> [f.name for f in fields[:2]]
    ['age', 'head_neck_erythema']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from autoserum.errors import ValidationError
from autoserum.i18n import DEFAULT_LANGUAGE, error_text, expected_text, translate
from autoserum.instruments import Item, Questionnaire, Score, get_instrument, score

__all__ = [
    "FieldSpec",
    "ParsedForm",
    "form_values",
    "instrument_fields",
    "json_value",
    "parse_instrument_form",
    "payload_json",
    "score_form",
]


@dataclass(frozen=True)
class FieldSpec:
    """One form field of an instrument: a flat column with its widget and limits."""

    name: str
    path: str
    label: str
    group: str
    kind: str  # "number" | "choice"
    options: tuple[tuple[str, str], ...]  # (value, label) for a select
    minimum: str | None
    maximum: str | None
    step: str | None
    unit: str | None
    #: the label is a site's licensed wording (shown as written, not translated)
    licensed: bool = False


def _plain(value: Any) -> str:
    """An allowed value or bound as the text a form field holds (``1.5``, ``true``, ``a_lot``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if exact.denominator == 1:
        return str(exact.numerator)
    return str(Decimal(exact.numerator) / Decimal(exact.denominator))


def _group(item: Item) -> str:
    head, _, _ = item.path.partition(".")
    return head if "." in item.path else ""


def instrument_fields(code: str, texts: Questionnaire | None = None) -> tuple[FieldSpec, ...]:
    """The form fields of instrument ``code``, in the registry's item order; with ``texts``
    (:func:`autoserum.instruments.question_texts`) a site's licensed wording labels the items
    and their answers."""
    instrument = get_instrument(code)
    wording = {q.path: q for q in texts.questions if q.licensed} if texts else {}
    fields = []
    for item in instrument.items:
        question = wording.get(item.path)
        options: tuple[tuple[str, str], ...] = ()
        if item.allowed is not None:
            licensed = dict(question.answers) if question else {}
            options = tuple(
                (_plain(v), licensed.get(_plain(v)) or _plain(v).replace("_", " "))
                for v in item.allowed
            )
        fields.append(
            FieldSpec(
                name=item.column,
                path=item.path,
                label=item.label if question is None else question.text,
                licensed=question is not None,
                group=_group(item),
                kind=item.kind,
                options=options,
                minimum=None if item.minimum is None else _plain(item.minimum),
                maximum=None if item.maximum is None else _plain(item.maximum),
                step=None if item.step is None else _plain(item.step),
                unit=item.unit,
            )
        )
    return tuple(fields)


@dataclass(frozen=True)
class ParsedForm:
    """A posted instrument form: the typed values, the payload and the messages by field."""

    values: dict[str, str]  # as typed (kept when validation fails)
    flat: dict[str, Any]  # parsed flat values (missing fields absent)
    errors: dict[str, str]  # field name -> message

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_value(item: Item, raw: str) -> Any:
    """The value of one posted field, normalised and checked by the item itself."""
    if item.allowed is not None:
        for allowed in item.allowed:
            if _plain(allowed) == raw:
                return item.check(allowed)
        if item.kind == "choice":
            raise ValidationError(item.path, raw, item.expected())
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(item.path, raw, item.expected()) from None
    if not number.is_finite():
        raise ValidationError(item.path, raw, item.expected())
    return item.check(Fraction(number))


def parse_instrument_form(
    code: str, form: Mapping[str, Any], *, language: str = DEFAULT_LANGUAGE
) -> ParsedForm:
    """Parse the posted strings of instrument ``code``: per-field checks, then the scorer's;
    the messages are in ``language`` (the page's)."""
    instrument = get_instrument(code)
    values: dict[str, str] = {}
    flat: dict[str, Any] = {}
    errors: dict[str, str] = {}
    by_path = {item.path: item for item in instrument.items}
    for item in instrument.items:
        raw = str(form.get(item.column) or "").strip()
        values[item.column] = raw
        if not raw:
            continue
        try:
            flat[item.column] = _parse_value(item, raw)
        except ValidationError as err:
            errors[item.column] = translate(
                language,
                "got %(value)s; expected %(expected)s",
                value=repr(raw),
                expected=expected_text(err, language),
            )
    if not errors:
        try:
            score(code, instrument.unflatten(flat))
        except ValidationError as err:
            found = by_path.get(err.field)
            column = found.column if found else err.field.replace(".", "_")
            errors[column if column in values else "__all__"] = error_text(err, language)
    return ParsedForm(values, flat, errors)


def json_value(value: Any) -> Any:
    """A parsed item value as JSON that the scorer reads back exactly (decimal text)."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else _plain(value)
    return value


def payload_json(code: str, flat: Mapping[str, Any]) -> dict[str, Any]:
    """The nested, JSON-ready payload of parsed flat values (what the store keeps)."""
    return get_instrument(code).unflatten({k: json_value(v) for k, v in flat.items()})


def form_values(code: str, payload: Mapping[str, Any]) -> dict[str, str]:
    """The form field texts of a stored payload (to pre-fill a correction)."""
    return {k: _plain(v) for k, v in get_instrument(code).flatten(payload).items()}


def score_form(code: str, parsed: ParsedForm) -> Score | None:
    """The score of a valid parsed form (None when the form has errors)."""
    if not parsed.ok:
        return None
    return score(code, get_instrument(code).unflatten(parsed.flat))
