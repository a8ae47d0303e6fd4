"""The ``MetaDataVersion`` of a study's ODM document: study events from the protocol's visits,
forms, item groups and items from the entity and instrument registries, code lists from the
registry's vocabularies, the instrument registry's answer codes and the protocol's arms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from lxml import etree

from autoserum.instruments import Instrument, Item
from autoserum.study.entities import REGISTRY, EntitySpec, Field
from autoserum.study.odm._layout import (
    ASSESSMENT,
    CONSENT_DOCUMENT,
    NS,
    SUBJECT_EVENT,
    UNSCHEDULED_EVENT,
    Flags,
    choice_text,
    data_specs,
    field_columns,
    form_oid,
    group_oid,
    instrument_of,
    item_columns,
    item_oid,
    number_text,
    qs_form_oid,
    qs_group_oid,
    qs_item_oid,
    visit_linked,
)

__all__ = ["MDV_OID", "REFERENCE_GROUP", "element", "metadata", "text_element"]

MDV_OID = "MDV.1"
REFERENCE_GROUP = "IG.STUDY"
"""The reference item group holding the study's settings (protocol, allocation, columns)."""
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_DATA_TYPE = {
    "text": "text",
    "choice": "text",
    "json": "text",
    "fraction": "text",
    "int": "integer",
    "decimal": "float",
    "date": "date",
    "datetime": "datetime",
    "bool": "boolean",
}
_KEY_TITLES = {"draw": "draw", "aliquot": "aliquot", "preparation": "preparation"}


def element(parent: etree._Element, tag: str, **attrs: str | None) -> etree._Element:
    """A child ``tag`` in the ODM namespace with the attributes given (``None`` left out)."""
    return etree.SubElement(parent, f"{{{NS}}}{tag}", {k: v for k, v in attrs.items() if v})


def text_element(parent: etree._Element, tag: str, text: str) -> etree._Element:
    """``<tag><TranslatedText xml:lang="en">text</TranslatedText></tag>``."""
    node = element(parent, tag)
    translated = element(node, "TranslatedText")
    translated.set(XML_LANG, "en")
    translated.text = text
    return node


def _alias(parent: etree._Element, context: str, name: str) -> None:
    element(parent, "Alias", Context=context, Name=name)


def metadata(
    study: etree._Element,
    settings: Mapping[str, Any],
    *,
    instruments: Iterable[str],
    blinded: bool,
    deidentified: bool,
) -> None:
    """Append the ``MetaDataVersion`` of a study to its ``Study`` element."""
    protocol = settings.get("protocol") or {}
    visits = list(protocol.get("visits", ()))
    arms = list(protocol.get("arms", ()))
    codes = _instrument_codes(visits, instruments)
    flags = Flags(blinded=blinded, deidentified=deidentified)
    mdv = element(study, "MetaDataVersion", OID=MDV_OID, Name=f"{settings['name']} ODM 1.3.2")
    proto = element(mdv, "Protocol")
    text_element(proto, "Description", str(protocol.get("title") or settings["name"]))
    events = [f"SE.{v['code']}" for v in visits] + [UNSCHEDULED_EVENT, SUBJECT_EVENT]
    for n, oid in enumerate(events, start=1):
        element(proto, "StudyEventRef", StudyEventOID=oid, OrderNumber=str(n), Mandatory="No")
    _events(mdv, visits, codes, blinded=blinded)
    specs = [REGISTRY["subject"], *(s for s in data_specs(blinded=blinded) if s.name != ASSESSMENT)]
    _forms(mdv, specs, codes)
    own = _groups(mdv, specs, codes, flags)
    setting_keys = [*settings, "blinded", "deidentified"]
    ref = element(mdv, "ItemGroupDef", OID=REFERENCE_GROUP, Name="study settings",
                  Repeating="No", IsReferenceData="Yes")  # fmt: skip
    for n, key in enumerate(setting_keys, start=1):
        element(ref, "ItemRef", ItemOID=f"IT.STUDY.{key}", OrderNumber=str(n), Mandatory="No")
    _group_def(mdv, CONSENT_DOCUMENT, flags, repeating=True, reference=True)
    specs.append(CONSENT_DOCUMENT)  # its items and code lists as any record type's
    for spec in specs:
        fields = field_columns(spec)
        for column in item_columns(spec, **flags):
            _item_def(mdv, spec, column, fields.get(column), arms=bool(arms))
    assessment = REGISTRY[ASSESSMENT]
    for column in own:
        _item_def(mdv, assessment, column, field_columns(assessment)[column], arms=False)
    for code in codes:
        inst = instrument_of(code)
        if inst is not None:
            for item in inst.items:
                _instrument_item_def(mdv, inst, item)
    for key in setting_keys:
        node = element(mdv, "ItemDef", OID=f"IT.STUDY.{key}", Name=key, DataType="text")
        text_element(node, "Description", f"study setting {key} (JSON)")
    _code_lists(mdv, specs, codes, arms, flags)


def _events(
    mdv: etree._Element, visits: list[Mapping[str, Any]], codes: list[str], *, blinded: bool
) -> None:
    specs = data_specs(blinded=blinded)
    linked = [s for s in specs if visit_linked(s) and s.name != ASSESSMENT]
    visit_forms = [
        form_oid(REGISTRY["visit"]),
        *(qs_form_oid(c) for c in codes),
        *(form_oid(s) for s in linked),
    ]
    for v in visits:
        planned = set(v.get("instruments", ()))
        forms = [form_oid(REGISTRY["visit"]), *(qs_form_oid(c) for c in codes if c in planned)]
        forms += [f for f in visit_forms if f not in forms]
        _event(mdv, f"SE.{v['code']}", str(v.get("label") or v["code"]), "Scheduled", forms)
        _alias(mdv[-1], "autoserum:visit", str(v["code"]))
    _event(mdv, UNSCHEDULED_EVENT, "Unscheduled visit", "Unscheduled", visit_forms, repeating=True)
    subject_forms = [form_oid(REGISTRY["subject"])]
    subject_forms += [form_oid(s) for s in specs if s.name not in ("visit", ASSESSMENT)]
    _event(mdv, SUBJECT_EVENT, "Subject", "Common", subject_forms)


def _forms(mdv: etree._Element, specs: list[EntitySpec], codes: list[str]) -> None:
    for spec in specs:
        form = element(mdv, "FormDef", OID=form_oid(spec), Name=spec.title or spec.name,
                       Repeating="No")  # fmt: skip
        element(form, "ItemGroupRef", ItemGroupOID=group_oid(spec), Mandatory="No")
        _alias(form, "autoserum:entity", spec.name)
    for code in codes:
        form = element(mdv, "FormDef", OID=qs_form_oid(code), Name=code, Repeating="No")
        element(form, "ItemGroupRef", ItemGroupOID=qs_group_oid(code), Mandatory="No")
        _alias(form, "autoserum:instrument", code)


def _groups(
    mdv: etree._Element, specs: list[EntitySpec], codes: list[str], flags: Flags
) -> list[str]:
    """The item groups; returns the assessment's own columns (every instrument group's)."""
    for spec in specs:
        _group_def(mdv, spec, flags, repeating=spec.name not in ("subject", "visit"))
    assessment = REGISTRY[ASSESSMENT]
    own = [c for c in item_columns(assessment, **flags) if c not in ("instrument", "payload")]
    for code in codes:
        group = element(mdv, "ItemGroupDef", OID=qs_group_oid(code), Name=code, Repeating="Yes")
        inst = instrument_of(code)
        refs = [qs_item_oid(code, i.column) for i in (inst.items if inst else ())]
        refs += [item_oid(assessment, c) for c in own]
        for n, oid in enumerate(refs, start=1):
            element(group, "ItemRef", ItemOID=oid, OrderNumber=str(n), Mandatory="No")
        _alias(group, "autoserum:instrument", code)
    return own


def _group_def(
    mdv: etree._Element,
    spec: EntitySpec,
    flags: Flags,
    *,
    repeating: bool,
    reference: bool = False,
) -> None:
    """The item group of a record type: one item per column, named by its ``Alias``."""
    group = element(mdv, "ItemGroupDef", OID=group_oid(spec), Name=spec.name,
                    Repeating="Yes" if repeating else "No",
                    IsReferenceData="Yes" if reference else None)  # fmt: skip
    for n, column in enumerate(item_columns(spec, **flags), start=1):
        element(group, "ItemRef", ItemOID=item_oid(spec, column), OrderNumber=str(n),
                Mandatory=_mandatory(field_columns(spec).get(column)))  # fmt: skip
    _alias(group, "autoserum:entity", spec.name)


def _instrument_codes(visits: list[Mapping[str, Any]], used: Iterable[str]) -> list[str]:
    codes: list[str] = []
    for v in visits:
        codes += [c for c in v.get("instruments", ()) if c not in codes]
    return codes + sorted(set(used) - set(codes))


def _event(
    mdv: etree._Element,
    oid: str,
    name: str,
    kind: str,
    forms: list[str],
    *,
    repeating: bool = False,
) -> None:
    event = element(mdv, "StudyEventDef", OID=oid, Name=name,
                    Repeating="Yes" if repeating else "No", Type=kind)  # fmt: skip
    for n, form in enumerate(forms, start=1):
        mandatory = "Yes" if n == 1 and kind != "Unscheduled" else "No"
        element(event, "FormRef", FormOID=form, OrderNumber=str(n), Mandatory=mandatory)


def _mandatory(field: Field | None) -> str:
    return "Yes" if field is not None and field.required and not field.is_nullable else "No"


def _item_def(
    mdv: etree._Element, spec: EntitySpec, column: str, field: Field | None, *, arms: bool
) -> None:
    if field is None:  # a link to another record: its record number
        node = element(mdv, "ItemDef", OID=item_oid(spec, column), Name=column, DataType="integer")
        text_element(node, "Description", f"Linked {_KEY_TITLES.get(column, column)} "
                     "(its record number)")  # fmt: skip
        _alias(node, "autoserum:column", column)
        return
    length = str(field.max_length) if field.kind == "text" and field.max_length else None
    node = element(mdv, "ItemDef", OID=item_oid(spec, column), Name=column,
                   DataType=_DATA_TYPE[field.kind], Length=length)  # fmt: skip
    text_element(node, "Description", field.help or field.title)
    text_element(node, "Question", field.title)
    if field.kind in ("int", "decimal"):
        _range(node, field.minimum, field.maximum)
    if field.kind == "choice":
        element(node, "CodeListRef", CodeListOID=f"CL.{spec.name.upper()}.{column}")
    elif spec.name == "subject" and field.name == "arm" and arms:
        element(node, "CodeListRef", CodeListOID="CL.ARM")
    _alias(node, "autoserum:column", column)


def _range(node: etree._Element, low: Any, high: Any) -> None:
    for comparator, bound in (("GE", low), ("LE", high)):
        if bound is not None:
            check = element(node, "RangeCheck", Comparator=comparator, SoftHard="Hard")
            value = format(bound, "f") if isinstance(bound, Decimal) else number_text(bound)
            element(check, "CheckValue").text = value


def _instrument_item_def(mdv: etree._Element, inst: Instrument, item: Item) -> None:
    choice = item.kind == "choice"
    node = element(mdv, "ItemDef", OID=qs_item_oid(inst.code, item.column), Name=item.column,
                   DataType="text" if choice else "float")  # fmt: skip
    text_element(node, "Description", f"{inst.name}: {item.label}")
    text_element(node, "Question", item.label)
    if not choice and item.allowed is None:
        _range(node, item.minimum, item.maximum)
    if item.allowed is not None:
        element(node, "CodeListRef", CodeListOID=f"CL.QS.{inst.code.upper()}.{item.column}")
    _alias(node, "autoserum:item", item.path)


def _code_lists(
    mdv: etree._Element,
    specs: list[EntitySpec],
    codes: list[str],
    arms: list[Mapping[str, Any]],
    flags: Flags,
) -> None:
    for spec in specs:
        fields = field_columns(spec)
        for column in item_columns(spec, **flags):
            field = fields.get(column)
            if field is None or field.kind != "choice":
                continue
            cl = element(mdv, "CodeList", OID=f"CL.{spec.name.upper()}.{column}",
                         Name=f"{spec.name} {column}", DataType="text")  # fmt: skip
            for n, choice in enumerate(field.choices, start=1):
                element(cl, "EnumeratedItem", CodedValue=choice, OrderNumber=str(n))
    for code in codes:
        inst = instrument_of(code)
        for item in inst.items if inst else ():
            if item.allowed is None:
                continue
            is_choice = item.kind == "choice"
            cl = element(mdv, "CodeList", OID=f"CL.QS.{code.upper()}.{item.column}",
                         Name=f"{code} {item.column}",
                         DataType="text" if is_choice else "float")  # fmt: skip
            for n, value in enumerate(item.allowed, start=1):
                coded = choice_text(value) if is_choice else number_text(value)
                points = (item.points or {}).get(value) if is_choice else None
                element(cl, "EnumeratedItem", CodedValue=coded,
                        Rank=None if points is None else str(points),
                        OrderNumber=str(n))  # fmt: skip
    if arms and not flags["blinded"]:
        cl = element(mdv, "CodeList", OID="CL.ARM", Name="arm", DataType="text")
        for arm in arms:
            item = element(cl, "CodeListItem", CodedValue=str(arm["code"]))
            text_element(item, "Decode", str(arm.get("label") or arm["code"]))
