"""ORM columns derived from the entity registry (:mod:`autoserum.study.entities`).

A record type's model takes its data columns from :func:`record_columns` (a declarative mixin of
``mapped_column`` s, one per field of the spec) and its CHECK constraints from
:func:`record_checks` (one per choice field, named after the field). Keys and links (``id``,
``version``, ``study_id``, ``subject_pk``, ``visit_id``, ``site_id``) stay in ``models.py``.

How a field kind is stored (the same bytes on SQLite and PostgreSQL):

======== =====================================================================
kind     column
======== =====================================================================
text     ``VARCHAR(max_length)`` up to :data:`~autoserum.study.entities.TEXT_COLUMN_MAX`,
         else ``TEXT``
choice   ``VARCHAR(max_length)`` with ``CHECK (name IN (...))``
int      ``INTEGER``
decimal  exact decimal as text (:class:`~autoserum.store._types.DecimalText`)
fraction exact total as text, ``VARCHAR(64)``
date     ``DATE``
datetime UTC timestamp as text (:class:`~autoserum.store._types.UTCDateTime`)
bool     ``BOOLEAN``
json     canonical JSON text (:class:`~autoserum.store._types.JSONText`)
======== =====================================================================

>>> from autoserum.study.entities import entity
>>> [c.name for c in record_checks(entity("adverse_event"))]
['severity', 'related', 'related_procedure', 'action_taken', 'outcome']
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, Integer, String, Text
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeEngine

from autoserum.store._types import DecimalText, JSONText, UTCDateTime
from autoserum.study.entities import TEXT_COLUMN_MAX, EntitySpec, Field

__all__ = ["column_type", "in_vocabulary", "record_checks", "record_columns"]

_FIXED: dict[str, type[TypeEngine[Any]]] = {
    "int": Integer,
    "decimal": DecimalText,
    "date": Date,
    "datetime": UTCDateTime,
    "bool": Boolean,
    "json": JSONText,
}


def column_type(field: Field) -> TypeEngine[Any]:
    """The column type of ``field``."""
    if field.kind in _FIXED:
        return _FIXED[field.kind]()
    if field.kind == "fraction":
        return String(64)
    width = field.max_length
    if field.kind == "text" and (width is None or width > TEXT_COLUMN_MAX):
        return Text()
    return String(width)


def record_columns(spec: EntitySpec) -> type[Any]:
    """A declarative mixin with one ``mapped_column`` per field of ``spec`` (its name, type and
    nullability as the registry declares them); a derived field (``Field.derived``, computed
    from the other columns: an adverse event's ``follow_up``) is a property of the model, not
    a column."""
    attributes = {
        f.name: mapped_column(column_type(f), nullable=f.is_nullable)
        for f in spec.fields
        if not f.derived
    }
    return type(f"_{spec.name.title().replace('_', '')}Columns", (), attributes)


def in_vocabulary(column: str, values: tuple[str, ...]) -> str:
    """The SQL condition ``column IN (values)`` of a CHECK constraint on a fixed vocabulary."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def record_checks(spec: EntitySpec) -> tuple[CheckConstraint, ...]:
    """One CHECK constraint per choice field of ``spec``: its value is in the vocabulary (or
    NULL where the field may be empty), named after the field."""
    checks = []
    for f in spec.fields:
        if f.kind != "choice":
            continue
        condition = in_vocabulary(f.name, f.choices)
        if f.is_nullable:
            condition = f"{f.name} IS NULL OR {condition}"
        checks.append(CheckConstraint(condition, name=f.name))
    return tuple(checks)
