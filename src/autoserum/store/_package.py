"""The complete data package of a study in and out of the store (``docs/exports.md``).

Out: every record type of the entity registry read from its table, one CSV (canonical text,
cells a spreadsheet would run as formulas neutralised) and one Parquet file (typed) per record
type and the Frictionless ``datapackage.json`` of :mod:`autoserum.study.package`, to a folder or
a ``.zip`` file (fixed time stamps: the same study gives the same bytes).

In: a package written by autoserum read back into a new study, all or nothing: every cell is
converted by the registry's converter first (an error names the file, line and column), then
the study, its sites, subjects and records are written in one audited transaction.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import ValidationError
from autoserum.protocols import Protocol
from autoserum.store._base import Actor
from autoserum.store._studies import new_study
from autoserum.store.models import AUDITED, SiteRow, StudyRow, SubjectRow, VisitRow
from autoserum.study.entities import REGISTRY, EntitySpec, Field
from autoserum.study.package import (
    PACKAGE_FORMAT,
    cell_text,
    column_name,
    descriptor,
    key_columns,
    package_fields,
    parse_cell,
    resource_name,
)
from autoserum.study.tidy import neutralise_cell, restore_formulas
from autoserum.study.visits import study_week

__all__ = [
    "PackageContent",
    "import_rows",
    "package_files",
    "read_package",
    "read_records",
    "write_package",
]

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_POLARS: dict[str, Any] = {
    "int": pl.Int64,
    "decimal": pl.Float64,
    "date": pl.Date,
    "datetime": pl.Datetime("us", "UTC"),
    "bool": pl.Boolean,
}


_OPTIONAL_VISIT = frozenset(
    name
    for name, model in AUDITED.items()
    if "visit_id" in model.__table__.c and model.__table__.c.visit_id.nullable
)
"""Record types whose visit link may be empty (the ORM's nullable ``visit_id``)."""


@dataclass(frozen=True)
class PackageContent:
    """A package in memory: its descriptor and, per record type, its rows of typed values
    keyed by column (keys as text)."""

    descriptor: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]


def _study_settings(st: StudyRow, *, arms: bool, deidentified: bool) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "name": st.name,
        "protocol_code": st.protocol_code,
        "allocation_n": st.allocation_n,
        "stratify_by": st.stratify_by,
        "column_order": st.column_order,
        "start_date": None if deidentified or st.start_date is None else st.start_date.isoformat(),
        "protocol": st.protocol,
    }
    if arms:  # the seed regenerates the concealed allocation lists
        settings["seed"] = st.seed
    return settings


def read_records(
    s: Session,
    st: StudyRow,
    actor: Actor,
    *,
    arms: bool,
    deidentified: bool,
) -> PackageContent:
    """Every record of ``st`` within the actor's ``export`` reach, per record type."""
    blinded = not arms
    sites = {r.id: r for r in s.scalars(select(SiteRow).where(SiteRow.study_id == st.id))}
    subjects = {
        r.id: r
        for r in s.scalars(select(SubjectRow).where(SubjectRow.study_id == st.id))
        if actor.may("export", st.name, sites[r.site_id].code)
    }
    visits: dict[int, str] = dict(
        s.execute(select(VisitRow.id, VisitRow.visit_code).where(VisitRow.study_id == st.id)).all()
    )
    rows: dict[str, list[dict[str, Any]]] = {}
    for spec in REGISTRY.values():
        fields = package_fields(spec, blinded=blinded, deidentified=deidentified)
        model = AUDITED[spec.name]
        out: list[tuple[Any, dict[str, Any]]] = []
        for row in s.scalars(select(model).where(model.study_id == st.id)):
            keys: dict[str, Any] = {}
            order: tuple[Any, ...]
            if spec.name == "site":
                order = (row.code,)
            elif spec.name == "subject":
                if row.id not in subjects:
                    continue
                keys["site"] = sites[row.site_id].code
                order = (row.subject_id,)
            elif spec.parent == "subject":
                subject = subjects.get(row.subject_pk)
                if subject is None:
                    continue
                keys["subject_id"] = subject.subject_id
                if "visit" in key_columns(spec):
                    keys["visit"] = visits.get(row.visit_id)
                order = (subject.subject_id, row.id)
            else:
                order = (row.id,)
            values = {column_name(f): _value(spec, f, row, subjects) for f in fields}
            out.append((order, {**keys, **values}))
        out.sort(key=lambda pair: pair[0])
        rows[spec.name] = [r for _, r in out]
    settings = _study_settings(st, arms=arms, deidentified=deidentified)
    desc = descriptor(
        settings, blinded=blinded, deidentified=deidentified, optional_visit=_OPTIONAL_VISIT
    )
    return PackageContent(desc, rows)


def _value(spec: EntitySpec, field: Field, row: Any, subjects: Mapping[int, SubjectRow]) -> Any:
    value = getattr(row, field.name)
    if spec.name == "adverse_event" and field.name == "onset_week" and value is None:
        return study_week(subjects[row.subject_pk].day0, row.onset_date)
    return value


def _fields_by_column(spec: EntitySpec) -> dict[str, Field]:
    return {column_name(f): f for f in spec.fields if f.packaged}


def _csv_text(spec: EntitySpec, columns: list[str], rows: list[dict[str, Any]]) -> str:
    fields = _fields_by_column(spec)
    data: dict[str, list[str | None]] = {}
    for c in columns:
        field = fields.get(c)
        cells: list[str | None] = []
        for r in rows:
            text = r[c] if field is None else cell_text(field, r[c])
            if text is not None and (field is None or field.kind == "text"):
                text = neutralise_cell(text)
            cells.append(text)
        data[c] = cells
    frame = pl.DataFrame({c: pl.Series(c, data[c], dtype=pl.String) for c in columns})
    return frame.write_csv()


def _parquet_bytes(spec: EntitySpec, columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    fields = _fields_by_column(spec)
    series = []
    for c in columns:
        field = fields.get(c)
        values = [r[c] for r in rows]
        if field is None or field.kind not in _POLARS:
            values = [v if field is None else cell_text(field, v) for v in values]
            series.append(pl.Series(c, values, dtype=pl.String))
        elif field.kind == "decimal":
            series.append(
                pl.Series(c, [None if v is None else float(v) for v in values], dtype=pl.Float64)
            )
        else:
            series.append(pl.Series(c, values, dtype=_POLARS[field.kind]))
    buffer = io.BytesIO()
    pl.DataFrame(series).write_parquet(buffer)
    return buffer.getvalue()


def package_files(content: PackageContent) -> dict[str, bytes]:
    """File name → bytes of the package (``datapackage.json``, then per record type)."""
    files: dict[str, bytes] = {}
    text = json.dumps(content.descriptor, indent=2, ensure_ascii=False) + "\n"
    files["datapackage.json"] = text.encode("utf-8")
    for resource in content.descriptor["resources"]:
        spec = REGISTRY[resource["autoserum:entity"]]
        columns = [f["name"] for f in resource["schema"]["fields"]]
        rows = content.rows[spec.name]
        files[resource["path"]] = _csv_text(spec, columns, rows).encode("utf-8")
        files[resource["autoserum:parquet"]] = _parquet_bytes(spec, columns, rows)
    return files


def write_package(content: PackageContent, out: Path) -> list[Path]:
    """Write the package to the folder ``out`` (created) or the zip file ``out``."""
    files = package_files(content)
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        (out / name).write_bytes(data)
        written.append(out / name)
    return written


# --- reading a package back -----------------------------------------------------------------
def _opener(path: Path) -> Any:
    if path.is_dir():
        return lambda name: (path / name).read_bytes() if (path / name).is_file() else None
    if path.is_file() and zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        names = set(archive.namelist())
        return lambda name: archive.read(name) if name in names else None
    raise ValidationError("PACKAGE", str(path), "a package folder or .zip file")


def read_package(path: Path) -> PackageContent:
    """A package written by autoserum, every cell converted by the registry (an error names
    the file, its line and column); nothing is written."""
    read = _opener(path)
    raw = read("datapackage.json")
    if raw is None:
        raise ValidationError("datapackage.json", str(path), "a package with datapackage.json")
    try:
        desc = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ValidationError("datapackage.json", str(err), "a JSON descriptor") from None
    meta = desc.get("autoserum") if isinstance(desc, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != PACKAGE_FORMAT:
        raise ValidationError(
            "datapackage.json autoserum.format",
            None if not isinstance(meta, dict) else meta.get("format"),
            f"{PACKAGE_FORMAT} (a package written by autoserum export --format package)",
        )
    rows: dict[str, list[dict[str, Any]]] = {}
    for resource in desc.get("resources", []):
        name = resource.get("autoserum:entity")
        spec = REGISTRY.get(name) if isinstance(name, str) else None
        if spec is None or resource.get("path") != f"{resource_name(spec)}.csv":
            raise ValidationError(
                "datapackage.json resources",
                resource.get("name"),
                f"record types of the registry: {', '.join(REGISTRY)}",
            )
        data = read(resource["path"])
        if data is None:
            raise ValidationError(resource["path"], None, "the file the descriptor lists")
        rows[spec.name] = _parse_file(spec, resource["path"], data)
    return PackageContent(desc, rows)


def _parse_file(spec: EntitySpec, file: str, data: bytes) -> list[dict[str, Any]]:
    if not data.strip():
        return []
    frame = restore_formulas(pl.read_csv(io.BytesIO(data), infer_schema=False))
    fields = _fields_by_column(spec)
    keys = key_columns(spec)
    for column in frame.columns:
        if column not in fields and column not in keys:
            expected = ", ".join([*keys, *fields])
            raise ValidationError(f"{file} column {column}", column, f"one of {expected}")
    for key in keys:
        if key not in frame.columns:
            raise ValidationError(f"{file} column {key}", None, "the key column present")
    for column, field in fields.items():
        if column not in frame.columns and field.required and not field.is_nullable:
            raise ValidationError(
                f"{file} column {column}",
                None,
                "the column present (a blinded or de-identified package cannot be imported)",
            )
    out: list[dict[str, Any]] = []
    for line, record in enumerate(frame.iter_rows(named=True), start=2):
        row: dict[str, Any] = {}
        for column, text in record.items():
            where = f"{file} line {line} column {column}"
            if column in keys:
                if not text and column != "visit":
                    raise ValidationError(where, text, "a key value")
                row[column] = text or None
            else:
                row[column] = parse_cell(fields[column], text, name=where)
        out.append(row)
    return out


def import_rows(s: Session, name: str, content: PackageContent) -> dict[str, int]:
    """Write the package ``content`` as a new study ``name`` inside the session's audited
    write transaction; returns the count of records per record type."""
    settings = content.descriptor["autoserum"]["study"]
    try:
        protocol = Protocol.model_validate(settings["protocol"])
    except (KeyError, ValueError) as err:
        raise ValidationError("datapackage.json autoserum.study.protocol", None, str(err)) from None
    seed = settings.get("seed")
    start = settings.get("start_date")
    st = new_study(
        s,
        name,
        protocol,
        int(seed) if seed is not None else _random_seed(),
        int(settings.get("allocation_n", 1)),
        settings.get("stratify_by"),
        start_date=None if start is None else date.fromisoformat(start),
    )
    st.column_order = settings.get("column_order")
    site_ids: dict[str, int] = {}
    subject_pks: dict[str, int] = {}
    visit_ids: dict[tuple[str, str], int] = {}
    counts: dict[str, int] = {}
    for spec in REGISTRY.values():
        model = AUDITED[spec.name]
        rows = content.rows.get(spec.name, [])
        counts[resource_name(spec)] = len(rows)
        fields = _fields_by_column(spec)
        for line, row in enumerate(rows, start=2):
            values = {fields[c].name: v for c, v in row.items() if c in fields}
            links: dict[str, Any] = {"study_id": st.id, "version": 1}
            where = f"{resource_name(spec)}.csv line {line}"
            if spec.name == "subject":
                links["site_id"] = _look_up(site_ids, row["site"], where, "site")
            elif spec.parent == "subject":
                links["subject_pk"] = _look_up(subject_pks, row["subject_id"], where, "subject_id")
                if "visit" in key_columns(spec) and row.get("visit") is not None:
                    pair = (row["subject_id"], row["visit"])
                    links["visit_id"] = _look_up(visit_ids, pair, where, "visit")
            record = model(**links, **values)
            s.add(record)
            s.flush()
            if spec.name == "site":
                site_ids[record.code] = record.id
            elif spec.name == "subject":
                subject_pks[record.subject_id] = record.id
            elif spec.name == "visit":
                visit_ids[(row["subject_id"], record.visit_code)] = record.id
    return counts


def _look_up(table: Mapping[Any, int], key: Any, where: str, column: str) -> int:
    found = table.get(key)
    if found is None:
        raise ValidationError(f"{where} column {column}", key, "a record listed before it")
    return found


def _random_seed() -> int:
    import secrets

    return secrets.randbelow(2**62)
