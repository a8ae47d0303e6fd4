"""A study as a REDCap project in and out of the store (``docs/exports.md``).

Out: the data dictionary, events, instrument-event mapping, repeating forms, records (flat
longitudinal CSV) and the mapping (TOML) of a study's package rows
(:mod:`autoserum.study.redcap`).

In: a REDCap project's dictionary and records with a mapping naming which fields are which
autoserum columns and items: the dictionary is checked against the mapping and the registries
first, every record converted, assessments scored by autoserum, then the study, its sites,
subjects and records written in one audited transaction (all or nothing).
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.protocols import Protocol, resolve_protocol
from autoserum.store._edit import score_payload
from autoserum.store._package import LINK_TARGETS, PackageContent
from autoserum.study.odm import CONSENT_DOCUMENT, ODM_REGISTRY, field_columns
from autoserum.study.package import VISIT_LINK, cell_text, descriptor, key_columns, parse_cell
from autoserum.study.redcap import (
    DICTIONARY_COLUMNS,
    RECORD_KEYS,
    check_dictionary,
    project,
    read_records,
    record_rows,
)

__all__ = ["redcap_content", "redcap_files"]


def _csv(columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _toml(
    mapping: Mapping[str, Any],
    settings: Mapping[str, Any],
    documents: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    lines = ["# autoserum REDCap mapping: which REDCap field is which autoserum column or item",
             "# (autoserum import --format redcap DICTIONARY.csv RECORDS.csv --mapping THIS)",
             "", "[study]"]  # fmt: skip
    for key in ("protocol_code", "allocation_n", "seed", "start_date"):
        if settings.get(key) is not None:
            lines.append(f"{key} = {_toml_value(settings[key])}")
    if settings.get("column_order"):
        lines.append(f"column_order = {_toml_value(list(settings['column_order']))}")
    for key in ("stratify_by", "protocol"):
        if settings.get(key) is not None:  # JSON: TOML has no null
            lines.append(f"{key}_json = {_toml_value(json.dumps(settings[key], sort_keys=True))}")
    if documents:  # the study's consent documents, which a REDCap project has no place for
        fields = field_columns(CONSENT_DOCUMENT)
        texts = [{"record": d["record"], **{c: cell_text(f, d.get(c)) for c, f in fields.items()
                                            if c in d}} for d in documents]  # fmt: skip
        lines.append(f"consent_documents_json = {_toml_value(json.dumps(texts, sort_keys=True))}")
    events = mapping["events"]
    lines += ["", "[events]", f"subject = {_toml_value(events['subject'])}"]
    lines += [f"unscheduled = {_toml_value(events['unscheduled'])}", "", "[events.visits]"]
    lines += [f"{visit} = {_toml_value(name)}" for visit, name in events["visits"].items()]
    for entity, form in mapping["forms"].items():
        lines += ["", f"[forms.{entity}]", f"form = {_toml_value(form['form'])}",
                  f"[forms.{entity}.fields]"]  # fmt: skip
        lines += [f"{c} = {_toml_value(f)}" for c, f in form["fields"].items()]
    for code, names in mapping["instruments"].items():
        lines += ["", f"[instruments.{code}]", f"form = {_toml_value(names['form'])}",
                  f"total = {_toml_value(names['total'])}", f"band = {_toml_value(names['band'])}",
                  f"[instruments.{code}.items]"]  # fmt: skip
        lines += [f"{c} = {_toml_value(f)}" for c, f in names["items"].items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def redcap_files(content: PackageContent) -> dict[str, bytes]:
    """File name → bytes of a study's REDCap project (see the module docstring)."""
    meta = content.descriptor["autoserum"]
    settings = meta["study"]
    used = [str(a["instrument"]) for a in content.rows.get("assessment", ())]
    proj = project(settings, instruments=used, blinded=meta["blinded"],
                   deidentified=meta["deidentified"])  # fmt: skip
    records = record_rows(proj.mapping, settings, content.rows, link_targets=LINK_TARGETS)
    fields = [
        r["Variable / Field Name"] for r in proj.dictionary if r["Field Type"] != "descriptive"
    ]
    return {
        "data_dictionary.csv": _csv(DICTIONARY_COLUMNS, proj.dictionary),
        "records.csv": _csv([*RECORD_KEYS, *fields[1:]], records),
        "events.csv": _csv(("event_name", "arm_num", "unique_event_name"), proj.events),
        "instrument_event_mapping.csv": _csv(
            ("arm_num", "unique_event_name", "form"), proj.form_events
        ),
        "repeating_instruments.csv": _csv(
            ("event_name", "form_name", "custom_form_label"), proj.repeating
        ),
        "mapping.toml": _toml(proj.mapping, settings, content.rows.get("consent_document", ())),
    }


def _read_csv(path: Path, what: str) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise ValidationError(what, str(path), Expected("an existing CSV file"))
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _settings(study: Mapping[str, Any], mapping_path: Path) -> dict[str, Any]:
    settings: dict[str, Any] = {
        k: study.get(k) for k in ("protocol_code", "allocation_n", "seed", "start_date")
    }
    settings["column_order"] = study.get("column_order")
    settings["stratify_by"] = (
        json.loads(study["stratify_by_json"]) if "stratify_by_json" in study else None
    )
    if "protocol_json" in study:
        settings["protocol"] = json.loads(study["protocol_json"])
    else:
        code = study.get("protocol") or study.get("protocol_code")
        if not code:
            raise ValidationError(f"{mapping_path.name} study.protocol", None,
                                  Expected("a protocol code or file"))  # fmt: skip
        path = mapping_path.parent / str(code)
        protocol = resolve_protocol(str(path) if path.exists() else str(code))
        settings["protocol"] = protocol.model_dump(mode="json")
        settings["protocol_code"] = protocol.code
    Protocol.model_validate(settings["protocol"])
    settings["allocation_n"] = int(settings.get("allocation_n") or 1)
    return settings


def redcap_content(dictionary: Path, records: Path, mapping_path: Path) -> PackageContent:
    """A REDCap project's export as the package content the importer writes (nothing is
    written; an error names the file, line and field)."""
    try:
        mapping = tomllib.loads(mapping_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(
            "--mapping", str(mapping_path), Expected("an existing TOML file")
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise ValidationError(mapping_path.name, str(err), Expected("a TOML mapping")) from None
    for key in ("study", "events", "forms"):
        if key not in mapping:
            raise ValidationError(
                f"{mapping_path.name} [{key}]", None, Expected("the table present")
            )
    mapping.setdefault("instruments", {})
    for entity in mapping["forms"]:
        if entity not in ODM_REGISTRY or entity in ("site", CONSENT_DOCUMENT.name):
            raise ValidationError(f"{mapping_path.name} forms.{entity}", entity,
                                  Expected("a record type of a subject"))  # fmt: skip
    header, rows = _read_csv(dictionary, "DICTIONARY")
    check_dictionary(header, rows, mapping, file=dictionary.name)
    columns, lines = _read_csv(records, "RECORDS")
    for key in RECORD_KEYS[:2]:
        if key not in columns:
            raise ValidationError(f"{records.name} header", key, Expected("the column present"))
    places: dict[int, str] = {}
    parsed = read_records(mapping, lines, file=records.name, places=places)
    settings = _settings(mapping["study"], mapping_path)
    rows_out = _number(parsed)
    sites = sorted({str(s["site"]) for s in rows_out["subject"]})
    rows_out["site"] = [{"code": code, "name": code} for code in sites]
    rows_out[CONSENT_DOCUMENT.name] = _documents(mapping["study"], mapping_path.name)
    _score(rows_out)
    desc = descriptor(settings, blinded="arm" not in mapping["forms"].get("subject", {}).get(
        "fields", {}), deidentified=False)  # fmt: skip
    documents = f"{mapping_path.name} study.consent_documents_json"
    at = {name: [places.get(id(r), f"{documents}[{n}]" if name == CONSENT_DOCUMENT.name
                            else records.name) for n, r in enumerate(found, start=1)]
          for name, found in rows_out.items()}  # fmt: skip
    return PackageContent(desc, rows_out, at)


def _number(parsed: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Record numbers per record type (in file order), links from instances to numbers."""
    numbers: dict[str, dict[tuple[str, int], int]] = defaultdict(dict)
    for name, chosen in parsed.items():
        if "record" not in key_columns(ODM_REGISTRY[name]):
            continue
        for n, row in enumerate(chosen, start=1):
            row["record"] = n
            instance = row.pop("instance", None)
            if instance is not None and row.get("visit") is None:
                numbers[name][(str(row["subject_id"]), int(instance))] = n
    for name, chosen in parsed.items():
        for link, target in LINK_TARGETS.get(name, {}).items():
            if link == VISIT_LINK or ODM_REGISTRY[target].parent != "subject":
                continue  # the visit; a consent document, named by its record number
            column = link.removesuffix("_id")
            for row in chosen:
                if row.get(column) is not None:
                    found = numbers[target].get((str(row["subject_id"]), int(row[column])))
                    if found is None:
                        raise ValidationError(
                            f"{name} of {row['subject_id']} field {column}",
                            row[column],
                            Expected("an instance of %(target)s", target=target),
                        )
                    row[column] = found
    return parsed


def _score(rows: dict[str, list[dict[str, Any]]]) -> None:
    """Each assessment's exact total and band from its items (autoserum scores; the REDCap
    calculation is not trusted), the file's total where it has no items (total-only codes)."""
    ages = {str(s["subject_id"]): s.get("age") for s in rows["subject"]}
    for row in rows["assessment"]:
        if row.get("payload") is not None:
            age = ages.get(str(row["subject_id"]))
            row["total"], row["band"] = score_payload(
                str(row["instrument"]), row["payload"], None if age is None else Decimal(age)
            )


def _documents(study: Mapping[str, Any], file: str) -> list[dict[str, Any]]:
    """The study's consent documents from the mapping (``[study] consent_documents_json``),
    each value converted by the registry's converter."""
    text = study.get("consent_documents_json")
    if text is None:
        return []
    where = f"{file} study.consent_documents_json"
    try:
        found = json.loads(str(text))
    except json.JSONDecodeError:
        raise ValidationError(where, text, Expected("a JSON list of consent documents")) from None
    if not isinstance(found, list):
        raise ValidationError(where, text, Expected("a JSON list of consent documents"))
    fields = field_columns(CONSENT_DOCUMENT)
    out: list[dict[str, Any]] = []
    for n, doc in enumerate(found, start=1):
        record = doc.get("record") if isinstance(doc, dict) else None
        if not isinstance(record, int) or isinstance(record, bool) or record < 1:
            raise ValidationError(f"{where}[{n}] record", record,
                                  Expected("a record number (a whole number ≥ 1)"))  # fmt: skip
        row: dict[str, Any] = {"record": record}
        for column, field in fields.items():
            row[column] = parse_cell(field, doc.get(column), name=f"{where}[{n}] {column}")
        out.append(row)
    return out
