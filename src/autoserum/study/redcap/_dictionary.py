"""A study's REDCap project: the data dictionary (REDCap's 18 columns), the events and the
instrument-event mapping, derived from the entity registry, the instrument registry and the
protocol; and the mapping (TOML) that names which REDCap field is which autoserum column.

Forms: ``subject`` (first: ``record_id`` is the subject identifier), ``visit``, one per
instrument (its code; fields are the tidy item columns, ``easi_head_neck_erythema``, then the
total under the tidy total column, ``easi``, and ``<code>_band``) and one per other record type
of a subject (``adverse_event``, ``lab``, ...; fields ``<type>_<column>``, or the column itself
when it already starts with the type's name: ``visit_date``), the informed consent among them
(``consent``, repeating in the subject event; ``consent_document`` names the document signed by
its record number among the study's consent documents, which a REDCap project has no place for:
the mapping carries them).

>>> field_name("adverse_event", "severity"), field_name("visit", "visit_date")
('adverse_event_severity', 'visit_date')
>>> len(DICTIONARY_COLUMNS)
18
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from autoserum.errors import AutoserumError
from autoserum.instruments import Instrument, Item, score
from autoserum.study.entities import REGISTRY, EntitySpec, Field
from autoserum.study.odm import (
    ASSESSMENT,
    CONSENT,
    Flags,
    choice_text,
    data_specs,
    field_columns,
    instrument_of,
    item_columns,
    visit_linked,
)

__all__ = [
    "DICTIONARY_COLUMNS",
    "SUBJECT_EVENT",
    "UNSCHEDULED_EVENT",
    "Project",
    "event_name",
    "field_name",
    "project",
    "sum_formula",
]

DICTIONARY_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
"""The 18 columns of a REDCap data dictionary, as REDCap writes and reads them."""

SUBJECT_EVENT = "subject_arm_1"
UNSCHEDULED_EVENT = "unscheduled_arm_1"
_VALIDATION = {"int": "integer", "decimal": "number", "date": "date_ymd"}


def field_name(entity: str, column: str) -> str:
    """The REDCap field of a record type's column (see the module docstring)."""
    return column if column.startswith(entity) else f"{entity}_{column}"


def event_name(visit: str) -> str:
    """The REDCap unique event name of a planned visit (``week_4`` → ``week_4_arm_1``)."""
    return f"{visit}_arm_1"


@dataclass(frozen=True)
class Project:
    """A REDCap project of a study: dictionary rows, events, instrument-event mapping,
    repeating forms and the mapping (autoserum column → REDCap field) the import reads."""

    dictionary: list[dict[str, str]]
    events: list[dict[str, str]]
    form_events: list[dict[str, str]]
    repeating: list[dict[str, str]]
    mapping: dict[str, Any]


def _row(name: str, form: str, kind: str, label: str, **extra: str) -> dict[str, str]:
    row = dict.fromkeys(DICTIONARY_COLUMNS, "")
    row.update({"Variable / Field Name": name, "Form Name": form, "Field Type": kind,
                "Field Label": label})  # fmt: skip
    keys = {
        "choices": "Choices, Calculations, OR Slider Labels",
        "note": "Field Note",
        "validation": "Text Validation Type OR Show Slider Number",
        "low": "Text Validation Min",
        "high": "Text Validation Max",
        "identifier": "Identifier?",
        "branching": "Branching Logic (Show field only if...)",
        "required": "Required Field?",
        "annotation": "Field Annotation",
    }
    for key, value in extra.items():
        row[keys[key]] = value
    return row


def _bound(value: Decimal | Fraction | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else str(float(value))
    return format(value, "f")


def _field_row(spec: EntitySpec, column: str, field: Field | None) -> dict[str, str]:
    name = field_name(spec.name, column)
    if field is None and spec is CONSENT:  # the document signed: not a subject's record
        return _row(name, spec.name, "text", "Consent document signed (its record number in "
                    "the mapping's consent documents)", validation="integer", low="1",
                    required="y")  # fmt: skip
    if field is None:  # a link to another record of the subject
        return _row(name, spec.name, "text", f"Linked {column} (its instance)",
                    validation="integer", low="1")  # fmt: skip
    extra: dict[str, str] = {}
    if field.required and not field.is_nullable:
        extra["required"] = "y"
    if field.identifying or field.kind in ("date", "datetime"):
        extra["identifier"] = "y"
    if field.help or field.unit or field.kind == "datetime":
        utc = "UTC time, ISO 8601" if field.kind == "datetime" else ""
        extra["note"] = " ".join(p for p in (field.help, field.unit, utc) if p)
    if field.kind == "choice":
        choices = " | ".join(f"{c}, {c.replace('_', ' ')}" for c in field.choices)
        return _row(name, spec.name, "dropdown", field.title, choices=choices, **extra)
    if field.kind == "bool":
        return _row(name, spec.name, "yesno", field.title, **extra)
    if field.kind == "json":
        return _row(name, spec.name, "notes", field.title, annotation="JSON", **extra)
    if field.kind in _VALIDATION:
        extra.update(validation=_VALIDATION[field.kind], low=_bound(field.minimum),
                     high=_bound(field.maximum))  # fmt: skip
    return _row(name, spec.name, "text", field.title, **extra)


def _item_row(inst: Instrument, item: Item) -> dict[str, str]:
    name = f"{inst.code}_{item.column}"
    extra: dict[str, str] = {"annotation": f"autoserum item {inst.code}.{item.path}"}
    if item.condition is not None:
        path, value = item.condition
        extra["branching"] = f"[{inst.code}_{inst.item(path).column}] = '{choice_text(value)}'"
    if item.unit:
        extra["note"] = item.unit
    integral = item.allowed is not None and all(
        not isinstance(a, str | bool) and Fraction(a).denominator == 1 for a in item.allowed
    )
    if item.kind == "choice" or integral:
        codes = [choice_text(a) if item.kind == "choice" else _bound(Fraction(a))
                 for a in item.allowed or ()]  # fmt: skip
        points = item.points or {}
        choices = " | ".join(
            f"{code}, {code.replace('_', ' ')}"
            + (f" ({points[a]})" if item.kind == "choice" and a in points else "")
            for code, a in zip(codes, item.allowed or (), strict=True)
        )
        return _row(name, inst.code, "radio", item.label, choices=choices, **extra)
    whole = item.step is not None and item.step.denominator == 1
    return _row(name, inst.code, "text", item.label, validation="integer" if whole else "number",
                low=_bound(item.minimum), high=_bound(item.maximum), **extra)  # fmt: skip


def _points_expr(inst: Instrument, item: Item) -> str:
    var = f"[{inst.code}_{item.column}]"
    if item.kind != "choice":
        return var
    expr = "''"
    for code, points in reversed(list((item.points or {}).items())):
        expr = f"if({var}='{choice_text(code)}',{points},{expr})"
    return expr


def _extreme(item: Item, index: int) -> Any:
    allowed = list(item.allowed or ())
    if allowed:
        return allowed[index % len(allowed)] if index >= 0 else allowed[-1]
    return item.maximum if index < 0 else item.minimum


def sum_formula(inst: Instrument) -> str | None:
    """A REDCap calculation of the instrument's total when the total is the sum of its items'
    points (checked on the registry: every item at its lowest, highest and alternating
    values), else ``None`` (the total is then a read-only number autoserum computed)."""
    scored = [i for i in inst.items if i.role == "score"]
    if not scored or any(i.condition or i.alternative_to for i in inst.items):
        return None
    for probe in (0, -1, 1):
        payload: dict[str, Any] = {}
        expected = Fraction(0)
        for n, item in enumerate(inst.items):
            value = _extreme(item, probe if probe != 1 else n)
            if value is None:
                return None
            node = payload
            *parents, leaf = item.path.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value if item.kind == "choice" else float(value)
            points = (item.points or {}).get(value) if item.kind == "choice" else value
            expected += Fraction(points or 0)
        try:
            total = score(inst.code, payload).total
        except AutoserumError:
            return None
        if total is None or Fraction(total) != expected:
            return None
    return "sum(" + ", ".join(_points_expr(inst, i) for i in scored) + ")"


def _instrument_codes(visits: Sequence[Mapping[str, Any]], used: Iterable[str]) -> list[str]:
    """The instruments used, in the order of their first record (the order a visit's
    assessments are read back in), then those the protocol plans and no record has."""
    codes: list[str] = list(dict.fromkeys(used))
    for v in visits:
        codes += [c for c in v.get("instruments", ()) if c not in codes]
    return codes


def project(
    settings: Mapping[str, Any], *, instruments: Iterable[str], blinded: bool, deidentified: bool
) -> Project:
    """The REDCap project of a study (see the module docstring)."""
    flags = Flags(blinded=blinded, deidentified=deidentified)
    protocol = settings.get("protocol") or {}
    visits = list(protocol.get("visits", ()))
    codes = _instrument_codes(visits, instruments)
    rows = [_row("record_id", "subject", "text", "Subject identifier", required="y")]
    mapping: dict[str, Any] = {"forms": {}, "instruments": {}}
    specs = [REGISTRY["subject"], *(s for s in data_specs(blinded=blinded) if s.name != ASSESSMENT)]
    for spec in specs:
        fields = field_columns(spec)
        columns = [c for c in item_columns(spec, **flags) if c != "subject_id"]
        if spec.name == "subject":
            columns = ["site", *columns]
        names: dict[str, str] = {}
        for column in columns:
            field = fields.get(column)
            if spec.name == "subject" and column == "site":
                rows.append(_row("subject_site", "subject", "text", "Site code", required="y"))
            else:
                rows.append(_field_row(spec, column, field))
            names[column] = field_name(spec.name, column)
        mapping["forms"][spec.name] = {"form": spec.name, "fields": names}
        if spec.name == "visit":
            rows += _instrument_rows(codes, mapping)
    visit_forms = ["visit", *codes, *(s.name for s in specs if visit_linked(s))]
    events = [{"event_name": "Subject", "arm_num": "1", "unique_event_name": SUBJECT_EVENT}]
    # the subject event: the subject's form, then every record type (those linked to a visit
    # for their records without one, such as an injection between visits)
    form_events = [{"arm_num": "1", "unique_event_name": SUBJECT_EVENT, "form": s.name}
                   for s in specs if s.name != "visit"]  # fmt: skip
    repeating = [{"event_name": SUBJECT_EVENT, "form_name": f["form"], "custom_form_label": ""}
                 for f in form_events if f["form"] != "subject"]  # fmt: skip
    for v in visits:
        unique = event_name(str(v["code"]))
        events.append({"event_name": str(v["code"]), "arm_num": "1", "unique_event_name": unique})
        form_events += [{"arm_num": "1", "unique_event_name": unique, "form": f}
                        for f in visit_forms]  # fmt: skip
        repeating += [{"event_name": unique, "form_name": s.name, "custom_form_label": ""}
                      for s in specs if visit_linked(s)]  # fmt: skip
    events.append({"event_name": "unscheduled", "arm_num": "1",
                   "unique_event_name": UNSCHEDULED_EVENT})  # fmt: skip
    form_events += [{"arm_num": "1", "unique_event_name": UNSCHEDULED_EVENT, "form": f}
                    for f in visit_forms]  # fmt: skip
    repeating.append({"event_name": UNSCHEDULED_EVENT, "form_name": "", "custom_form_label": ""})
    mapping["events"] = {
        "subject": SUBJECT_EVENT,
        "unscheduled": UNSCHEDULED_EVENT,
        "visits": {str(v["code"]): event_name(str(v["code"])) for v in visits},
    }
    return Project(rows, events, form_events, repeating, mapping)


def _instrument_rows(codes: list[str], mapping: dict[str, Any]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for code in codes:
        inst = instrument_of(code)
        items = {}
        if inst is not None:
            for item in inst.items:
                rows.append(_item_row(inst, item))
                items[item.column] = f"{code}_{item.column}"
        formula = None if inst is None else sum_formula(inst)
        label = f"{inst.name if inst else code} total"
        if formula is not None:
            rows.append(_row(code, code, "calc", label, choices=formula,
                             annotation="autoserum total (sum of the item points)"))  # fmt: skip
        else:
            note = "@READONLY autoserum total (computed by autoserum)"
            rows.append(_row(code, code, "text", label, validation="number", annotation=note))
        rows.append(_row(f"{code}_band", code, "text", f"{label}: band",
                         annotation="@READONLY"))  # fmt: skip
        mapping["instruments"][code] = {"form": code, "items": items, "total": code,
                                        "band": f"{code}_band"}  # fmt: skip
    return rows
