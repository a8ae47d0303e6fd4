"""Shared pieces of the API routers: path parameters and JSON views of store records."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Annotated, Any

from fastapi import Path, Response
from pydantic import TypeAdapter

from autoserum.display import exact_number
from autoserum.study.model import Assessment, Subject, SubjectDetail
from autoserum.web.schemas import AssessmentPublic, SubjectPublic

__all__ = [
    "StudyPath",
    "SubjectPath",
    "assessment_public",
    "json_response",
    "jsonable",
    "record_json",
    "subject_public",
]

StudyPath = Annotated[
    str, Path(min_length=1, max_length=200, pattern=r"^[^\x00/]+$", description="study name")
]
SubjectPath = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$", description="the subject's identifier"),
]


def jsonable(value: Any) -> Any:
    """A JSON-ready value: dates ISO, exact numbers as float, enums by value, dataclasses as
    objects of their fields (as :func:`dataclasses.asdict`, without its deep copy)."""
    names = _FIELDS.get(type(value))
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal | Fraction):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


_FIELDS: dict[type[Any], tuple[str, ...]] = {}


def record_json(record: Any) -> dict[str, Any]:
    """A store record (dataclass) as a JSON object.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Note:
    ...     on: dt.date
    ...     total: Decimal
    ...     tags: tuple[str, ...]
    >>> record_json(Note(dt.date(2026, 3, 2), Decimal("1.5"), ("a",)))
    {'on': '2026-03-02', 'total': 1.5, 'tags': ['a']}
    """
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"record_json() takes a dataclass instance, not {type(record).__name__}")
    out: dict[str, Any] = jsonable(record)
    return out


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def json_response(value: Any, model: Any, *, status_code: int = 200) -> Response:
    """``value`` as the JSON response FastAPI makes of it for a route's ``response_model``
    ``model`` (validated and serialised by pydantic, by alias: the same bytes), but made in the
    route's own thread: a plain ``def`` route that returns it spares FastAPI's second hand-over
    to the thread pool (for the response model's validation). The route keeps its
    ``response_model`` for the OpenAPI schema.

    >>> json_response({"a": 1}, dict[str, Any], status_code=201).body
    b'{"a":1}'
    """
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    body = adapter.dump_json(adapter.validate_python(value), by_alias=True)
    return Response(body, status_code=status_code, media_type="application/json")


def subject_public(subject: Subject, *, show_arm: bool) -> SubjectPublic:
    """The public view of a subject (``arm`` null when the caller may not see it)."""
    return SubjectPublic(
        id=subject.id,
        subject_id=subject.subject_id,
        site=subject.site,
        status=subject.status.value,
        arm=subject.arm if show_arm else None,
        version=subject.version,
    )


def assessment_public(a: Assessment, visit_code: str | None) -> AssessmentPublic:
    """The public view of an assessment: flat items, total (float and exact text), band."""
    from autoserum.instruments import get_instrument

    items = get_instrument(a.instrument).flatten(a.payload) if a.payload else {}
    return AssessmentPublic(
        id=a.id,
        subject_id=a.subject_id,
        visit_code=visit_code,
        instrument=a.instrument,
        items=items,
        total=None if a.total is None else float(a.total),
        total_exact=None if a.total is None else exact_number(a.total),
        band=a.band,
        version=a.version,
    )


def visit_code_of(detail: SubjectDetail, visit_id: int) -> str | None:
    """The visit code of a visit record id."""
    return next((v.visit_code for v in detail.visits if v.id == visit_id), None)
