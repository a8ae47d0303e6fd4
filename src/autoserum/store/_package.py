"""The complete data package of a study in and out of the store (``docs/exports.md``).

Out: every record type of the entity registry read from its table, one CSV (canonical text,
cells a spreadsheet would run as formulas neutralised) and one Parquet file (typed) per record
type and the Frictionless ``datapackage.json`` of :mod:`autoserum.study.package`, to a folder or
a ``.zip`` file (fixed time stamps: the same study gives the same bytes).

In: a package written by autoserum read back into a new study, all or nothing: every cell is
converted by the registry's converter first (an error names the file, line and column), then
the study, its sites, subjects and records are written in one audited transaction, which ends
with the dose deviations the live path raises for the imported injections
(``store/_dose.py``: a package's volume off the protocol's dose is flagged, a dose deviation no
injection calls for is closed).
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import Expected, ValidationError
from autoserum.protocols import Protocol
from autoserum.store._allocation import ensure_list
from autoserum.store._base import Actor
from autoserum.store._dose import reconcile_dose_deviations
from autoserum.store._studies import new_study
from autoserum.store.models import (
    AUDITED,
    AllocationListRow,
    AllocationRow,
    ConsentDocumentRow,
    ConsentRow,
    ProtocolVersionRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    VisitRow,
)
from autoserum.study.consent import (
    ConsentDocument,
    check_components,
    check_in_effect,
    check_withdrawal,
)
from autoserum.study.entities import PRODUCT_DEVIATION, REVIEW_REGISTRY, EntitySpec, Field
from autoserum.study.history import check_category, check_comorbidity, check_prior_treatment
from autoserum.study.package import (
    PACKAGE_FORMAT,
    PACKAGED,
    TARGET_LINK,
    VISIT_LINK,
    cell_text,
    column_name,
    descriptor,
    key_columns,
    link_column,
    masked_placeholder,
    package_fields,
    package_types,
    parse_cell,
    resource_name,
)
from autoserum.study.rules import check_not_future
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


def _link_targets() -> dict[str, dict[str, str]]:
    """Per record type and link (``draw_id``), the record type it points to, read from the
    ORM's foreign keys."""
    by_table = {spec.table: name for name, spec in PACKAGED.items()}
    out: dict[str, dict[str, str]] = {}
    for name, spec in PACKAGED.items():
        columns = AUDITED[name].__table__.c
        for link in spec.links:
            for fk in columns[link].foreign_keys:
                out.setdefault(name, {})[link] = by_table[fk.column.table.name]
    return out


LINK_TARGETS = _link_targets()
"""Record type → link → the record type it points to."""

_OPTIONAL_VISIT = frozenset(
    name
    for name, model in AUDITED.items()
    if "visit_id" in model.__table__.c and model.__table__.c.visit_id.nullable
)
"""Record types whose visit link may be empty (the ORM's nullable ``visit_id``)."""

_OPTIONAL_SUBJECT = frozenset(
    name
    for name, spec in PACKAGED.items()
    if spec.parent == "subject" and AUDITED[name].__table__.c.subject_pk.nullable
)
"""Record types that may belong to no subject (a signature or a lock of the whole study)."""


@dataclass(frozen=True)
class PackageContent:
    """A package in memory: its descriptor and, per record type, its rows of typed values
    keyed by column (keys as text)."""

    descriptor: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]
    #: Per record type, where each row came from when not from a package's file (``ODM line
    #: 812 SubjectKey S-001 IG.CONSENT``): what an import error names instead of the line of
    #: the file the package would have.
    places: dict[str, list[str]] = dataclasses.field(default_factory=dict)


_AMENDMENT_IDENTIFYING = ("effective_on", "approved_by", "recorded_by", "recorded_at")
"""What a de-identified package leaves out of an amendment: its dates and the people named
(as every date and every ``identifying`` field of a record type)."""


def _amendments(s: Session, st: StudyRow, *, deidentified: bool) -> list[dict[str, Any]]:
    """The study's protocol amendments (versions 2, 3, ...) as the package holds them (in a
    de-identified package: the number, summary and protocol only)."""
    rows = s.scalars(
        select(ProtocolVersionRow)
        .where(ProtocolVersionRow.study_id == st.id)
        .order_by(ProtocolVersionRow.number)
    )
    out = [
        {
            "number": r.number,
            "effective_on": r.effective_on.isoformat(),
            "summary": r.summary,
            "approved_by": r.approved_by,
            "recorded_by": r.recorded_by,
            "recorded_at": r.recorded_at.isoformat(),
            "protocol": r.protocol,
        }
        for r in rows
    ]
    if deidentified:
        return [{k: v for k, v in a.items() if k not in _AMENDMENT_IDENTIFYING} for a in out]
    return out


def _import_amendments(s: Session, st: StudyRow, amendments: Any) -> None:
    """Recreate the amendments of a package (validated like the study's protocol)."""
    if not amendments:
        return
    where = "datapackage.json autoserum.study.protocol_amendments"
    if not isinstance(amendments, list):
        raise ValidationError(where, type(amendments).__name__, Expected("a list of amendments"))
    for n, item in enumerate(amendments, start=2):
        try:
            Protocol.model_validate(item["protocol"])
            row = ProtocolVersionRow(
                study_id=st.id,
                number=n,
                effective_on=date.fromisoformat(item["effective_on"]),
                summary=str(item["summary"]),
                approved_by=str(item["approved_by"]),
                protocol=item["protocol"],
                recorded_by=str(item["recorded_by"]),
                recorded_at=datetime.fromisoformat(item["recorded_at"]),
                version=1,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValidationError(
                f"{where}[{n - 2}]", None, Expected("an amendment (%(err)s)", err=err)
            ) from None
        s.add(row)
        st.protocol_version = n


def _allocations(
    s: Session, st: StudyRow, subjects: Mapping[int, SubjectRow]
) -> list[dict[str, Any]]:
    """The entry of the concealed allocation list each subject (in the actor's reach) took:
    its stratum and sequence number (not its arm: that is the subject's ``arm``)."""
    rows = s.execute(
        select(AllocationRow.subject_pk, AllocationListRow.stratum, AllocationRow.sequence)
        .join(AllocationListRow, AllocationListRow.id == AllocationRow.list_id)
        .where(AllocationListRow.study_id == st.id, AllocationRow.subject_pk.is_not(None))
    ).all()
    taken = [
        {"subject_id": subjects[pk].subject_id, "stratum": stratum, "sequence": sequence}
        for pk, stratum, sequence in rows
        if pk is not None and pk in subjects
    ]
    return sorted(taken, key=lambda a: (a["stratum"], a["sequence"]))


def _import_allocations(
    s: Session, st: StudyRow, protocol: Protocol, taken: Any, subjects: Mapping[str, int]
) -> None:
    """Mark the entries the package's subjects took in the lists regenerated from the seed
    (so that the copy randomises its next subject as the source would); an entry whose arm
    is not the subject's, or taken twice, is refused."""
    if not taken:
        return
    where = "datapackage.json autoserum.study.allocations"
    if not isinstance(taken, list):
        raise ValidationError(where, type(taken).__name__, Expected("a list of allocation entries"))
    for n, item in enumerate(taken):
        try:
            subject = s.get(SubjectRow, subjects[str(item["subject_id"])])
            stratum, sequence = str(item["stratum"]), int(item["sequence"])
        except (KeyError, TypeError, ValueError) as err:
            expected = f"an entry of a subject of the package ({err})"
            raise ValidationError(f"{where}[{n}]", item, expected) from None
        head = ensure_list(s, st, protocol, stratum)
        entry = None if head is None else s.scalar(
            select(AllocationRow).where(
                AllocationRow.list_id == head.id, AllocationRow.sequence == sequence
            )
        )  # fmt: skip
        if subject is None or entry is None or entry.subject_pk is not None:
            raise ValidationError(
                f"{where}[{n}]",
                item,
                Expected("an entry of the list regenerated from the seed, not taken"),
            )
        if entry.arm != subject.arm:
            raise ValidationError(
                f"{where}[{n}]",
                item,
                Expected(
                    "the entry of arm %(arm)s (the subject's); the list "
                    "regenerated from the seed has %(arm2)s there",
                    arm=subject.arm,
                    arm2=entry.arm,
                ),
            )
        entry.subject_pk = subject.id
        subject.allocation_id = entry.id


def _study_settings(
    st: StudyRow,
    *,
    arms: bool,
    deidentified: bool,
    amendments: list[dict[str, Any]],
    allocations: list[dict[str, Any]],
) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "name": st.name,
        "protocol_code": st.protocol_code,
        "allocation_n": st.allocation_n,
        "stratify_by": st.stratify_by,
        "column_order": st.column_order,
        "start_date": None if deidentified or st.start_date is None else st.start_date.isoformat(),
        "protocol": st.protocol,
        "protocol_amendments": amendments,
    }
    if arms:  # the seed regenerates the concealed allocation lists
        settings["seed"] = st.seed
        if allocations:  # and the entries taken mark them as the source's
            settings["allocations"] = allocations
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
    types = package_types(blinded=blinded)
    kept: dict[str, set[int]] = {}
    collected: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = {}
    for spec in types:
        fields = package_fields(spec, blinded=blinded, deidentified=deidentified)
        model = AUDITED[spec.name]
        out: list[tuple[Any, Any, dict[str, Any]]] = []
        for row in s.scalars(select(model).where(model.study_id == st.id)):
            placed = _placed(spec, row, sites, subjects)
            if placed is None or (blinded and _about_masked(spec, row, kept)):
                continue
            kept.setdefault(spec.name, set()).add(row.id)
            order, keys = placed
            values = {column_name(f): _value(spec, f, row, subjects) for f in fields}
            out.append((order, row, {**keys, **values}))
        out.sort(key=lambda item: item[0])
        collected[spec.name] = out
    numbers = {
        name: {row.id: n for n, (_, row, _) in enumerate(out, start=1)}
        for name, out in collected.items()
    }
    # a record type left out has no rows (the formats built from the rows write none)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in PACKAGED}
    for spec in types:
        keys_of = key_columns(spec, blinded=blinded)
        result = []
        for n, (_, row, values) in enumerate(collected[spec.name], start=1):
            linked: dict[str, Any] = {}
            if "record" in keys_of:
                linked["record"] = n
            linked.update(_links(spec, row, visits, numbers, keys=keys_of))
            ordered = {k: (linked[k] if k in linked else values[k]) for k in keys_of}
            result.append({**ordered, **{k: v for k, v in values.items() if k not in ordered}})
        rows[spec.name] = result
    settings = _study_settings(
        st,
        arms=arms,
        deidentified=deidentified,
        amendments=_amendments(s, st, deidentified=deidentified),
        allocations=_allocations(s, st, subjects) if arms else [],
    )
    desc = descriptor(
        settings,
        blinded=blinded,
        deidentified=deidentified,
        optional_visit=_OPTIONAL_VISIT,
        optional_subject=_OPTIONAL_SUBJECT,
        link_targets=LINK_TARGETS,
    )
    return PackageContent(desc, rows)


def _placed(
    spec: EntitySpec, row: Any, sites: Mapping[int, SiteRow], subjects: Mapping[int, SubjectRow]
) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """A record's sort key and key cells (``site`` of a subject, ``subject_id`` of a record of
    a subject); ``None`` for a subject outside the actor's reach or a record of one."""
    if spec.name == "site":
        return (row.code,), {}
    if spec.name == "subject":
        if row.id not in subjects:
            return None
        return (row.subject_id,), {"site": sites[row.site_id].code}
    if spec.parent != "subject":
        return (row.id,), {}
    if row.subject_pk is None:  # the study's (a signature or a lock of the whole study)
        return ("", row.id), {"subject_id": None}
    subject = subjects.get(row.subject_pk)
    if subject is None:
        return None
    return (subject.subject_id, row.id), {"subject_id": subject.subject_id}


def _about_masked(spec: EntitySpec, row: Any, kept: Mapping[str, set[int]]) -> bool:
    """Whether a record of a blinded package is about a record the package leaves out (its
    mere presence reveals the arm): a verification, query or lock naming a blood draw, or a
    message of such a query, and the deviation a processing outside the protocol adds
    (:data:`~autoserum.study.entities.PRODUCT_DEVIATION`). Such a record is left out too."""
    if spec.name == "deviation" and row.kind == PRODUCT_DEVIATION:
        return True
    if TARGET_LINK in spec.links and row.entity is not None:
        about = PACKAGED.get(row.entity)
        if about is not None and about.masked_for_blinded:
            return True
    for link in spec.links:
        to = LINK_TARGETS.get(spec.name, {}).get(link)
        target = getattr(row, link)
        if to in REVIEW_REGISTRY and target is not None and target not in kept.get(str(to), ()):
            return True
    return False


def _links(
    spec: EntitySpec,
    row: Any,
    visits: Mapping[int, str],
    numbers: Mapping[str, Mapping[int, int]],
    *,
    keys: tuple[str, ...],
) -> dict[str, Any]:
    """The link cells of a record among its ``keys``: its visit's code, the record (row)
    number of each record it links to in that record's file."""
    linked: dict[str, Any] = {}
    for link in spec.links:
        if link not in (VISIT_LINK, TARGET_LINK) and link_column(link) not in keys:
            continue  # a link masked for blinded viewers
        target = getattr(row, link)
        if link == VISIT_LINK:
            linked["visit"] = visits.get(target) if target is not None else None
        elif link == TARGET_LINK:  # a record of the type its ``entity`` names
            linked["target"] = numbers.get(row.entity or "", {}).get(target)
        else:
            to = LINK_TARGETS[spec.name][link]
            linked[link_column(link)] = None if target is None else numbers[to].get(target)
    return linked


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
            value = r[c]
            text = cell_text(field, value) if field is not None else None
            if field is None and value is not None:
                text = value if isinstance(value, str) else str(value)
            if isinstance(text, str) and (
                isinstance(value, str) if field is None else field.kind == "text"
            ):
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
        if field is None and c not in ("site", "subject_id", "visit"):
            series.append(pl.Series(c, values, dtype=pl.Int64))
        elif field is None or field.kind not in _POLARS:
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
        spec = PACKAGED[resource["autoserum:entity"]]
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
    raise ValidationError("PACKAGE", str(path), Expected("a package folder or .zip file"))


def read_package(path: Path) -> PackageContent:
    """A package written by autoserum, every cell converted by the registry (an error names
    the file, its line and column); nothing is written."""
    read = _opener(path)
    raw = read("datapackage.json")
    if raw is None:
        raise ValidationError(
            "datapackage.json", str(path), Expected("a package with datapackage.json")
        )
    try:
        desc = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ValidationError("datapackage.json", str(err), Expected("a JSON descriptor")) from None
    meta = desc.get("autoserum") if isinstance(desc, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != PACKAGE_FORMAT:
        raise ValidationError(
            "datapackage.json autoserum.format",
            None if not isinstance(meta, dict) else meta.get("format"),
            Expected(
                "%(package_format)s (a package written by autoserum export --format package)",
                package_format=PACKAGE_FORMAT,
            ),
        )
    rows: dict[str, list[dict[str, Any]]] = {}
    for resource in desc.get("resources", []):
        name = resource.get("autoserum:entity")
        spec = PACKAGED.get(name) if isinstance(name, str) else None
        if spec is None or resource.get("path") != f"{resource_name(spec)}.csv":
            raise ValidationError(
                "datapackage.json resources",
                resource.get("name"),
                Expected("record types of the package: %(values)s", values=", ".join(PACKAGED)),
            )
        data = read(resource["path"])
        if data is None:
            raise ValidationError(resource["path"], None, Expected("the file the descriptor lists"))
        rows[spec.name] = _parse_file(
            spec, resource["path"], data, blinded=meta.get("blinded") is True
        )
    return PackageContent(desc, rows)


def _parse_file(
    spec: EntitySpec, file: str, data: bytes, *, blinded: bool = False
) -> list[dict[str, Any]]:
    """The rows of a package's file. A blinded package (``datapackage.json`` says so) may
    lack what the registry masks for blinded viewers: its links are empty, a required field
    is :func:`~autoserum.study.package.masked_placeholder` (the copy never learns the arm)."""
    if not data.strip():
        return []
    frame = restore_formulas(pl.read_csv(io.BytesIO(data), infer_schema=False))
    fields = _fields_by_column(spec)
    keys = key_columns(spec)
    for column in frame.columns:
        if column not in fields and column not in keys:
            expected = ", ".join([*keys, *fields])
            raise ValidationError(
                f"{file} column {column}",
                column,
                Expected("one of %(values)s", values=expected),
            )
    for key in key_columns(spec, blinded=blinded):
        if key not in frame.columns:
            raise ValidationError(f"{file} column {key}", None, Expected("the key column present"))
    placeholders: dict[str, Any] = {}
    for column, field in fields.items():
        if column not in frame.columns and field.required and not field.is_nullable:
            if blinded and field.masked_for_blinded:
                placeholders[column] = masked_placeholder(field)
                continue
            raise ValidationError(
                f"{file} column {column}",
                None,
                Expected("the column present (a de-identified package cannot be imported)"),
            )
    out: list[dict[str, Any]] = []
    for line, record in enumerate(frame.iter_rows(named=True), start=2):
        row: dict[str, Any] = dict(placeholders)
        for column, text in record.items():
            where = f"{file} line {line} column {column}"
            if column in keys:
                optional = column == "subject_id" and spec.name in _OPTIONAL_SUBJECT
                row[column] = _key(column, text, where, optional=optional)
            else:
                row[column] = parse_cell(fields[column], text, name=where)
        out.append(row)
    return out


def _key(column: str, text: str | None, where: str, *, optional: bool = False) -> str | int | None:
    """A key cell: a site code, subject identifier or visit code as text; a record number or
    a link (another file's record number) as a whole number; only ``visit``, links and an
    ``optional`` subject (a signature or lock of the whole study) may be empty."""
    if column in ("site", "subject_id", "visit"):
        if not text and column != "visit" and not optional:
            raise ValidationError(where, text, Expected("a key value"))
        return text or None
    if not text:
        if column == "record":
            raise ValidationError(where, text, Expected("a record number (a whole number ≥ 1)"))
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValidationError(where, text, Expected("a record number (a whole number ≥ 1)"))
    return int(text)


def import_rows(s: Session, name: str, content: PackageContent, *, today: date) -> dict[str, int]:
    """Write the package ``content`` as a new study ``name`` inside the session's audited
    write transaction; returns the count of records per record type. ``today`` (the store's
    clock) bounds the dates of the informed consents (:class:`_Consents`)."""
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
    _import_amendments(s, st, settings.get("protocol_amendments"))
    keys = _Ids()
    consents = _Consents(today)
    record_ids: dict[str, dict[int, int]] = {}
    subject_ages: dict[str, Decimal | None] = {}
    positions: dict[str, dict[int, int]] = {}
    counts = {
        resource_name(spec): len(content.rows.get(spec.name, [])) for spec in PACKAGED.values()
    }
    for spec in _insert_order():
        model = AUDITED[spec.name]
        rows = content.rows.get(spec.name, [])
        fields = _fields_by_column(spec)
        ids = record_ids.setdefault(spec.name, {})
        rows_at = positions.setdefault(spec.name, {})
        places = content.places.get(spec.name, [])
        for line, row in enumerate(rows, start=2):
            values = {
                fields[c].name: v for c, v in row.items() if c in fields and not fields[c].derived
            }
            where = places[line - 2] if places else f"{resource_name(spec)}.csv line {line}"
            _check_history(spec.name, values, protocol, subject_ages, row, where)
            links = _import_links(
                spec,
                row,
                where,
                study_id=st.id,
                keys=keys,
                record_ids=record_ids,
                positions=positions,
            )
            record = model(**links, **values)
            _check_derived(spec, record, row, where)
            consents.check(spec.name, record, where)
            s.add(record)
            s.flush()
            consents.add(spec.name, record)
            rows_at[line - 1] = record.id
            if "record" in row:
                ids[row["record"]] = record.id
            if spec.name == "site":
                keys.sites[record.code] = record.id
            elif spec.name == "subject":
                keys.subjects[record.subject_id] = record.id
                subject_ages[record.subject_id] = record.age
            elif spec.name == "visit":
                keys.visits[(row["subject_id"], record.visit_code)] = record.id
    amended = settings.get("protocol_amendments") or []
    current = Protocol.model_validate(amended[-1]["protocol"]) if amended else protocol
    _import_allocations(s, st, current, settings.get("allocations"), keys.subjects)
    for subject in list(s.scalars(select(SubjectRow).where(SubjectRow.study_id == st.id))):
        # the dose deviations the live path would raise for these injections (one owner)
        reconcile_dose_deviations(s, current, subject)
    if any(content.rows.get(name) is not None for name in REVIEW_REGISTRY):
        # The package carries the review state (verifications, signatures, queries) as it
        # was: the review hook must not clear, invalidate or raise anything on this insert
        # (each insert is audited all the same; ``autoserum checks run`` runs the checks).
        s.flush()
        s.info.pop("touched", None)
    return counts


def _check_history(
    name: str,
    values: dict[str, Any],
    protocol: Protocol,
    ages: Mapping[str, Decimal | None],
    row: Mapping[str, Any],
    where: str,
) -> None:
    """The rules of :mod:`autoserum.study.history` a package row must meet (those that need no
    clock): ethnicity and race among the protocol's categories, an age at onset not above the
    age, a previous treatment's start not after its end, a comorbidity ``other`` described.
    An error names the file and line."""
    try:
        if name == "subject":
            declared = protocol.demographics
            check_category("ethnicity", values.get("ethnicity"), declared.ethnicity)
            check_category("race", values.get("race"), declared.race)
            onset, age = values.get("ad_onset_age"), values.get("age")
            if onset is not None and age is not None and onset > age:
                raise ValidationError(
                    "ad_onset_age",
                    str(onset),
                    Expected("an age at onset not above the age (%(age)s years)", age=age),
                )
        elif name == "prior_treatment":
            check_prior_treatment(values, this_year=9999)
        elif name == "comorbidity":
            check_comorbidity(values, age=ages.get(row.get("subject_id", "")))
    except ValidationError as err:
        raise ValidationError(err.field, err.value, err.expectation, location=where) from None


class _Consents:
    """The rules of the store's consent service (``store.consent``, the same functions of
    :mod:`autoserum.study.consent`) a package's consent documents and consents must meet: one
    document per version and language; a consent not signed in the future nor before its
    document took effect, with known optional components; its withdrawal not in the future,
    not before the subject's first consent, and the same on every consent of the subject (the
    service withdraws them all). An error names the file and line."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.documents: dict[int, ConsentDocumentRow] = {}
        self.of_subject: dict[int, list[ConsentRow]] = {}

    def check(self, name: str, record: Any, where: str) -> None:
        """Refuse ``record`` (of the record type ``name``) breaking a rule."""
        try:
            if name == "consent_document":
                self._check_document(record)
            elif name == "consent":
                self._check_consent(record)
        except ValidationError as err:
            raise ValidationError(err.field, err.value, err.expected, location=where) from None

    def add(self, name: str, record: Any) -> None:
        """Remember ``record`` once written (the documents and consents checked against)."""
        if name == "consent_document":
            self.documents[record.id] = record
        elif name == "consent":
            self.of_subject.setdefault(record.subject_pk, []).append(record)

    def _check_document(self, doc: ConsentDocumentRow) -> None:
        for d in self.documents.values():
            if (d.document_version, d.language) == (doc.document_version, doc.language):
                raise ValidationError(
                    "document_version",
                    f"{doc.document_version} ({doc.language})",
                    Expected("a version and language not listed already"),
                )

    def _check_consent(self, consent: ConsentRow) -> None:
        check_not_future("consented_at", consent.consented_at.date(), today=self.today)
        check_components(consent.components)
        doc = self.documents[consent.document_id]
        check_in_effect(
            ConsentDocument(doc.document_version, doc.language, doc.effective_on, doc.sha256),
            consent.consented_at,
        )
        earlier = self.of_subject.get(consent.subject_pk, [])
        withdrawal = (consent.withdrawn_on, consent.withdrawal_reason)
        if earlier and (earlier[0].withdrawn_on, earlier[0].withdrawal_reason) != withdrawal:
            raise ValidationError(
                "withdrawn_on",
                None if consent.withdrawn_on is None else consent.withdrawn_on.isoformat(),
                Expected("the withdrawal (date and reason) of the subject's other consents"),
            )
        if consent.withdrawn_on is not None:
            check_not_future("withdrawn_on", consent.withdrawn_on, today=self.today)
            signed = [c.consented_at for c in (*earlier, consent)]
            check_withdrawal(consent.withdrawn_on, signed)


@dataclass
class _Ids:
    """The new ids of the sites, subjects and visits imported, by their keys."""

    sites: dict[str, int] = dataclasses.field(default_factory=dict)
    subjects: dict[str, int] = dataclasses.field(default_factory=dict)
    visits: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)


def _import_links(
    spec: EntitySpec,
    row: Mapping[str, Any],
    where: str,
    *,
    study_id: int,
    keys: _Ids,
    record_ids: Mapping[str, Mapping[int, int]],
    positions: Mapping[str, Mapping[int, int]],
) -> dict[str, Any]:
    """The keys and links of a record imported: its study, site or subject, visit and the
    new ids of the records it links to (imported before it)."""
    links: dict[str, Any] = {"study_id": study_id, "version": 1}
    if spec.name == "subject":
        links["site_id"] = _look_up(keys.sites, row["site"], where, "site")
    elif spec.parent == "subject" and row["subject_id"] is not None:
        links["subject_pk"] = _look_up(keys.subjects, row["subject_id"], where, "subject_id")
    for link in spec.links:
        if link == VISIT_LINK:
            if row.get("visit") is not None:
                pair = (row["subject_id"], row["visit"])
                links[link] = _look_up(keys.visits, pair, where, "visit")
        elif link == TARGET_LINK:
            links[link] = _target(positions, AUDITED[spec.name], row, where)
        elif row.get(link_column(link)) is not None:
            target = record_ids.get(LINK_TARGETS[spec.name][link], {})
            links[link] = _look_up(target, row[link_column(link)], where, link_column(link))
    return links


def _target(
    positions: Mapping[str, Mapping[int, int]], model: Any, row: Mapping[str, Any], where: str
) -> int | None:
    """The id of the record a verification, query or record lock is about: ``entity`` names
    its type, ``target`` its row in that type's file (imported before it). An empty target is
    a record the package does not hold (deleted as entered in error, or an informed consent):
    kept as ``0`` where the store needs an id, so that the package exports the same again."""
    number = row.get("target")
    entity = row.get("entity")
    if number is None:
        return None if model.__table__.c.record_id.nullable else 0
    if entity is None:
        raise ValidationError(
            f"{where} column entity", entity, Expected("the record type of the target")
        )
    return _look_up(positions.get(entity, {}), number, where, "target")


def _check_derived(spec: EntitySpec, record: Any, row: Mapping[str, Any], where: str) -> None:
    """Refuse a derived column (``invalidated``) that disagrees with the columns it is
    computed from (``invalidated_at``)."""
    for f in spec.fields:
        column = column_name(f)
        given = row.get(column)
        if f.derived and given is not None and getattr(record, f.name) != given:
            computed = cell_text(f, getattr(record, f.name))
            raise ValidationError(
                f"{where} column {column}",
                cell_text(f, given),
                Expected("%(computed)s (as the columns it is derived from say)", computed=computed),
            )


def _insert_order() -> list[EntitySpec]:
    """The record types in registry order, each after the record types its links point to."""
    done: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        for target in LINK_TARGETS.get(name, {}).values():
            if target != name:
                visit(target)
        done.append(name)

    for name in PACKAGED:
        visit(name)
    return [PACKAGED[name] for name in done]


def _look_up(table: Mapping[Any, int], key: Any, where: str, column: str) -> int:
    found = table.get(key)
    if found is None:
        raise ValidationError(
            f"{where} column {column}", key, Expected("a record listed before it")
        )
    return found


def _random_seed() -> int:
    import secrets

    return secrets.randbelow(2**62)
