"""Reading an ODM 1.3.2 document written by autoserum back into the rows of a data package
(the inverse of :func:`~autoserum.study.odm.odm_xml`), every value converted by the entity
registry's converter; an error names the line of the document, the subject and the item.

The forms, item groups and items are recognised by the ``Alias`` es the writer gave them
(``autoserum:entity``, ``autoserum:instrument``, ``autoserum:column``, ``autoserum:item``),
the study's settings by the reference item group ``IG.STUDY``, the consent documents by their
reference item group (``IG.CONSENT_DOCUMENT``). Audit records and signatures are
not read: the imported study starts its own audit trail with the import.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from autoserum.errors import Expected, ValidationError
from autoserum.instruments import Item
from autoserum.study.entities import EntitySpec
from autoserum.study.odm._layout import (
    ASSESSMENT,
    CONSENT_DOCUMENT,
    NS,
    ODM_REGISTRY,
    SUBJECT_EVENT,
    choice_text,
    field_columns,
    instrument_of,
)
from autoserum.study.odm._meta import REFERENCE_GROUP
from autoserum.study.package import key_columns, parse_cell

__all__ = ["OdmContent", "read_odm"]

_Q = f"{{{NS}}}"


@dataclass(frozen=True)
class OdmContent:
    """An ODM document read back: the package's ``autoserum`` metadata (``study`` settings,
    ``blinded``, ``deidentified``) and its rows per record type."""

    meta: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]
    #: Per record type, where each row is in the document (``ODM line 812 SubjectKey S-001
    #: IG.CONSENT``), in the order of ``rows``.
    places: dict[str, list[str]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class _Group:
    entity: str | None  # a record type, or None for an instrument's assessments
    instrument: str | None
    items: dict[str, tuple[str, str]]  # ItemOID → ("column"|"item", name)


def _aliases(node: etree._Element) -> dict[str, str]:
    return {a.get("Context", ""): a.get("Name", "") for a in node.iterfind(f"{_Q}Alias")}


def _where(node: etree._Element, subject: str | None = None) -> str:
    place = f"ODM line {node.sourceline}"
    return place if subject is None else f"{place} SubjectKey {subject}"


def read_odm(data: bytes) -> OdmContent:
    """The settings and rows of an ODM document written by ``autoserum export --format odm``;
    nothing is written (see the module docstring)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise ValidationError("ODM", str(err), Expected("a well-formed XML document")) from None
    if root.tag != f"{_Q}ODM" or root.get("ODMVersion") != "1.3.2":
        raise ValidationError("ODM", root.tag, Expected("an ODM 1.3.2 document (ODMVersion 1.3.2)"))
    if root.get("SourceSystem") != "autoserum":
        raise ValidationError(
            "ODM SourceSystem",
            root.get("SourceSystem"),
            Expected("autoserum (an ODM file it wrote)"),
        )
    mdv = root.find(f"{_Q}Study/{_Q}MetaDataVersion")
    if mdv is None:
        raise ValidationError("ODM", None, Expected("a Study with its MetaDataVersion"))
    groups = _groups(mdv)
    meta = _settings(root)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in ODM_REGISTRY}
    rows["site"] = [
        {"code": loc.get("OID", "")[4:], "name": loc.get("Name")}
        for loc in root.iterfind(f"{_Q}AdminData/{_Q}Location")
        if loc.get("LocationType") == "Site"
    ]
    places: dict[int, str] = {}  # id of a row → where it is in the document
    for reference in root.iterfind(f"{_Q}ReferenceData"):
        for group in reference.iterfind(f"{_Q}ItemGroupData"):
            oid = group.get("ItemGroupOID", "")
            if oid == REFERENCE_GROUP:
                continue
            spec_of = groups.get(oid)
            if spec_of is None or spec_of.entity != CONSENT_DOCUMENT.name:
                raise ValidationError(f"{_where(group)} ItemGroupData", oid,
                                      Expected("an item group of the metadata"))  # fmt: skip
            row = _row(group, spec_of, None, None)
            places[id(row)] = f"{_where(group)} {oid}"
            rows[CONSENT_DOCUMENT.name].append(row)
    for clinical in root.iterfind(f"{_Q}ClinicalData"):
        for subject in clinical.iterfind(f"{_Q}SubjectData"):
            _subject(subject, groups, rows, places)
    for name, spec in ODM_REGISTRY.items():
        if "record" in key_columns(spec):
            rows[name].sort(key=lambda r: int(r["record"]))
    at = {name: [places.get(id(r), "ODM") for r in found] for name, found in rows.items()}
    return OdmContent(meta, rows, at)


def _groups(mdv: etree._Element) -> dict[str, _Group]:
    items: dict[str, tuple[str, str]] = {}
    for item in mdv.iterfind(f"{_Q}ItemDef"):
        alias = _aliases(item)
        if "autoserum:column" in alias:
            items[item.get("OID", "")] = ("column", alias["autoserum:column"])
        elif "autoserum:item" in alias:
            items[item.get("OID", "")] = ("item", alias["autoserum:item"])
    groups: dict[str, _Group] = {}
    for group in mdv.iterfind(f"{_Q}ItemGroupDef"):
        alias = _aliases(group)
        entity, instrument = alias.get("autoserum:entity"), alias.get("autoserum:instrument")
        if entity is None and instrument is None:
            continue
        if entity is not None and entity not in ODM_REGISTRY:
            raise ValidationError(
                f"{_where(group)} ItemGroupDef {group.get('OID')}",
                entity,
                Expected(
                    "a record type of the registry: %(values)s", values=", ".join(ODM_REGISTRY)
                ),
            )
        refs = {
            ref.get("ItemOID", ""): items[ref.get("ItemOID", "")]
            for ref in group.iterfind(f"{_Q}ItemRef")
            if ref.get("ItemOID", "") in items
        }
        groups[group.get("OID", "")] = _Group(entity, instrument, refs)
        if entity is not None:
            _check_complete(ODM_REGISTRY[entity], group, refs)
    return groups


def _check_complete(spec: EntitySpec, group: etree._Element, refs: Mapping[str, Any]) -> None:
    present = {name for kind, name in refs.values() if kind == "column"}
    for column, field in field_columns(spec).items():
        if field.required and not field.is_nullable and column not in present:
            raise ValidationError(
                f"{_where(group)} ItemGroupDef {group.get('OID')} item {column}",
                None,
                Expected(
                    "the item present (a blinded or de-identified ODM file cannot be imported)"
                ),
            )


def _settings(root: etree._Element) -> dict[str, Any]:
    group = root.find(f"{_Q}ReferenceData/{_Q}ItemGroupData[@ItemGroupOID='{REFERENCE_GROUP}']")
    if group is None:
        raise ValidationError(
            "ODM ReferenceData",
            None,
            Expected("the study settings (%(reference_group)s)", reference_group=REFERENCE_GROUP),
        )
    values: dict[str, Any] = {}
    for item in group.iterfind(f"{_Q}ItemData"):
        key = item.get("ItemOID", "").removeprefix("IT.STUDY.")
        try:
            values[key] = json.loads(item.get("Value", "null"))
        except json.JSONDecodeError:
            raise ValidationError(f"{_where(item)} {item.get('ItemOID')}", item.get("Value"),
                                  Expected("a JSON value")) from None  # fmt: skip
    blinded, deidentified = (
        bool(values.pop("blinded", False)),
        bool(values.pop("deidentified", False)),
    )
    return {"study": values, "blinded": blinded, "deidentified": deidentified}


def _subject(
    node: etree._Element,
    groups: Mapping[str, _Group],
    rows: dict[str, list[dict[str, Any]]],
    places: dict[int, str],
) -> None:
    key = node.get("SubjectKey", "")
    site = node.find(f"{_Q}SiteRef")
    if site is None:
        raise ValidationError(f"{_where(node, key)} SiteRef", None, Expected("the subject's site"))
    for event in node.iterfind(f"{_Q}StudyEventData"):
        visit: str | None = None
        if event.get("StudyEventOID") != SUBJECT_EVENT:
            found = event.find(f"{_Q}FormData/{_Q}ItemGroupData[@ItemGroupOID='IG.VISIT']")
            item = None if found is None else found.find(f"{_Q}ItemData[@ItemOID='IT.VISIT.visit']")
            if item is None:
                raise ValidationError(f"{_where(event, key)} StudyEventData", None,
                                      Expected("the visit form with its visit code"))  # fmt: skip
            visit = item.get("Value")
        for group in event.iterfind(f"{_Q}FormData/{_Q}ItemGroupData"):
            oid = group.get("ItemGroupOID", "")
            spec_of = groups.get(oid)
            if spec_of is None or spec_of.entity == CONSENT_DOCUMENT.name:
                raise ValidationError(f"{_where(group, key)} ItemGroupData", oid,
                                      Expected("an item group of the metadata"))  # fmt: skip
            row = _row(group, spec_of, key, visit)
            if spec_of.entity == "subject":
                row = {"site": site.get("LocationOID", "")[4:], "subject_id": key, **row}
            places[id(row)] = f"{_where(group, key)} {oid}"
            rows[spec_of.entity or ASSESSMENT].append(row)


def _row(
    group: etree._Element, spec_of: _Group, subject: str | None, visit: str | None
) -> dict[str, Any]:
    spec = ODM_REGISTRY[spec_of.entity or ASSESSMENT]
    keys = key_columns(spec)
    row: dict[str, Any] = {}
    if "subject_id" in keys:
        row["subject_id"] = subject
    if "record" in keys:
        repeat = group.get("ItemGroupRepeatKey", "")
        if not repeat.isdigit() or int(repeat) < 1:
            raise ValidationError(f"{_where(group, subject)} ItemGroupRepeatKey", repeat,
                                  Expected("a record number (a whole number ≥ 1)"))  # fmt: skip
        row["record"] = int(repeat)
    if "visit" in keys:
        row["visit"] = visit
    texts: dict[str, str | None] = {}
    lines: dict[str, etree._Element] = {}
    payload: dict[str, Any] = {}
    for item in group.iterfind(f"{_Q}ItemData"):
        oid = item.get("ItemOID", "")
        where = f"{_where(item, subject)} {oid}"
        known = spec_of.items.get(oid)
        if known is None:
            raise ValidationError(
                where,
                item.get("Value"),
                Expected("an item of %(group)s", group=group.get("ItemGroupOID")),
            )
        kind, name = known
        value = None if item.get("IsNull") == "Yes" else item.get("Value")
        if kind == "column":
            texts[name] = value
            lines[name] = item
        else:
            payload[name] = _item_value(spec_of.instrument or "", name, value, where)
    fields = field_columns(spec)
    for _oid, (kind, name) in spec_of.items.items():
        if kind != "column":
            continue
        text = texts.get(name)
        where = f"{_where(lines.get(name, group), subject)} {group.get('ItemGroupOID')} item {name}"
        if name in fields:
            row[name] = parse_cell(fields[name], text, name=where)
        elif text is None:
            row[name] = None
        elif text.isdigit() and int(text) >= 1:
            row[name] = int(text)
        else:
            raise ValidationError(where, text, Expected("a record number (a whole number ≥ 1)"))
    if spec_of.instrument is not None:
        code = spec_of.instrument
        inst = instrument_of(code)
        row["instrument"] = code
        unflat = (
            None if inst is None or not payload else inst.unflatten(_columns(inst.items, payload))
        )
        row["payload"] = fields["payload"].convert(unflat, name=f"{_where(group, subject)} payload")
    return row


def _columns(items: tuple[Item, ...], by_path: Mapping[str, Any]) -> dict[str, Any]:
    return {i.column: by_path[i.path] for i in items if i.path in by_path}


def _item_value(code: str, path: str, text: str | None, where: str) -> Any:
    if text is None:
        return None
    inst = instrument_of(code)
    item = next((i for i in inst.items if i.path == path), None) if inst else None
    if item is None:
        raise ValidationError(where, text, Expected("an item of %(code)s", code=code))
    if item.kind == "choice":
        for allowed in item.allowed or ():
            if choice_text(allowed) == text:
                return allowed
        raise ValidationError(where, text, item.expected())
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ValidationError(where, text, item.expected()) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(where, text, item.expected())
    return value
