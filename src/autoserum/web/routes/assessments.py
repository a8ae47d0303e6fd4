"""Pages: one form per instrument, generated from the registry, with the live score.

``GET/POST /studies/{study}/subjects/{subject_id}/visits/{visit}/{instrument}`` shows and saves
the form (a saved assessment is corrected with a reason); ``POST …/score`` is the htmx call that
returns the score box as the user types, computed by :func:`autoserum.instruments.score`.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.display import exact_number
from autoserum.errors import Expected, ValidationError
from autoserum.instruments import Score, get_instrument
from autoserum.store import Store
from autoserum.study.model import Assessment, SubjectDetail
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import expected_version, submit
from autoserum.web.forms import (
    ParsedForm,
    form_values,
    instrument_fields,
    parse_instrument_form,
    payload_json,
    score_form,
)
from autoserum.web.templating import language_of, render, translate
from autoserum.web.views import study_for
from autoserum.web.wording import questionnaire

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_PATH = "/studies/{study}/subjects/{subject_id}/visits/{visit}/{instrument}"


def _existing(detail: SubjectDetail, visit: str, instrument: str) -> Assessment | None:
    visit_ids = {v.id for v in detail.visits if v.visit_code == visit}
    for a in detail.assessments:
        if a.visit_id in visit_ids and a.instrument == instrument:
            return a
    return None


def _labels(request: Request, instrument: str) -> dict[str, str]:
    fields = instrument_fields(instrument, questionnaire(request, instrument))
    return {
        "visit_date": "Date of the visit",
        **{f.name: f.label for f in fields},
        "reason": "Reason for the change",
    }


def _page(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    subject_id: str,
    visit: str,
    instrument: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    result: Score | None = None,
    status_code: int = 200,
) -> Response:
    user.require("read_subject")
    view = study_for(store, user, study)
    detail = store.subjects.detail(study, subject_id, actor=user.actor)
    unscheduled = {v.visit_code for v in detail.visits if v.unscheduled_reason is not None}
    if not any(v.code == visit for v in view.protocol.visits) and visit not in unscheduled:
        raise ValidationError(
            "visit",
            visit,
            Expected("one of %(values)s", values=", ".join(v.code for v in view.protocol.visits)),
        )
    inst = get_instrument(instrument)
    record = _existing(detail, visit, instrument)
    visit_recorded = any(v.visit_code == visit for v in detail.visits)
    if values is None:
        values = form_values(instrument, record.payload) if record and record.payload else {}
        if record is not None and record.payload:
            result = score_form(instrument, parse_instrument_form(instrument, values))
    texts = questionnaire(request, instrument)
    fields = instrument_fields(instrument, texts)
    groups = [(g, list(fs)) for g, fs in groupby(fields, key=lambda f: f.group)]
    base = f"/studies/{study}/subjects/{subject_id}"
    return render(
        request,
        "instrument_form.html",
        {
            "instrument_name": inst.name,
            "instrument": instrument,
            "subject_id": subject_id,
            "visit_code": visit,
            "visit_recorded": visit_recorded,
            "subject_url": base,
            "action_url": f"{base}/visits/{visit}/{instrument}",
            "score_url": f"{base}/visits/{visit}/{instrument}/score",
            "groups": groups,
            "group_labels": inst.group_labels,
            "texts": texts,
            "values": values,
            "errors": errors or {},
            "labels": _labels(request, instrument),
            "score": result,
            "score_errors": {},
            "record": record,
            "can_write": user.can("write_data"),
            "fmt": exact_number,
        },
        status_code=status_code,
    )


@router.get(_PATH)
def assessment_form(
    request: Request,
    study: str,
    subject_id: str,
    visit: str,
    instrument: str,
    user: PageUser,
    store: StoreDep,
) -> Response:
    """The instrument's form (pre-filled when the assessment is saved already)."""
    return _page(request, store, user, study, subject_id, visit, instrument)


@router.post(_PATH + "/score")
def live_score(
    request: Request,
    study: str,
    subject_id: str,
    visit: str,
    instrument: str,
    user: PageUser,
    store: StoreDep,
    form: CsrfForm,
) -> Response:
    """The score box for the values typed so far (htmx partial; nothing is stored)."""
    user.require("read_subject")
    study_for(store, user, study)
    store.subjects.detail(
        study, subject_id, actor=user.actor
    )  # the subject must be at the user's site
    parsed = parse_instrument_form(instrument, form, language=language_of(request))
    return render(
        request,
        "_score.html",
        {
            "score": score_form(instrument, parsed),
            "score_errors": parsed.errors,
            "instrument_name": get_instrument(instrument).name,
            "fmt": exact_number,
        },
    )


@router.post(_PATH)
def save_assessment(
    request: Request,
    study: str,
    subject_id: str,
    visit: str,
    instrument: str,
    user: PageUser,
    store: StoreDep,
    form: CsrfForm,
) -> Response:
    """Validate and save the form; a correction of saved data needs a reason."""
    user.require("write_data")
    parsed: ParsedForm = parse_instrument_form(instrument, form, language=language_of(request))
    values = dict(parsed.values)
    errors = dict(parsed.errors)
    reason = str(form.get("reason") or "").strip()
    visit_date = str(form.get("visit_date") or "").strip()
    values.update(
        reason=reason,
        visit_date=visit_date,
        expected_version=str(form.get("expected_version") or "").strip(),
    )
    detail = store.subjects.detail(study, subject_id, actor=user.actor)
    record = _existing(detail, visit, instrument)
    visit_recorded = any(v.visit_code == visit for v in detail.visits)
    if record is not None and not reason:
        errors["reason"] = "a reason is required to change saved data"
    if not visit_recorded and not visit_date:
        errors["visit_date"] = "the date of this visit is required"
    name = get_instrument(instrument).name

    def run() -> str:
        payload: dict[str, Any] = payload_json(instrument, parsed.flat)
        if record is not None:
            saved = store.records.update(
                study,
                "assessment",
                record.id,
                {"payload": payload},
                actor=user.actor,
                reason=reason,
                expected_version=expected_version(form),
            )
        else:
            saved = store.records.add_assessment(  # the visit, if new, in one transaction
                study,
                subject_id,
                visit,
                instrument,
                payload,
                actor=user.actor,
                visit_date=None if visit_recorded else visit_date,
            )
        total = (
            translate(request, "not scorable") if saved.total is None else exact_number(saved.total)
        )
        if saved.band:
            total = translate(
                request, "%(total)s (%(band)s)", total=total,
                band=translate(request, saved.band).replace("_", " "),
            )  # fmt: skip
        if record is not None:
            return translate(
                request, "%(instrument)s corrected: %(total)s.", instrument=name, total=total
            )
        return translate(request, "%(instrument)s saved: %(total)s.", instrument=name, total=total)

    def redisplay(typed: Mapping[str, str], errs: Mapping[str, str], status_code: int) -> Response:
        return _page(
            request, store, user, study, subject_id, visit, instrument,
            values=typed, errors=errs, result=score_form(instrument, parsed),
            status_code=status_code,
        )  # fmt: skip

    return submit(
        request,
        values=values,
        names=_labels(request, instrument),
        action=run,
        redisplay=redisplay,
        success_url=f"/studies/{study}/subjects/{subject_id}",
        errors=errors,
    )
