"""A study's records in REDCap's flat longitudinal layout, and back.

Out: one row per subject in the subject event (``subject_arm_1``), one per planned visit in its
event (the visit form and the instrument forms share the row), one per unscheduled visit as an
instance of the repeating ``unscheduled_arm_1`` event, and one per other record as an instance
of its repeating form (``redcap_repeat_instrument``, ``redcap_repeat_instance`` numbered per
subject, event and form). A link to another record of the subject (an injection's aliquot) is
that record's instance number. Values: REDCap's (yes/no ``1``/``0``, dates ``YYYY-MM-DD``),
otherwise the package's canonical text (a time is ISO 8601 in UTC with its fraction of a second:
REDCap's ``datetime_seconds_ymd`` has whole seconds and no zone, so times are text fields).

In: the same layout read through a mapping (:func:`read_records`), every cell converted by the
entity registry's converter or checked by the instrument registry; an error names the file, the
line and the REDCap field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from autoserum.errors import AutoserumError, Expected, ValidationError
from autoserum.instruments import Item
from autoserum.study.entities import Field
from autoserum.study.odm import (
    ASSESSMENT,
    ODM_REGISTRY,
    choice_text,
    field_columns,
    instrument_of,
)
from autoserum.study.package import VISIT_LINK, cell_text, parse_cell
from autoserum.study.redcap._dictionary import event_name

__all__ = ["RECORD_KEYS", "read_records", "record_rows"]

RECORD_KEYS = ("record_id", "redcap_event_name", "redcap_repeat_instrument",
               "redcap_repeat_instance")  # fmt: skip
Rows = Mapping[str, Sequence[Mapping[str, Any]]]


def _cell(field: Field | None, value: Any) -> str:
    if value is None:
        return ""
    if field is None:
        return str(value)
    if field.kind == "bool":
        return "1" if value else "0"
    return cell_text(field, value) or ""


def _number(value: Any) -> str:
    number = Fraction(value) if not isinstance(value, float) else None
    if number is not None and number.denominator == 1:
        return str(number.numerator)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def record_rows(
    mapping: Mapping[str, Any],
    settings: Mapping[str, Any],
    rows: Rows,
    *,
    link_targets: Mapping[str, Mapping[str, str]],
) -> list[dict[str, str]]:
    """The flat records of a study's package rows (the columns: :data:`RECORD_KEYS`, then the
    mapping's fields); ``link_targets`` names, per record type and link (``aliquot_id``), the
    record type it points to."""
    links = {name: {link.removesuffix("_id"): target for link, target in targets.items()}
             for name, targets in link_targets.items()}  # fmt: skip
    forms: Mapping[str, Any] = mapping["forms"]
    planned = {str(v["code"]) for v in (settings.get("protocol") or {}).get("visits", ())}
    by_subject: dict[str, dict[str, list[Mapping[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for name in forms:
        if name != "subject":
            for row in rows.get(name, ()):
                by_subject[str(row["subject_id"])][name].append(row)
    for row in rows.get(ASSESSMENT, ()):
        by_subject[str(row["subject_id"])][ASSESSMENT].append(row)
    out: list[dict[str, str]] = []
    for subject in rows.get("subject", ()):
        key = str(subject["subject_id"])
        own = by_subject.get(key, {})
        instance = _instances(own)
        out.append(_line(key, mapping["events"]["subject"], "", "",
                         _values("subject", subject, forms, instance, links)))  # fmt: skip
        for name in forms:
            if name in ("subject", "visit"):
                continue
            for row in own.get(name, ()):
                if row.get("visit") is None:
                    out.append(_line(key, mapping["events"]["subject"], name,
                                     str(instance[name][row["record"]]),
                                     _values(name, row, forms, instance, links)))  # fmt: skip
        out += _visit_lines(key, own, mapping, planned, instance, links)
    return out


def _visit_lines(
    key: str,
    own: Mapping[str, Sequence[Mapping[str, Any]]],
    mapping: Mapping[str, Any],
    planned: set[str],
    instance: Mapping[str, Mapping[int, int]],
    links: Mapping[str, Mapping[str, str]],
) -> list[dict[str, str]]:
    """The lines of a subject's visits: one per visit (its forms), one per record linked to a
    planned visit (a repeating form); an unscheduled visit's records join its line."""
    forms: Mapping[str, Any] = mapping["forms"]
    out: list[dict[str, str]] = []
    unscheduled = 0
    for visit in own.get("visit", ()):
        code = str(visit["visit"])
        values = _values("visit", visit, forms, instance, links)
        values.update(_assessments(mapping, [a for a in own.get(ASSESSMENT, ())
                                              if a["visit"] == code]))  # fmt: skip
        linked = {n: [r for r in own.get(n, ()) if r.get("visit") == code]
                  for n in forms if n not in ("subject", "visit")}  # fmt: skip
        if code in planned:
            out.append(_line(key, event_name(code), "", "", values))
            for name, chosen in linked.items():
                for n, row in enumerate(chosen, start=1):
                    out.append(_line(key, event_name(code), name, str(n),
                                     _values(name, row, forms, instance, links)))  # fmt: skip
            continue
        unscheduled += 1
        for name, chosen in linked.items():
            if len(chosen) > 1:
                raise ValidationError(
                    f"{name} of subject {key} at visit {code}",
                    len(chosen),
                    Expected(
                        "at most one per unscheduled visit (a REDCap repeating event "
                        "cannot repeat its forms)"
                    ),
                )
            if chosen:
                values.update(_values(name, chosen[0], forms, instance, links))
        out.append(_line(key, mapping["events"]["unscheduled"], "", str(unscheduled), values))
    return out


def _instances(own: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, dict[int, int]]:
    """Per record type, record number → its instance among the subject's records outside a
    visit (where links point: the product chain)."""
    out: dict[str, dict[int, int]] = {}
    for name, chosen in own.items():
        if name in ("visit", ASSESSMENT):
            continue
        loose = [r for r in chosen if r.get("visit") is None]
        out[name] = {int(r["record"]): n for n, r in enumerate(loose, start=1)}
    return out


def _line(key: str, event: str, form: str, instance: str, values: dict[str, str]) -> dict[str, str]:
    return {"record_id": key, "redcap_event_name": event, "redcap_repeat_instrument": form,
            "redcap_repeat_instance": instance, **values}  # fmt: skip


def _values(
    name: str,
    row: Mapping[str, Any],
    forms: Mapping[str, Any],
    instance: Mapping[str, Mapping[int, int]],
    links: Mapping[str, Mapping[str, str]],
) -> dict[str, str]:
    spec = ODM_REGISTRY[name]
    fields = field_columns(spec)
    out: dict[str, str] = {}
    for column, redcap in forms[name]["fields"].items():
        value = row.get(column)
        if column not in fields and column != "site" and value is not None:
            target = links.get(name, {}).get(column, column)
            linked = ODM_REGISTRY.get(target)
            if linked is None or linked.parent == "subject":  # else a consent document's number
                value = instance.get(target, {}).get(int(value))
        out[redcap] = _cell(fields.get(column), value)
    return out


def _assessments(mapping: Mapping[str, Any], chosen: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in chosen:
        code = str(row["instrument"])
        names = mapping["instruments"].get(code)
        if names is None:
            continue
        inst = instrument_of(code)
        payload = row.get("payload")
        if inst is not None and payload is not None:
            flat = inst.flatten(payload)
            for item in inst.items:
                value = flat.get(item.column)
                if value is not None:
                    text = choice_text(value) if item.kind == "choice" else _number(value)
                    out[names["items"][item.column]] = text
        if row.get("total") is not None:  # the stored exact text; a fraction (1/3) as a decimal
            text = str(row["total"])
            out[names["total"]] = str(float(Fraction(text))) if "/" in text else text
        out[names["band"]] = str(row.get("band") or "")
    return out


# --- reading ----------------------------------------------------------------------------------
def _parse(field: Field, text: str, where: str) -> Any:
    if text == "":
        return parse_cell(field, None, name=where)
    if field.kind == "bool":
        if text not in ("0", "1"):
            raise ValidationError(where, text, Expected("1 (yes) or 0 (no)"))
        return text == "1"
    if field.kind == "datetime" and len(text) == 19:  # REDCap's datetime_seconds_ymd: UTC
        text = text.replace(" ", "T") + "+00:00"
    return parse_cell(field, text, name=where)


def _item_value(item: Item, text: str, where: str) -> Any:
    if item.kind == "choice":
        for allowed in item.allowed or ():
            if choice_text(allowed) == text:
                return allowed
        raise ValidationError(where, text, item.expected())
    try:
        number = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValidationError(where, text, item.expected()) from None
    value: int | float = number.numerator if number.denominator == 1 else float(text)
    try:
        item.check(value)
    except AutoserumError:
        raise ValidationError(where, text, item.expected()) from None
    return value


def read_records(
    mapping: Mapping[str, Any],
    lines: Sequence[Mapping[str, str]],
    *,
    file: str,
    places: dict[int, str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The package rows (without ``record`` numbers and totals: the store numbers and scores
    them) of REDCap records read as ``lines`` (dicts by column, line 2 first); ``places``, when
    given, receives the line of each row (by the row's ``id``), which an import error names."""
    forms: Mapping[str, Any] = mapping["forms"]
    events = mapping["events"]
    visit_of = {event: visit for visit, event in events.get("visits", {}).items()}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in ODM_REGISTRY}
    at: dict[int, str] = {} if places is None else places

    def add(name: str, row: dict[str, Any], where: str) -> None:
        rows[name].append(row)
        at[id(row)] = where

    for n, line in enumerate(lines, start=2):
        key = (line.get("record_id") or "").strip()
        event = line.get("redcap_event_name", "")
        form = line.get("redcap_repeat_instrument") or ""
        instance = line.get("redcap_repeat_instance") or ""
        where = f"{file} line {n}"
        if not key:
            raise ValidationError(f"{where} field record_id", key, Expected("a subject identifier"))
        if event == events["subject"] and not form:
            add("subject", {"subject_id": key, **_fields("subject", forms, line, where)}, where)
            continue
        visit = visit_of.get(event)
        if event not in visit_of and event != events["subject"] and event != events["unscheduled"]:
            expected = ", ".join([events["subject"], *visit_of, events["unscheduled"]])
            raise ValidationError(
                f"{where} field redcap_event_name",
                event,
                Expected("one of %(values)s", values=expected),
            )
        if form:
            if form not in forms or form in ("subject", "visit"):
                allowed = ", ".join(f for f in forms if f not in ("subject", "visit"))
                raise ValidationError(f"{where} field redcap_repeat_instrument", form,
                                      Expected("one of %(values)s", values=allowed))  # fmt: skip
            row = {"subject_id": key, "instance": _instance(instance, where),
                   **_fields(form, forms, line, where)}  # fmt: skip
            if VISIT_LINK in ODM_REGISTRY[form].links:
                row["visit"] = None if event == events["subject"] else visit
            add(form, row, where)
            continue
        values = _fields("visit", forms, line, where)
        add("visit", {"subject_id": key, **values}, where)
        code = values.get("visit") or visit
        for name, spec in forms.items():
            if name in ("subject", "visit") or event != events["unscheduled"]:
                continue
            if any(line.get(f) for f in spec["fields"].values()):
                row = {"subject_id": key, "instance": None, "visit": code,
                       **_fields(name, forms, line, where)}  # fmt: skip
                add(name, row, where)
        found = [_assessment(c, names, line, where) for c, names in mapping["instruments"].items()]
        # the assessments with items first, then total-only ones (as the tidy import records)
        chosen = [a for a in found if a is not None]
        chosen.sort(key=lambda a: a["payload"] is None)
        for a in chosen:
            add(ASSESSMENT, {"subject_id": key, "visit": code, **a}, where)
    return rows


def _instance(text: str, where: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValidationError(
            f"{where} field redcap_repeat_instance", text, Expected("a whole number ≥ 1")
        )
    return int(text)


def _fields(
    name: str, forms: Mapping[str, Any], line: Mapping[str, str], where: str
) -> dict[str, Any]:
    spec = ODM_REGISTRY[name]
    fields = field_columns(spec)
    out: dict[str, Any] = {}
    for column, redcap in forms[name]["fields"].items():
        if redcap not in line:
            raise ValidationError(
                f"{where} field {redcap}", None, Expected("the column in the records file")
            )
        text = (line.get(redcap) or "").strip()
        at = f"{where} field {redcap}"
        if column in fields:
            out[column] = _parse(fields[column], text, at)
        elif column == "site":
            if not text:
                raise ValidationError(at, text, Expected("the subject's site code"))
            out["site"] = text
        else:
            out[column] = None if not text else _instance(text, at)
    return out


def _assessment(
    code: str, names: Mapping[str, Any], line: Mapping[str, str], where: str
) -> dict[str, Any] | None:
    inst = instrument_of(code)
    items = names.get("items", {})
    texts = {col: (line.get(f) or "").strip() for col, f in items.items()}
    total = (line.get(names.get("total", "")) or "").strip()
    band = (line.get(names.get("band", "")) or "").strip()
    if not any(texts.values()) and not total:
        return None
    flat: dict[str, Any] = {}
    for column, text in texts.items():
        if not text:
            continue
        item = next((i for i in inst.items if i.column == column), None) if inst else None
        if item is None:
            raise ValidationError(
                f"{where} field {items[column]}", text, Expected("an item of %(code)s", code=code)
            )
        flat[column] = _item_value(item, text, f"{where} field {items[column]}")
    payload = inst.unflatten(flat) if inst is not None and flat else None
    return {"instrument": code, "payload": payload, "total": total or None, "band": band or None}
