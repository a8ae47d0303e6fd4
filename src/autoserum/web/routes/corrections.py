"""Pages: correct a recorded visit, injection, lab, adverse event or medication, with a reason.

``GET/POST /studies/{study}/subjects/{subject_id}/records/{entity}/{record_id}``: the record's
fields pre-filled; only the fields changed are sent to the store, with the version read (a
stale version is a conflict) and the reason, which the audit trail keeps. Assessments are
corrected on their instrument form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.errors import NotFoundError
from autoserum.store import Store
from autoserum.study.model import SubjectDetail
from autoserum.study.vocab import OUTCOMES, RELATEDNESS, SEVERITIES
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import FORM_WIDE, expected_version, submit
from autoserum.web.recordforms import FormField
from autoserum.web.templating import render
from autoserum.web.views import study_for

__all__ = ["CORRECTABLE", "router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_PATH = "/studies/{study}/subjects/{subject_id}/records/{entity}/{record_id}"


def _choices(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((v, v.replace("_", " ")) for v in values)


#: entity -> (attribute of SubjectDetail, the fields a user may correct)
CORRECTABLE: Mapping[str, tuple[str, tuple[FormField, ...]]] = {
    "visit": ("visits", (FormField("visit_date", "Visit date", "date", required=True),)),
    "injection": (
        "injections",
        (
            FormField("given_on", "Date given", "date", required=True),
            FormField("volume_ml", "Volume (mL)"),
            FormField("site", "Injection site"),
            FormField("lot", "Lot"),
        ),
    ),
    "lab": (
        "labs",
        (
            FormField("value", "Value", required=True),
            FormField("unit", "Unit", required=True),
            FormField("ref_low", "Reference range low"),
            FormField("ref_high", "Reference range high"),
        ),
    ),
    "adverse_event": (
        "adverse_events",
        (
            FormField("term", "Term (verbatim)", required=True),
            FormField("onset_date", "Onset date", "date"),
            FormField("severity", "Severity", options=_choices(SEVERITIES), required=True),
            FormField("serious", "Serious", options=(("false", "no"), ("true", "yes")),
                      required=True),
            FormField("related", "Relatedness", options=_choices(RELATEDNESS), required=True),
            FormField("outcome", "Outcome", options=_choices(OUTCOMES), required=True),
        ),
    ),
    "con_med": (
        "con_meds",
        (
            FormField("name", "Medication", required=True),
            FormField("dose", "Dose"),
            FormField("route", "Route"),
            FormField("start_date", "Start date", "date"),
            FormField("end_date", "End date", "date"),
            FormField("indication", "Indication"),
        ),
    ),
}  # fmt: skip


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _record(detail: SubjectDetail, entity: str, record_id: int) -> Any:
    if entity not in CORRECTABLE:
        raise NotFoundError(f"records of kind {entity!r} are not corrected here")
    attribute, _ = CORRECTABLE[entity]
    for record in getattr(detail, attribute):
        if record.id == record_id:
            return record
    raise NotFoundError(f"no {entity} {record_id} of subject {detail.subject.subject_id!r}")


def _labels(entity: str) -> dict[str, str]:
    return {**{f.name: f.label for f in CORRECTABLE[entity][1]}, "reason": "Reason for the change"}


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
    fields = CORRECTABLE[entity][1]
    if values is None:
        values = {f.name: _text(getattr(record, f.name)) for f in fields}
    return render(
        request,
        "record_edit.html",
        {
            "entity": entity,
            "record": record,
            "fields": fields,
            "values": values,
            "errors": errors or {},
            "labels": _labels(entity),
            "subject_id": subject_id,
            "study_name": study,
            "action": _PATH.format(
                study=study, subject_id=subject_id, entity=entity, record_id=record_id
            ),
            "can_write": user.can("write_data"),
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
    fields = CORRECTABLE[entity][1]
    values = {f.name: str(form.get(f.name) or "").strip() for f in fields}
    reason = str(form.get("reason") or "").strip()
    values.update(reason=reason, expected_version=str(form.get("expected_version") or "").strip())
    changes: dict[str, Any] = {}
    for f in fields:
        new = values[f.name]
        if new != _text(getattr(record, f.name)):
            changes[f.name] = None if new == "" and not f.required else new
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "a reason is required to change saved data"
    if not changes:
        errors[FORM_WIDE] = "nothing was changed"
    if entity == "adverse_event" and "serious" in changes:
        changes["serious"] = changes["serious"] == "true"

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
        return f"{entity.replace('_', ' ')} {record_id} corrected ({', '.join(changes)})."

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
    )
