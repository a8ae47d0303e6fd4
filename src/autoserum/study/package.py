"""The complete tidy data package of a study, derived from the entity registry (pure core).

One CSV (and Parquet) file per record type of :data:`~autoserum.study.entities.REGISTRY` and
of the records about the data (:data:`~autoserum.study.entities.REVIEW_REGISTRY`: source-data
verifications, electronic signatures, locks, data queries and their messages), named after its
table, with a Frictionless Data Package descriptor (``datapackage.json``,
https://specs.frictionlessdata.io/data-package/) whose field types, constraints (required,
length, bounds, enumerations), primary keys and foreign keys come from the registry's
declarations. A record type another part declares in the registry is in the package without a
change here (``docs/exports.md``).

The columns of a record type: its keys (``site`` for a subject, ``subject_id`` for a record of
a subject, ``visit`` for a record linked to a visit), then every field the registry marks
``packaged``, named as in the tidy export (``visit_code`` is ``visit``). A blinded package
leaves out what the registry masks for blinded viewers (:func:`package_types`,
:func:`package_fields`, :func:`key_columns`): the fields (the arm, the product given), the
record types whose mere presence reveals the arm (the product chain's draws, processings,
aliquots, storage events and disposals) and the links to them (a kit's or an injection's
source); a
de-identified package leaves out every date and every field marked ``identifying`` (who gave an
injection, who unblinded, the eligibility facts, the withdrawal reason); the study's time
stays as weeks and days from day 0.

Cells are written as canonical text (:func:`cell_text`) and read back by the registry's
converter (:func:`parse_cell`), so export → import → export gives the same bytes.

>>> from autoserum.study.entities import entity
>>> package_columns(entity("lab"), blinded=False, deidentified=False)[:4]
('subject_id', 'record', 'visit', 'analyte')
>>> [c for c in package_columns(entity("deviation"), blinded=True, deidentified=True)]
['subject_id', 'record', 'visit', 'injection', 'category', 'days', 'importance']
>>> key_columns(entity("preparation"), blinded=True)
('subject_id', 'record')
>>> "aliquots" in [s.table for s in package_types(blinded=True)]
False
>>> cell_text(entity("lab").field("value"), Decimal("1.50"))
'1.50'
>>> parse_cell(entity("adverse_event").field("serious"), "true")
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.study.blinding import MASK as _MASK
from autoserum.study.entities import (
    CONSENT_REGISTRY,
    REGISTRY,
    REVIEW_REGISTRY,
    EntitySpec,
    Field,
)

__all__ = [
    "PACKAGED",
    "PACKAGE_FORMAT",
    "TARGET_LINK",
    "VISIT_LINK",
    "cell_text",
    "column_name",
    "descriptor",
    "key_columns",
    "link_column",
    "masked_placeholder",
    "package_columns",
    "package_fields",
    "package_types",
    "parse_cell",
    "resource_name",
]

PACKAGE_FORMAT = 1
"""Version of the package layout written in ``datapackage.json`` (``autoserum.format``)."""

VISIT_LINK = "visit_id"
"""The link a record type's spec names when its records belong to a visit."""

TARGET_LINK = "record_id"
"""The link of a record about another record of any type (a verification, a query, a record
lock): the type is the record's ``entity`` field; in the package the ``target`` column holds
the other record's row in its own file (1 = the first row; its ``record`` number where the
file has one)."""

PACKAGED: Mapping[str, EntitySpec] = {**REGISTRY, **CONSENT_REGISTRY, **REVIEW_REGISTRY}
"""Every record type of the package, in order: the record types of the registry, the informed
consent (the study's consent documents, the subjects' consents), then the records about the
data (verifications, signatures, locks, queries, query messages)."""

_FRACTION_PATTERN = r"-?[0-9]+(\.[0-9]+)?(/[0-9]+)?"

_FRICTIONLESS_TYPE: dict[str, str] = {
    "text": "string",
    "choice": "string",
    "int": "integer",
    "decimal": "number",
    "fraction": "string",
    "date": "date",
    "datetime": "datetime",
    "bool": "boolean",
    "json": "object",
}


def package_types(*, blinded: bool) -> tuple[EntitySpec, ...]:
    """The record types a package carries, in :data:`PACKAGED` order: every one, less those
    whose records reveal the arm (``EntitySpec.masked_for_blinded``) when ``blinded``."""
    return tuple(s for s in PACKAGED.values() if not (blinded and s.masked_for_blinded))


def masked_placeholder(field: Field) -> str:
    """What a copy imported from a blinded package records for a required field the package
    leaves out (masked for blinded viewers): ``none`` where the vocabulary has it (the product
    of an injection or a kit: unknown to the copy), else ``"blinded"`` (the kit's preparer).

    >>> from autoserum.study.entities import entity
    >>> masked_placeholder(entity("injection").field("product"))
    'none'
    >>> masked_placeholder(entity("preparation").field("prepared_by"))
    'blinded'
    """
    return "none" if "none" in field.choices else _MASK


def resource_name(spec: EntitySpec) -> str:
    """The resource (and file stem) of a record type: its table (``adverse_events``)."""
    return spec.table


def column_name(field: Field) -> str:
    """A field's column: its tidy export name, else its own name."""
    return field.export or field.name


def package_fields(spec: EntitySpec, *, blinded: bool, deidentified: bool) -> tuple[Field, ...]:
    """The fields of ``spec`` a package carries (see the module docstring)."""
    return tuple(
        f
        for f in spec.fields
        if f.packaged
        and not (blinded and f.masked_for_blinded)
        and not (deidentified and (f.identifying or f.kind in ("date", "datetime")))
    )


def link_column(link: str) -> str:
    """The column of a link to another record (``draw_id`` → ``draw``): the ``record`` number
    of the linked record in its own file.

    >>> link_column("aliquot_id")
    'aliquot'
    >>> link_column(TARGET_LINK)
    'target'
    """
    return "target" if link == TARGET_LINK else link.removesuffix("_id")


def key_columns(spec: EntitySpec, *, blinded: bool = False) -> tuple[str, ...]:
    """The key columns that place a record: ``site`` for a subject; for a record of a subject
    ``subject_id``, its ``record`` number (in its file; visits are keyed by their code
    instead), ``visit`` when it links to a visit and one column per other link
    (:func:`link_column`; when ``blinded``, not the links masked for blinded viewers,
    ``EntitySpec.masked_links``); for another record of the study (a consent document) its
    ``record`` number; none for a site (keyed by its code).

    >>> from autoserum.study.entities import CONSENT_REGISTRY, entity
    >>> key_columns(entity("lab"))
    ('subject_id', 'record', 'visit')
    >>> key_columns(CONSENT_REGISTRY["consent"])
    ('subject_id', 'record', 'document')
    >>> key_columns(CONSENT_REGISTRY["consent_document"])
    ('record',)
    """
    if spec.name == "subject":
        return ("site",)
    if spec.parent != "subject":
        return () if spec.name == "site" else ("record",)
    record = () if spec.name == "visit" else ("record",)
    links = tuple(
        "visit" if link == VISIT_LINK else link_column(link)
        for link in spec.links
        if not (blinded and link in spec.masked_links)
    )
    return ("subject_id", *record, *links)


def package_columns(spec: EntitySpec, *, blinded: bool, deidentified: bool) -> tuple[str, ...]:
    """The columns of a record type's file, in order (keys, then fields); a field left out
    is absent, not emptied. The injection's ``site`` column is the injection site (a record of
    a subject is placed by ``subject_id``, never by the study site)."""
    fields = package_fields(spec, blinded=blinded, deidentified=deidentified)
    return (*key_columns(spec, blinded=blinded), *(column_name(f) for f in fields))


def cell_text(field: Field, value: Any) -> str | None:
    """``value`` of ``field`` as the canonical text of its CSV cell (``None``: empty)."""
    if value is None:
        return None
    if field.kind == "bool":
        return "true" if value else "false"
    if field.kind == "decimal":
        return format(Decimal(value), "f")
    if field.kind == "datetime":
        if not isinstance(value, datetime):
            raise ValidationError(field.name, value, Expected("a date and time"))
        return value.astimezone(UTC).isoformat()
    if field.kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if field.kind == "json":
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def parse_cell(field: Field, text: str | None, *, name: str | None = None) -> Any:
    """The value of a CSV cell of ``field`` (the inverse of :func:`cell_text`), converted and
    checked by the registry's converter; an error names ``name`` (default: the field)."""
    where = name or field.name
    if text is None or text == "":
        return field.convert(None, name=where)
    if field.kind == "json":
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ValidationError(where, text, Expected("a JSON object")) from None
        return field.convert(value, name=where)
    if field.kind == "fraction":
        try:
            Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise ValidationError(
                where, text, Expected("an exact number such as 14.3 or 1/3")
            ) from None
        return text
    return field.convert(text, name=where)


def _field_descriptor(field: Field, *, unique: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": column_name(field),
        "title": field.title,
        "type": _FRICTIONLESS_TYPE[field.kind],
    }
    if field.help:
        out["description"] = field.help
    if field.unit:
        out["unit"] = field.unit
    constraints: dict[str, Any] = {}
    if field.required and not field.is_nullable:
        constraints["required"] = True
    if unique:
        constraints["unique"] = True
    if field.kind == "choice":
        constraints["enum"] = list(field.choices)
    if field.kind == "text" and field.max_length:
        constraints["maxLength"] = field.max_length
    if field.kind == "fraction":
        constraints["pattern"] = _FRACTION_PATTERN
    elif field.kind == "text" and field.pattern:  # a coded text (whole value; no anchors)
        constraints["pattern"] = field.pattern.removeprefix("^").removesuffix("$")
    if field.kind in ("int", "decimal"):
        for key, bound in (("minimum", field.minimum), ("maximum", field.maximum)):
            if bound is not None:
                constraints[key] = int(bound) if field.kind == "int" else float(bound)
    if constraints:
        out["constraints"] = constraints
    return out


def _key_descriptor(name: str, *, optional_subject: bool = False) -> dict[str, Any]:
    titles = {"site": "Site code", "subject_id": "Subject identifier", "visit": "Visit"}
    if name in titles:
        out: dict[str, Any] = {"name": name, "title": titles[name], "type": "string"}
        # a record may be linked to no visit (an injection between visits); a signature or a
        # lock of the whole study to no subject
        if name != "visit" and not (name == "subject_id" and optional_subject):
            out["constraints"] = {"required": True}
        return out
    if name == "record":
        title = "Record number in this file"
        return {"name": name, "title": title, "type": "integer",
                "constraints": {"required": True, "unique": True, "minimum": 1}}  # fmt: skip
    if name == "target":
        title = "Record it is about (its row in the file of its record type, entity)"
        return {"name": name, "title": title, "type": "integer", "constraints": {"minimum": 1}}
    return {"name": name, "title": f"Linked {name} (its record number)", "type": "integer"}


def _schema(
    spec: EntitySpec,
    *,
    blinded: bool,
    deidentified: bool,
    optional_visit: bool,
    optional_subject: bool = False,
    targets: Mapping[str, str],
) -> dict[str, Any]:
    keys = key_columns(spec, blinded=blinded)
    fields = package_fields(spec, blinded=blinded, deidentified=deidentified)
    schema: dict[str, Any] = {
        "fields": [
            *(_key_descriptor(k, optional_subject=optional_subject) for k in keys),
            *(_field_descriptor(f) for f in fields),
        ]
    }
    names = [column_name(f) for f in fields]
    primary: list[str] = []
    if spec.name == "site":
        primary = ["code"]
    elif spec.name == "subject":
        primary = ["subject_id"]
    elif spec.name == "visit" and "visit" in names:
        primary = ["subject_id", "visit"]
    elif "record" in keys:
        primary = ["record"]
    if primary:
        schema["primaryKey"] = primary
    foreign: list[dict[str, Any]] = []
    if spec.name == "subject":
        foreign.append({"fields": ["site"], "reference": {"resource": "sites", "fields": ["code"]}})
    elif spec.parent == "subject":
        foreign.append(
            {
                "fields": ["subject_id"],
                "reference": {"resource": "subjects", "fields": ["subject_id"]},
            }
        )
        if "visit" in keys and not optional_visit:  # a key with an empty part matches nothing
            foreign.append(
                {
                    "fields": ["subject_id", "visit"],
                    "reference": {"resource": "visits", "fields": ["subject_id", "visit"]},
                }
            )
    for link in spec.links:
        target = targets.get(link)
        if link != VISIT_LINK and target is not None and link_column(link) in keys:
            foreign.append(
                {
                    "fields": [link_column(link)],
                    "reference": {"resource": PACKAGED[target].table, "fields": ["record"]},
                }
            )
    if foreign:
        schema["foreignKeys"] = foreign
    return schema


def descriptor(
    study: Mapping[str, Any],
    *,
    blinded: bool,
    deidentified: bool,
    specs: Iterable[EntitySpec] | None = None,
    optional_visit: frozenset[str] = frozenset(),
    optional_subject: frozenset[str] = frozenset(),
    link_targets: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The ``datapackage.json`` of a study's package.

    ``study`` holds the study's settings (name, protocol code, the frozen protocol, ...)
    written under ``autoserum`` so that ``import`` recreates the study; ``specs`` defaults to
    every record type of the package (:func:`package_types`). ``optional_subject`` names the record
    types that may belong to no subject (a signature or lock of the study).
    ``optional_visit`` names the record types whose visit link may be empty (an injection
    between visits): their visit key is described but not a foreign key (Frictionless
    matches no key with an empty part). ``link_targets`` names,
    per record type and link, the record type it points to (a foreign key on ``record``).
    """
    chosen = list(package_types(blinded=blinded) if specs is None else specs)
    resources = []
    for spec in chosen:
        name = resource_name(spec)
        resources.append(
            {
                "name": name,
                "title": spec.title or spec.name.replace("_", " ").capitalize(),
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "autoserum:entity": spec.name,
                "autoserum:parquet": f"{name}.parquet",
                "schema": _schema(
                    spec,
                    blinded=blinded,
                    deidentified=deidentified,
                    optional_visit=spec.name in optional_visit,
                    optional_subject=spec.name in optional_subject,
                    targets=(link_targets or {}).get(spec.name, {}),
                ),
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": _slug(str(study.get("name", "study"))),
        "title": f"autoserum study {study.get('name', '')}",
        "autoserum": {
            "format": PACKAGE_FORMAT,
            "blinded": blinded,
            "deidentified": deidentified,
            "study": dict(study),
        },
        "resources": resources,
    }


def _slug(text: str) -> str:
    """A Data Package name: lower case letters, digits, ``-``, ``_`` and ``.``."""
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in text.lower())
    return slug.strip("-") or "study"
