"""What data review works on: the records of a subject's data (every audited record type with
a subject, but for the records *about* the data: locks, unblindings, queries, verifications and
signatures) and their look-up by (entity, id) within a study."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from autoserum.errors import Expected, Message, NotFoundError, ValidationError
from autoserum.store._audit import REVIEW_ENTITIES
from autoserum.store.models import AUDITED, StudyRow, SubjectRow
from autoserum.study.entities import REGISTRY

__all__ = ["CONTENT", "content_fields", "record_fields", "record_not_found", "study_record"]

CONTENT: dict[str, type[Any]] = {
    name: model
    for name, model in AUDITED.items()
    if name not in REVIEW_ENTITIES and (model is SubjectRow or hasattr(model, "subject_pk"))
}
"""Entity name → model of every record type of a subject's data."""

_KEYS = frozenset({"id", "version", "study_id", "subject_pk", "visit_id"})


def record_fields(entity: str) -> tuple[str, ...]:
    """The fields of a record of ``entity`` a query may name (its columns but keys)."""
    model = CONTENT[entity]
    return tuple(a.key for a in inspect(model).column_attrs if a.key not in _KEYS)


_SIGNED_THOUGH_MASKED = frozenset({("injection", "product_code")})
"""Fields masked for blinded viewers that a signature covers all the same: masked after
signatures covering them were stored (their stored hashes stay valid; a blinded viewer is
shown no hash, ``store/_signatures._view``)."""


def content_fields(entity: str) -> tuple[str, ...]:
    """The fields of ``entity`` a signature covers: all but the version and the fields masked
    for blinded viewers (the hash is shown to them; it must not let them test an arm) but
    :data:`_SIGNED_THOUGH_MASKED`."""
    spec = REGISTRY.get(entity)
    masked = (
        {
            f.name
            for f in spec.fields
            if f.masked_for_blinded and (entity, f.name) not in _SIGNED_THOUGH_MASKED
        }
        if spec is not None
        else set()
    )
    model = CONTENT[entity]
    return tuple(
        a.key for a in inspect(model).column_attrs if a.key not in masked and a.key != "version"
    )


def study_record(s: Session, st: StudyRow, entity: str, record_id: Any) -> Any:
    """The record ``entity`` ``record_id`` of study ``st`` (:class:`NotFoundError` otherwise,
    whatever other study holds it)."""
    model = CONTENT.get(entity)
    if model is None:
        raise ValidationError(
            "entity", entity, Expected("one of %(values)s", values=", ".join(sorted(CONTENT)))
        )
    row = s.get(model, record_id) if isinstance(record_id, int) else None
    if row is None or row.study_id != st.id:
        raise record_not_found(entity, record_id, st.name)
    return row


def record_not_found(entity: str | None, record_id: Any, study: str) -> NotFoundError:
    """The error for a record ``entity`` ``record_id`` that study ``study`` does not hold (or
    that the actor may not see: the same answer, so that it tells nothing).

    >>> str(record_not_found("lab", 7, "AST"))
    "no lab with id 7 in study 'AST'"
    """
    return NotFoundError(
        Message(
            "no %(entity)s with id %(record_id)s in study %(study)s",
            entity=entity,
            record_id=record_id,
            study=repr(study),
        )
    )
