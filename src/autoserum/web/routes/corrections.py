"""Pages: correct a recorded visit, injection, lab, adverse event or medication, with a reason.

``GET/POST /studies/{study}/subjects/{subject_id}/records/{entity}/{record_id}``: the record's
fields pre-filled; only the fields changed are sent to the store (a field the form did not send
at all, as from a client posting part of the form, is unchanged; an emptied one is sent
empty), with the version read (a stale version is a conflict) and the reason, which the audit
trail keeps. Assessments are corrected on their instrument form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.errors import Message, NotFoundError, ValidationError
from autoserum.store import Store
from autoserum.study.entities import Field
from autoserum.study.entities import entity as spec_of
from autoserum.study.model import SubjectDetail
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import FORM_WIDE, expected_version, submit
from autoserum.web.recordforms import CORRECTABLE, correction_fields
from autoserum.web.templating import render, translate
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_PATH = "/studies/{study}/subjects/{subject_id}/records/{entity}/{record_id}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _unchanged(field: Field, typed: str, current: Any) -> bool:
    """Whether ``typed`` says the same as the recorded value (``false`` as ``no``, ``2.50`` as
    ``2.5``): compared as the registry converts it."""
    if typed == _text(current):
        return True
    try:
        return bool(field.convert(typed or None) == current)
    except ValidationError:
        return False


def _record(detail: SubjectDetail, entity: str, record_id: int) -> Any:
    if entity not in CORRECTABLE:
        raise NotFoundError(
            Message("records of kind %(entity)s are not corrected here", entity=repr(entity))
        )
    for record in getattr(detail, spec_of(entity).key):
        if record.id == record_id:
            return record
    raise NotFoundError(
        Message(
            "no %(entity)s %(record_id)s of subject %(subject_id)s",
            entity=entity,
            record_id=record_id,
            subject_id=repr(detail.subject.subject_id),
        )
    )


def _labels(entity: str) -> dict[str, str]:
    fields = correction_fields(spec_of(entity))
    return {**{ff.name: ff.label for _, ff in fields}, "reason": "Reason for the change"}


def _page(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    subject_id: str,
    entity: str,
    record_id: int,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user.require("read_subject")
    study_for(store, user, study)
    detail = store.subjects.detail(study, subject_id, actor=user.actor)
    record = _record(detail, entity, record_id)
    fields = correction_fields(spec_of(entity))
    if values is None:
        values = {ff.name: _text(getattr(record, f.name)) for f, ff in fields}
    return render(
        request,
        "record_edit.html",
        {
            "entity": entity,
            "record": record,
            "fields": [ff for _, ff in fields],
            "values": values,
            "errors": errors or {},
            "labels": _labels(entity),
            "subject_id": subject_id,
            "study_name": study,
            "action": _PATH.format(
                study=study, subject_id=subject_id, entity=entity, record_id=record_id
            ),
            "can_write": user.can("write_data"),
            "queries": [
                q
                for q in store.queries.list(study, actor=user.actor, subject_id=subject_id)
                if (q.entity, q.record_id) == (entity, record_id)
            ],
            "can": {a: user.can(a) for a in ("answer_query", "resolve_query", "raise_query")},
            "back": _PATH.format(
                study=study, subject_id=subject_id, entity=entity, record_id=record_id
            ),
            "record_versions": {(entity, record_id): record.version},
        },
        status_code=status_code,
    )


@router.get(_PATH)
def correction_form(
    request: Request,
    study: str,
    subject_id: str,
    entity: str,
    record_id: int,
    user: PageUser,
    store: StoreDep,
) -> Response:
    """The record's fields, pre-filled, with a required reason for the change."""
    return _page(request, store, user, study, subject_id, entity, record_id)


@router.post(_PATH)
def correct(
    request: Request,
    study: str,
    subject_id: str,
    entity: str,
    record_id: int,
    user: PageUser,
    store: StoreDep,
    form: CsrfForm,
) -> Response:
    """Save the changed fields with the reason (audited); a stale version is a conflict."""
    user.require("write_data")
    study_for(store, user, study)
    detail = store.subjects.detail(study, subject_id, actor=user.actor)
    record = _record(detail, entity, record_id)
    fields = correction_fields(spec_of(entity))
    values = {
        ff.name: (
            _text(getattr(record, f.name)) if ff.name not in form else str(form.get(ff.name) or "")
        ).strip()
        for f, ff in fields
    }
    reason = str(form.get("reason") or "").strip()
    values.update(reason=reason, expected_version=str(form.get("expected_version") or "").strip())
    changes: dict[str, Any] = {}
    for f, ff in fields:
        new = values[ff.name]
        if not _unchanged(f, new, getattr(record, f.name)):
            changes[f.name] = None if new == "" and not f.required else new
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = translate(request, "a reason is required to change saved data")
    if not changes:
        errors[FORM_WIDE] = translate(request, "nothing was changed")

    def run() -> str:
        store.records.update(
            study,
            entity,
            record_id,
            changes,
            actor=user.actor,
            reason=reason,
            expected_version=expected_version(form),
        )
        return translate(
            request, "%(record)s %(record_id)s corrected (%(fields)s).",
            record=translate(request, entity).replace("_", " "), record_id=record_id,
            fields=", ".join(translate(request, f).replace("_", " ") for f in changes),
        )  # fmt: skip

    def redisplay(typed: Mapping[str, str], errs: Mapping[str, str], status_code: int) -> Response:
        return _page(
            request, store, user, study, subject_id, entity, record_id,
            values=typed, errors=errs, status_code=status_code,
        )  # fmt: skip

    return submit(
        request,
        values=values,
        names=_labels(entity),
        action=run,
        redisplay=redisplay,
        success_url=f"/studies/{study}/subjects/{subject_id}",
        errors=errors,
        aliases={f.name: ff.name for f, ff in fields if f.name != ff.name},
    )
