"""A study as one CDISC ODM 1.3.2 XML document (``Snapshot``): metadata, administrative data
(sites as locations; with the audit trail, its users and signature definitions), the study's
settings as reference data and every record as clinical data (``docs/exports.md``).

The records are the rows of the study's data package (:mod:`autoserum.study.package`), so
blinding and de-identification are the package's: a masked field or date is absent from the
metadata and the data alike. Values are the package's canonical cell text; an assessment's
payload is written item by item (a number as the JSON number it is stored as, an answer as its
code).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from autoserum.errors import Expected, ValidationError
from autoserum.study.entities import REGISTRY, EntitySpec
from autoserum.study.odm._layout import (
    ASSESSMENT,
    CONSENT_DOCUMENT,
    NS,
    SUBJECT_EVENT,
    Flags,
    choice_text,
    data_specs,
    event_oid,
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
from autoserum.study.odm._meta import MDV_OID, REFERENCE_GROUP, element, metadata
from autoserum.study.package import cell_text
from autoserum.study.signatures import Signature

__all__ = ["odm_xml"]

Rows = Mapping[str, Sequence[Mapping[str, Any]]]
_STUDY_LOCATION = "LOC.STUDY"


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def odm_xml(
    meta: Mapping[str, Any],
    rows: Rows,
    *,
    created: datetime,
    audit: Sequence[Mapping[str, Any]] | None = None,
    signatures: Sequence[Signature] | None = None,
) -> bytes:
    """The ODM 1.3.2 document of a study's package (``meta``: the package descriptor's
    ``autoserum`` part; ``rows``: its rows per record type). ``audit`` (audit records as
    :meth:`AuditRecord.to_json` gives them) and ``signatures`` add ``AuditRecords`` and
    ``Signatures`` with their users and signature definitions; neither may come with a
    de-identified package (they name people and times)."""
    settings: Mapping[str, Any] = meta["study"]
    blinded, deidentified = bool(meta["blinded"]), bool(meta["deidentified"])
    if deidentified and (audit or signatures):
        raise ValidationError(
            "--with-audit",
            "de-identified",
            Expected("an identified export (audit records and signatures name people and times)"),
        )
    name = str(settings["name"])
    study_oid = f"ST.{name}"
    root = etree.Element(
        f"{{{NS}}}ODM",
        nsmap={None: NS},
        attrib={
            "FileType": "Snapshot",
            "Granularity": "All",
            "FileOID": f"ODM.{name}",
            "CreationDateTime": _stamp(created),
            "ODMVersion": "1.3.2",
            "Originator": "autoserum",
            "SourceSystem": "autoserum",
        },
    )
    study = element(root, "Study", OID=study_oid)
    glob = element(study, "GlobalVariables")
    element(glob, "StudyName").text = name
    element(glob, "StudyDescription").text = str(
        (settings.get("protocol") or {}).get("title") or f"autoserum study {name}"
    )
    element(glob, "ProtocolName").text = str(settings.get("protocol_code") or name)
    instruments = {str(r["instrument"]) for r in rows.get(ASSESSMENT, ())}
    metadata(study, settings, instruments=instruments, blinded=blinded, deidentified=deidentified)
    _admin(root, study_oid, rows, created, audit or (), signatures or ())
    reference = element(root, "ReferenceData", StudyOID=study_oid, MetaDataVersionOID=MDV_OID)
    group = element(reference, "ItemGroupData", ItemGroupOID=REFERENCE_GROUP)
    values = {**settings, "blinded": blinded, "deidentified": deidentified}
    for key, value in values.items():
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        element(group, "ItemData", ItemOID=f"IT.STUDY.{key}", Value=text)
    for document in rows.get(CONSENT_DOCUMENT.name, ()):
        flags = Flags(blinded=blinded, deidentified=deidentified)
        _group(reference, CONSENT_DOCUMENT, document, str(document["record"]), flags)
    clinical = element(root, "ClinicalData", StudyOID=study_oid, MetaDataVersionOID=MDV_OID)
    _clinical(clinical, settings, rows, blinded=blinded, deidentified=deidentified)
    if audit:
        _audit_records(clinical, audit, rows)
    if signatures:
        _signatures(clinical, signatures, rows)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out


def _site_of(rows: Rows) -> dict[str, str]:
    return {str(s["subject_id"]): str(s["site"]) for s in rows.get("subject", ())}


def _admin(
    root: etree._Element,
    study_oid: str,
    rows: Rows,
    created: datetime,
    audit: Sequence[Mapping[str, Any]],
    signatures: Sequence[Signature],
) -> None:
    admin = element(root, "AdminData", StudyOID=study_oid)
    names: dict[str, str | None] = {}
    for record in audit:
        names.setdefault(str(record["username"]), None)
    for sig in signatures:
        names[sig.signer] = sig.printed_name
    for username in sorted(names):
        user = element(admin, "User", OID=f"USR.{username}")
        element(user, "LoginName").text = username
        if names[username]:
            element(user, "FullName").text = names[username]
    effective = created.astimezone(UTC).date().isoformat()
    locations = [(_STUDY_LOCATION, "study", "Sponsor")]
    locations += [(f"LOC.{s['code']}", str(s.get("name") or s["code"]), "Site")
                  for s in rows.get("site", ())]  # fmt: skip
    for oid, label, kind in locations:
        loc = element(admin, "Location", OID=oid, Name=label, LocationType=kind)
        element(loc, "MetaDataVersionRef", StudyOID=study_oid, MetaDataVersionOID=MDV_OID,
                EffectiveDate=effective)  # fmt: skip
    for meaning in sorted({s.meaning for s in signatures}):
        sd = element(admin, "SignatureDef", OID=f"SD.{meaning}", Methodology="Electronic")
        element(sd, "Meaning").text = meaning
        element(
            sd, "LegalReason"
        ).text = f"21 CFR Part 11 electronic signature ({meaning}), password re-entered"


def _by_subject(rows: Rows) -> dict[str, dict[str, list[Mapping[str, Any]]]]:
    out: dict[str, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for spec in data_specs():
        for row in rows.get(spec.name, ()):
            out[str(row["subject_id"])][spec.name].append(row)
    return out


def _clinical(
    clinical: etree._Element,
    settings: Mapping[str, Any],
    rows: Rows,
    *,
    blinded: bool,
    deidentified: bool,
) -> None:
    flags = Flags(blinded=blinded, deidentified=deidentified)
    planned = frozenset(str(v["code"]) for v in (settings.get("protocol") or {}).get("visits", ()))
    subject_spec = REGISTRY["subject"]
    records = _by_subject(rows)
    loose = [s for s in data_specs() if s.name not in ("visit", ASSESSMENT)]
    for subject in rows.get("subject", ()):
        key = str(subject["subject_id"])
        own = records.get(key, {})
        data = element(clinical, "SubjectData", SubjectKey=key)
        element(data, "SiteRef", LocationOID=f"LOC.{subject['site']}")
        event = element(data, "StudyEventData", StudyEventOID=SUBJECT_EVENT)
        form = element(event, "FormData", FormOID=form_oid(subject_spec))
        _group(form, subject_spec, subject, None, flags)
        for spec in loose:
            chosen = [r for r in own.get(spec.name, ()) if r.get("visit") is None]
            _form(event, spec, chosen, flags)
        for visit in own.get("visit", ()):
            code = str(visit["visit"])
            oid = event_oid(code, planned)
            event = element(data, "StudyEventData", StudyEventOID=oid,
                            StudyEventRepeatKey=None if code in planned else code)  # fmt: skip
            form = element(event, "FormData", FormOID=form_oid(REGISTRY["visit"]))
            _group(form, REGISTRY["visit"], visit, None, flags)
            _assessments(event, [a for a in own.get(ASSESSMENT, ()) if a["visit"] == code], flags)
            for spec in loose:
                if visit_linked(spec):
                    _form(event, spec, [r for r in own.get(spec.name, ()) if r["visit"] == code],
                          flags)  # fmt: skip


def _form(
    event: etree._Element,
    spec: EntitySpec,
    chosen: Iterable[Mapping[str, Any]],
    flags: Flags,
) -> None:
    form = None
    for row in chosen:
        if form is None:
            form = element(event, "FormData", FormOID=form_oid(spec))
        _group(form, spec, row, str(row["record"]), flags)


def _group(
    form: etree._Element,
    spec: EntitySpec,
    row: Mapping[str, Any],
    repeat: str | None,
    flags: Flags,
) -> None:
    group = element(form, "ItemGroupData", ItemGroupOID=group_oid(spec), ItemGroupRepeatKey=repeat)
    fields = field_columns(spec)
    for column in item_columns(spec, **flags):
        value = row.get(column)
        field = fields.get(column)
        text = (None if value is None else str(value)) if field is None else cell_text(field, value)
        if text is not None:
            element(group, "ItemData", ItemOID=item_oid(spec, column), Value=text)


def _assessments(event: etree._Element, chosen: Sequence[Mapping[str, Any]], flags: Flags) -> None:
    spec = REGISTRY[ASSESSMENT]
    fields = field_columns(spec)
    own = [c for c in item_columns(spec, **flags) if c not in ("instrument", "payload")]
    forms: dict[str, etree._Element] = {}
    for row in chosen:
        code = str(row["instrument"])
        if code not in forms:
            forms[code] = element(event, "FormData", FormOID=qs_form_oid(code))
        group = element(forms[code], "ItemGroupData", ItemGroupOID=qs_group_oid(code),
                        ItemGroupRepeatKey=str(row["record"]))  # fmt: skip
        inst = instrument_of(code)
        payload = row.get("payload")
        if inst is not None and payload is not None:
            values = inst.flatten(payload)
            for item in inst.items:
                if item.column not in values:
                    continue
                value = values[item.column]
                oid = qs_item_oid(code, item.column)
                if value is None:
                    element(group, "ItemData", ItemOID=oid, IsNull="Yes")
                elif item.kind == "choice":
                    element(group, "ItemData", ItemOID=oid, Value=choice_text(value))
                else:
                    element(group, "ItemData", ItemOID=oid, Value=number_text(value))
        for column in own:
            text = cell_text(fields[column], row.get(column))
            if text is not None:
                element(group, "ItemData", ItemOID=item_oid(spec, column), Value=text)


def _audit_records(
    clinical: etree._Element, audit: Sequence[Mapping[str, Any]], rows: Rows
) -> None:
    sites = _site_of(rows)
    records = element(clinical, "AuditRecords")
    for entry in audit:
        subject = entry.get("subject_id")
        location = f"LOC.{sites[subject]}" if subject in sites else _STUDY_LOCATION
        node = element(records, "AuditRecord", EditPoint="DBAudit", ID=f"AR.{entry['id']}")
        element(node, "UserRef", UserOID=f"USR.{entry['username']}")
        element(node, "LocationRef", LocationOID=location)
        at = entry["at"]
        stamp = _stamp(at) if isinstance(at, datetime) else str(at)
        element(node, "DateTimeStamp").text = stamp
        if entry.get("reason"):
            element(node, "ReasonForChange").text = str(entry["reason"])
        element(node, "SourceID").text = _change(entry)


def _change(entry: Mapping[str, Any]) -> str:
    """What an audit record changed, in one line (``adverse_event 12 update severity:
    "mild" -> "moderate" (subject S-001, by alice as investigator)``)."""
    what = f"{entry['entity']} {entry['record_id']} {entry['action']}"
    if entry.get("field"):
        old = json.dumps(entry.get("old_value"), ensure_ascii=False, default=str)
        new = json.dumps(entry.get("new_value"), ensure_ascii=False, default=str)
        what += f" {entry['field']}: {old} -> {new}"
    elif entry.get("new_value") is not None or entry.get("old_value") is not None:
        value = (
            entry.get("new_value") if entry.get("new_value") is not None else entry.get("old_value")
        )
        what += " " + json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    subject = f"subject {entry['subject_id']}, " if entry.get("subject_id") else ""
    return f"{what} ({subject}by {entry['username']} as {entry.get('role', '')})"


def _signatures(clinical: etree._Element, signatures: Sequence[Signature], rows: Rows) -> None:
    sites = _site_of(rows)
    collection = element(clinical, "Signatures")
    for sig in signatures:
        if not sig.valid:
            continue  # an invalidated signature signs nothing any more (its record is audited)
        subject = sig.subject_id
        location = f"LOC.{sites[subject]}" if subject in sites else _STUDY_LOCATION
        node = element(collection, "Signature", ID=f"SG.{sig.id}")
        element(node, "UserRef", UserOID=f"USR.{sig.signer}")
        element(node, "LocationRef", LocationOID=location)
        element(node, "SignatureRef", SignatureOID=f"SD.{sig.meaning}")
        element(node, "DateTimeStamp").text = _stamp(sig.signed_at)
        digest = element(node, "CryptoBindingManifest")
        digest.text = (
            f"sha256:{sig.content_sha256} {sig.level}"
            + (f" {subject}" if subject else "")
            + (f" {sig.visit_code}" if sig.visit_code else "")
        )
