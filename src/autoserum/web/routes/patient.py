"""Patient pages: self-report through a personal link, without an account (docs/epro.md).

``/p/{token}`` lists what the subject has due today and what was missed; ``/p/{token}/{instrument}/
{slot}`` is one questionnaire (a short list of large choices, kept in the browser until it is
sent: ``static/patient.js``) and its submission. Nothing else is reachable with a link: no staff
page, no other subject, no arm; a staff session opens no patient page (the token is the only
credential these routes read). A wrong, revoked or expired token is answered 404 and counted
against the client's address (HTTP 429 over the limit). Responses are never cached and never
send the address (the token) as a referrer.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from autoserum.errors import NotFoundError, StateError, ValidationError
from autoserum.i18n import error_text, using
from autoserum.instruments import (
    Instrument,
    Questionnaire,
    TextLibrary,
    get_instrument,
    question_texts,
)
from autoserum.store import PatientAccess, Store
from autoserum.web.accounts import login_limits
from autoserum.web.deps import SettingsDep, StoreDep, reject_nul
from autoserum.web.formflow import shorten
from autoserum.web.settings import Settings
from autoserum.web.templating import language_of, templates
from autoserum.web.wording import questionnaire

__all__ = ["router"]

router = APIRouter(tags=["patient"], include_in_schema=False)

_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
_MAX_TOKEN = 100


def _page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    access: PatientAccess | None = None,
    status_code: int = 200,
) -> Response:
    """Render a patient page in the subject's language (else the browser's), without the
    staff session's context."""
    if access is not None and access.language:
        request.state.language = access.language
    language = language_of(request)
    with using(language):
        response = templates.TemplateResponse(
            request, name, {**context, "lang": language}, status_code=status_code
        )
    response.headers.update(_HEADERS)
    return response


def _refused(request: Request) -> Response:
    return _page(request, "patient/refused.html", {}, status_code=404)


def _access(request: Request, store: Store, settings: Settings, token: str) -> PatientAccess | None:
    if not token or len(token) > _MAX_TOKEN:
        return None
    client = request.client.host if request.client else "unknown"
    return store.self_report.access(token, client=client, limits=login_limits(settings))


def _slot(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@router.get("/p/{token}")
def patient_home(
    request: Request, token: str, store: StoreDep, settings: SettingsDep, saved: str = ""
) -> Response:
    """What is due today and what was missed."""
    access = _access(request, store, settings, token)
    if access is None:
        return _refused(request)
    agenda = store.self_report.agenda(access)
    return _page(
        request,
        "patient/home.html",
        {
            "token": token,
            "agenda": agenda,
            "names": {d.instrument: get_instrument(d.instrument).name
                      for d in (*agenda.due, *agenda.missed, *agenda.done)},
            "saved": saved if saved in {d.instrument for d in agenda.done} else "",
            "show_score": access.show_score,
        },
        access=access,
    )  # fmt: skip


def _questions(texts: Questionnaire) -> list[dict[str, Any]]:
    """Each question the patient answers with its choices (value, text) for the form: the
    site's licensed wording when installed, else autoserum's label and the answer code (a
    word translated by the page, a number as it is)."""
    conditional = {i.path for i in get_instrument(texts.instrument).items if i.condition}
    out = []
    for question in texts.questions:
        if question.path in conditional:  # DLQI q7b: not asked on the patient pages
            continue
        choices = [
            (value, text if text is not None else value.replace("_", " "))
            for value, text in question.answers
        ]
        out.append(
            {
                "path": question.path,
                "label": question.text,
                "licensed": question.licensed,
                "choices": choices,
            }
        )
    return out


def _form(
    request: Request,
    store: Store,
    access: PatientAccess,
    token: str,
    instrument: str,
    slot: date,
    *,
    values: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    agenda = store.self_report.agenda(access)
    open_slots = {(d.instrument, d.slot) for d in (*agenda.due, *agenda.missed)}
    if not error and (instrument, slot) in {(d.instrument, d.slot) for d in agenda.done}:
        # recorded already (a reload after a lost response): back to the list, saved
        response = RedirectResponse(f"/p/{token}?saved={instrument}", status_code=303)
        response.headers.update(_HEADERS)
        return response
    if (instrument, slot) not in open_slots and not error:
        return _refused(request)
    inst = _patient_instrument(instrument)
    if inst is None:
        return _refused(request)
    texts = questionnaire(request, inst.code, language=access.language or None)
    return _page(
        request,
        "patient/form.html",
        {
            "token": token,
            "instrument": inst,
            "slot": slot,
            "questions": _questions(texts),
            "texts": texts,
            "values": values or {},
            "error": error,
            "submission_id": (values or {}).get("submission_id") or secrets.token_urlsafe(16),
            "recall": None if inst.diary is None else inst.diary.recall,
        },
        access=access,
        status_code=status_code,
    )


@router.get("/p/{token}/{instrument}/{slot}")
def patient_form(
    request: Request, token: str, instrument: str, slot: str, store: StoreDep,
    settings: SettingsDep,
) -> Response:  # fmt: skip
    """One questionnaire that is due (or missed, when the protocol still takes it)."""
    access = _access(request, store, settings, token)
    day = _slot(slot)
    if access is None or day is None:
        return _refused(request)
    return _form(request, store, access, token, instrument, day)


@router.post("/p/{token}/{instrument}/{slot}")
async def patient_submit(
    request: Request, token: str, instrument: str, slot: str, store: StoreDep,
    settings: SettingsDep,
) -> Response:  # fmt: skip
    """Record the answers once (the submission id makes a retry or a double tap harmless)."""
    access = _access(request, store, settings, token)
    day = _slot(slot)
    if access is None or day is None:
        return _refused(request)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    reject_nul("form", values.items())
    inst = _patient_instrument(instrument)
    if inst is None:
        return _refused(request)
    payload: dict[str, Any] = {}
    for question in _questions(question_texts(inst.code, "en", TextLibrary())):
        raw = values.get(question["path"], "").strip()
        item = inst.item(question["path"])
        payload[question["path"]] = (int(raw) if raw.isdigit() else raw) if raw else None
        if item.kind == "choice" and raw:
            payload[question["path"]] = raw
    try:
        store.self_report.submit(
            access, instrument, day, _nested(payload),
            submission_id=values.get("submission_id", ""),
        )  # fmt: skip
    except ValidationError as err:
        if access.language:
            request.state.language = access.language
        text = error_text(err, language_of(request))
        return _form(request, store, access, token, instrument, day, values=values,
                     error=shorten(text), status_code=422)  # fmt: skip
    except StateError as err:
        if access.language:
            request.state.language = access.language
        return _form(request, store, access, token, instrument, day, values=values,
                     error=shorten(error_text(err, language_of(request))),
                     status_code=409)  # fmt: skip
    response = RedirectResponse(f"/p/{token}?saved={instrument}", status_code=303)
    response.headers.update(_HEADERS)
    return response


def _patient_instrument(code: str) -> Instrument | None:
    try:
        inst = get_instrument(code)
    except NotFoundError:
        return None
    return inst if inst.reported_by == "patient" else None


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    """Dotted item paths to the nested payload the instruments take."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out
